#!/usr/bin/python3
"""Writes the f16/bf16 conversion tables that core/half_test.cc checks against.

Expected values come from NumPy (float16) and PyTorch (bfloat16, which NumPy lacks), never from
the code under test. Run by the //core:half_tables genrule: make_half_tables.py OUT_DIR.

  f16_to_f32.npy    all 65,536 f16 bit patterns (uint16) -> NumPy's float32 value (as uint32 bits)
  f32_for_f16.npy   f32 inputs (bits, stored as int32): every f16 value, every midpoint between neighbours
                    (ties), one f32 ulp either side of each midpoint, NaN payloads, random bits
  f32_to_f16.npy    NumPy's float16 result for each input (bits, stored as int16)
  bf16_to_f32.npy, f32_for_bf16.npy, f32_to_bf16.npy: the same for bfloat16 via PyTorch
"""
import os
import sys

import numpy as np
import torch


def widen_all(bits16, to_f32):
    return to_f32(bits16).view(np.uint32)


def narrowing_inputs(all_values_f32):
    """f32 inputs around every representable value of a 16-bit type, as uint32 bits."""
    with np.errstate(invalid="ignore"):
        v = all_values_f32.astype(np.float64)
    finite = np.isfinite(v)
    order = np.unique(v[finite])  # sorted distinct finite values (merges +0/-0)
    mids = (order[:-1] + order[1:]) / 2.0
    mids32 = mids.astype(np.float32)
    exact = mids32.astype(np.float64) == mids  # ties exactly representable in f32
    ties = mids32[exact]
    below = np.nextafter(ties, np.float32(-np.inf))
    above = np.nextafter(ties, np.float32(np.inf))
    # Beyond the largest finite value: values that round to it and values that overflow to Inf.
    top = np.float32(order[-1])
    edge = np.array([np.nextafter(top, np.float32(np.inf)), top * np.float32(1.0009765625),
                     np.float32(3.0e38), np.float32(np.inf), np.float32(-np.inf)], np.float32)
    rng = np.random.default_rng(20261123)
    random_bits = rng.integers(0, 2**32, size=200_000, dtype=np.uint64).astype(np.uint32)
    nan_bits = np.array([0x7F800001, 0x7FC00000, 0x7FFFFFFF, 0xFFC00000, 0x7F802000, 0xFF800001,
                         0x7FA00000, 0x7F801FFF], np.uint32)
    parts = [all_values_f32.view(np.uint32), ties.view(np.uint32), below.view(np.uint32),
             above.view(np.uint32), edge.view(np.uint32), nan_bits, random_bits,
             (-ties).astype(np.float32).view(np.uint32)]
    return np.concatenate([p.astype(np.uint32) for p in parts])


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    all16 = np.arange(65536, dtype=np.uint32).astype(np.uint16)

    # f16 via NumPy.
    f16_vals = all16.view(np.float16).astype(np.float32)
    np.save(os.path.join(out, "f16_to_f32.npy"), f16_vals.view(np.int32))
    inputs = narrowing_inputs(f16_vals)
    with np.errstate(over="ignore", invalid="ignore"):
        f16 = inputs.view(np.float32).astype(np.float16).view(np.uint16)
    np.save(os.path.join(out, "f32_for_f16.npy"), inputs.view(np.int32))
    np.save(os.path.join(out, "f32_to_f16.npy"), f16.view(np.int16))

    # bf16 via PyTorch.
    bf16_vals = (torch.from_numpy(all16.view(np.int16).copy()).view(torch.bfloat16)
                 .to(torch.float32).numpy())
    np.save(os.path.join(out, "bf16_to_f32.npy"), bf16_vals.view(np.int32))
    inputs = narrowing_inputs(bf16_vals)
    bf16 = (torch.from_numpy(inputs.view(np.float32).copy()).to(torch.bfloat16)
            .view(torch.int16).numpy().view(np.uint16))
    np.save(os.path.join(out, "f32_for_bf16.npy"), inputs.view(np.int32))
    np.save(os.path.join(out, "f32_to_bf16.npy"), bf16.view(np.int16))


if __name__ == "__main__":
    main()
