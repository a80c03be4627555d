#!/usr/bin/python3
"""Regenerates reference_dumps/ for the four tiny reference models (tools/reference_models.py).

For each model <m> in vocoder, encoder, dit, text_encoder it writes reference_dumps/<m>/:
  checkpoint.pt       the state dict (torch.save, zip format; weight norm as weight_g/weight_v)
  model.onnx          tools/export_onnx.py export (module-scoped node names, opset 17; 16 for the DiT)
  inputs.npz          the forward() arguments, in order
  reference.npz       per-module dump in float32 (naming: see tools/dump_reference.py)
  reference_f64.npz   the same model recomputed in float64, stored as float32: the "clean
                      recomputation" a layer diff must pass
  manifest.json       class, inputs, outputs, opset, dump entries (name, shape, dtype) in order,
                      ONNX scope -> dump name map, file sizes and SHA-256
Then it runs tools/planted_defects.py to regenerate reference_dumps/defects/.

Usage (from anywhere): /usr/bin/python3 tools/make_reference_dumps.py [--out DIR]
The output is deterministic up to float rounding across machines (seeded weights and inputs).
"""

import argparse
import collections
import hashlib
import json
import os
import sys

import numpy as np
import torch

_TOOLS = os.path.dirname(os.path.abspath(__file__))
_REPO_ROOT = os.path.dirname(_TOOLS)
sys.path.insert(0, _TOOLS)
import dump_reference  # noqa: E402
import export_onnx  # noqa: E402
import reference_models as rm  # noqa: E402


def _sha256(path):
  with open(path, "rb") as f:
    return hashlib.sha256(f.read()).hexdigest()


def _atomic_torch_save(obj, path):
  tmp = path + ".tmp-%d" % os.getpid()
  torch.save(obj, tmp)
  os.replace(tmp, path)


def make_model_dir(name, out_root):
  d = os.path.join(out_root, name)
  os.makedirs(d, exist_ok=True)
  model = rm.build(name)
  cls = type(model)
  inputs = collections.OrderedDict(rm.make_inputs(name))

  ckpt = os.path.join(d, "checkpoint.pt")
  _atomic_torch_save(model.state_dict(), ckpt)
  dump_reference.save_npz(inputs, os.path.join(d, "inputs.npz"))

  # Everything below starts from the saved checkpoint, as a user would.
  def fresh():
    m = cls()
    m.load_state_dict(torch.load(ckpt, map_location="cpu"))
    return m.eval()

  ref = dump_reference.dump_model(fresh(), inputs, os.path.join(d, "reference.npz"), "float32")
  dump_reference.dump_model(fresh(), inputs, os.path.join(d, "reference_f64.npz"), "float64")
  onnx_path = os.path.join(d, "model.onnx")
  opset = export_onnx.export(fresh(), inputs, onnx_path)
  module_names = {n for n, _ in fresh().named_modules()}

  files = {}
  for f in ("checkpoint.pt", "model.onnx", "inputs.npz", "reference.npz", "reference_f64.npz"):
    p = os.path.join(d, f)
    files[f] = {"bytes": os.path.getsize(p), "sha256": _sha256(p)}
  manifest = {
      "model": name,
      "module": "tools.reference_models",
      "class": cls.__name__,
      "kwargs": {"seed": 0},
      "torch_version": torch.__version__,
      "inputs": [{"name": k, "shape": list(v.shape), "dtype": str(v.dtype)}
                 for k, v in inputs.items()],
      "outputs": list(cls.OUTPUT_NAMES),
      "dynamic_axes": {k: {str(a): n for a, n in v.items()} for k, v in cls.DYNAMIC_AXES.items()},
      "onnx_opset": opset,
      "dump_naming": "inputs first; then module outputs in completion order; "
                     "repeated calls name, name#1, name#2; root output under output names",
      "entries": [{"name": k, "shape": list(v.shape), "dtype": str(v.dtype)}
                  for k, v in ref.items()],
      "state_dict": [{"name": k, "shape": list(v.shape), "dtype": str(v.dtype).replace("torch.", "")}
                     for k, v in torch.load(ckpt, map_location="cpu").items()],
      "onnx_scope_to_dump_name": export_onnx.scope_map(onnx_path, module_names),
      "files": files,
  }
  with open(os.path.join(d, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=1)
    f.write("\n")
  total = sum(v["bytes"] for v in files.values())
  print("%-13s %3d dump entries, opset %d, %6.1f KB" % (name, len(ref), opset, total / 1024))


def main(argv=None):
  p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  p.add_argument("--out", default=os.path.join(_REPO_ROOT, "reference_dumps"))
  p.add_argument("--skip-defects", action="store_true")
  a = p.parse_args(argv)
  torch.set_num_threads(1)
  for name in rm.MODELS:
    make_model_dir(name, a.out)
  if not a.skip_defects:
    import planted_defects  # noqa: E402
    planted_defects.main(["--out", a.out])
  return 0


if __name__ == "__main__":
  sys.exit(main())
