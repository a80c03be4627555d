#!/usr/bin/python3
"""Dumps for verify's command-line test, made with PyTorch and NumPy (never with verify).

Usage: make_cli_fixtures.py OUTDIR

  ref.npz         the model of calibration_model.py (tests/verify_calibrate_tolerances.py) run in float64, every module's
                  output in completion order (`name`, repeated calls `name#1`, ...)
  clean.npz       the same model in float32: rounding only, must pass
  gelu_tanh.npz   float32 with exact GELU replaced by the tanh approximation: must fail, first at
                  blocks.0.fc2 (GELU is functional, so fc2 is the first module that sees it)
  renamed.npz     clean, names prefixed "port." and layer "inp" stored as [B, T, C]
  map.textproto   the rename and layout rules that line renamed.npz up with ref.npz
  dir_dump/       clean as a directory of .npy files with manifest.json
  weights.safetensors / weights.npz / weights_missing.npz  a state dict and two "conversions"
  expected.txt    first divergent layer of gelu_tanh.npz, from the NumPy metrics below
"""
import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from calibration_model import Net  # noqa: E402

OUT = sys.argv[1]


def run(model, x):
    outs = {}
    calls = {}

    def hook(name):
        def f(m, i, o):
            k = calls.get(name, 0)
            calls[name] = k + 1
            outs[name if k == 0 else f"{name}#{k}"] = o.detach().numpy().copy()
        return f

    hooks = [m.register_forward_hook(hook(n)) for n, m in model.named_modules() if n]
    model(x)
    for h in hooks:
        h.remove()
    return outs


def save_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for k, v in tensors.items():
        b = np.ascontiguousarray(v, dtype=np.float32).tobytes()
        header[k] = {"dtype": "F32", "shape": list(v.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    ref = Net("none", c=32, depth=3).double().eval()
    x = torch.randn(1, 16, 200, dtype=torch.float64)
    r = run(ref, x)
    f32 = Net("none", c=32, depth=3)
    f32.load_state_dict(ref.state_dict())
    tanh = Net("tanh", c=32, depth=3)
    tanh.load_state_dict(ref.state_dict())
    a = run(f32.float().eval(), x.float())
    b = run(tanh.float().eval(), x.float())
    np.savez(os.path.join(OUT, "ref.npz"), **r)
    np.savez(os.path.join(OUT, "clean.npz"), **a)
    np.savez(os.path.join(OUT, "gelu_tanh.npz"), **b)
    renamed = {}
    for k, v in a.items():
        renamed["port." + k] = np.transpose(v, (0, 2, 1)).copy() if k == "inp" else v
    np.savez(os.path.join(OUT, "renamed.npz"), **renamed)
    with open(os.path.join(OUT, "map.textproto"), "w") as f:
        f.write('rename { pattern: "^port\\\\." replacement: "" }\n'
                'layout { pattern: "^inp$" perm: [0, 2, 1] }\n')
    d = os.path.join(OUT, "dir_dump")
    os.makedirs(d, exist_ok=True)
    for k, v in a.items():
        np.save(os.path.join(d, k + ".npy"), v)
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump({"order": list(a.keys())}, f)
    sd = {k: v.float().numpy() for k, v in ref.state_dict().items()}
    save_safetensors(os.path.join(OUT, "weights.safetensors"), sd)
    np.savez(os.path.join(OUT, "weights.npz"), **sd)
    missing = dict(sd)
    missing.pop(next(iter(missing)))
    np.savez(os.path.join(OUT, "weights_missing.npz"), **missing)
    # First layer whose SQNR (NumPy) is below the 100 dB default.
    first = None
    for k in r:
        d64 = b[k].astype(np.float64) - r[k]
        sqnr = 10 * np.log10(np.sum(r[k] ** 2) / max(np.sum(d64 ** 2), 1e-300))
        if sqnr < 100 and first is None:
            first = k
    with open(os.path.join(OUT, "expected.txt"), "w") as f:
        f.write(first + "\n")


if __name__ == "__main__":
    main()
