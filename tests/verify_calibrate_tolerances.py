#!/usr/bin/python3
"""Calibrates verify's default tolerances (run with Debian's /usr/bin/python3).

A small audio-like model (conv, GELU, linear, LayerNorm, ConvTranspose, residuals) is run
  (a) in float64 (the reference) and in float32: pure rounding, which the defaults must pass;
  (b) in float32 with exact GELU replaced by the tanh approximation: a real defect to fail.
Per-layer SQNR, cosine, max relative error and the mismatch fraction at atol=1e-4 +
rtol=1e-3 * max(|x|, RMS) are printed, so the thresholds in verify/metrics.h can be checked against the numbers.
Realistic-size models: tests/verify_calibrate_large.py.
"""
import os
import sys

import numpy as np
import torch


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "verify",
                                "testdata"))
from calibration_model import Net  # noqa: E402


def run(model, x):
    outs = {}
    hooks = [m.register_forward_hook(lambda m, i, o, n=n: outs.__setitem__(n, o.detach().double().numpy()))
             for n, m in model.named_modules() if n]
    model(x)
    for h in hooks:
        h.remove()
    return outs


def metrics(x, y, rtol=1e-3, atol=1e-4):
    d = y - x
    sqnr = 10 * np.log10(np.sum(x * x) / max(np.sum(d * d), 1e-300))
    cos = np.sum(x * y) / np.sqrt(np.sum(x * x) * np.sum(y * y))
    # verify's band: relative to the larger of |x| and the reference's RMS.
    mis = np.mean(np.abs(d) > atol + rtol * np.maximum(np.abs(x), np.sqrt(np.mean(x * x))))
    rel = np.max(np.abs(d) / (np.abs(x) + 1e-8))
    return sqnr, cos, mis, rel


def main():
    torch.manual_seed(0)
    ref = Net("none").double()
    x = torch.randn(2, 16, 400, dtype=torch.float64)
    r = run(ref, x)
    f32 = Net("none")
    f32.load_state_dict(ref.state_dict())
    f32 = f32.float()
    tanh = Net("tanh")
    tanh.load_state_dict(ref.state_dict())
    tanh = tanh.float()
    a = run(f32, x.float())
    b = run(tanh, x.float())
    print(f"{'layer':24s} | {'f32 SQNR':>9s} {'1-cos':>9s} {'mis':>7s} | "
          f"{'tanh SQNR':>9s} {'1-cos':>9s} {'mis':>7s}")
    for n in r:
        s1, c1, m1, _ = metrics(r[n], a[n])
        s2, c2, m2, _ = metrics(r[n], b[n])
        print(f"{n:24s} | {s1:9.1f} {1 - c1:9.2e} {m1:7.4f} | {s2:9.1f} {1 - c2:9.2e} {m2:7.4f}")


if __name__ == "__main__":
    main()
