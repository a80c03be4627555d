#!/usr/bin/python3
"""Exports a PyTorch model to ONNX with module-scoped node names, for `verify --layer-diff --model`.

PyTorch 1.13's exporter names every node by the module scope that produced it
(`/attn/qkv/MatMul`, `/ups.0/ConvTranspose`, `/cnn.0/cnn.0.1/InstanceNormalization`); verify uses
those scopes to line nodes up with dump entries (tools/dump_reference.py), so this script keeps the
exporter's names untouched. Inputs and outputs are named (defaults: the model's INPUT_NAMES and
OUTPUT_NAMES, else the inputs .npz keys and `output`), batch/time axes are dynamic where the model
declares DYNAMIC_AXES (or `--dynamic-axes JSON`), weight norm is folded into plain initializers by
the exporter's constant folding.

Opset: 17 by default; a model containing LayerNorm(elementwise_affine=False) is exported at 16,
because at 17 PyTorch 1.13's exporter emits a LayerNormalization its own checker rejects (at 16
LayerNorm is decomposed into ReduceMean/Sub/Pow/Sqrt/Div).

Example (from the repository root):
  /usr/bin/python3 tools/export_onnx.py --module tools.reference_models --class TinyDiTBlock \
      --checkpoint reference_dumps/dit/checkpoint.pt --inputs reference_dumps/dit/inputs.npz \
      --out /tmp/dit.onnx --print-nodes 10
"""

import argparse
import json
import os
import re
import sys

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dump_reference  # noqa: E402  (same folder)


def needs_opset16(model):
  return any(isinstance(m, torch.nn.LayerNorm) and not m.elementwise_affine
             for m in model.modules())


def export(model, inputs, out_path, opset=None, input_names=None, output_names=None,
           dynamic_axes=None):
  """Exports model (eval) on example inputs (ordered dict); returns the opset used."""
  model = model.float().eval()
  if opset is None:
    opset = 16 if needs_opset16(model) else 17
  input_names = list(input_names or getattr(model, "INPUT_NAMES", None) or inputs.keys())
  output_names = list(output_names or getattr(model, "OUTPUT_NAMES", None) or ["output"])
  if dynamic_axes is None:
    dynamic_axes = getattr(model, "DYNAMIC_AXES", None)
  args = tuple(torch.from_numpy(np.ascontiguousarray(v)) for v in inputs.values())
  tmp = out_path + ".tmp-%d" % os.getpid()
  try:
    # Grad mode stays as users leave it: under no_grad, PyTorch 1.13's nn.MultiheadAttention takes
    # a fused fast path the exporter cannot export.
    grad = torch.enable_grad() if dump_reference.has_fast_path_modules(model) else torch.no_grad()
    with grad:
      torch.onnx.export(model, args, tmp, opset_version=opset, input_names=input_names,
                        output_names=output_names, dynamic_axes=dynamic_axes,
                        do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL)
    onnx.checker.check_model(onnx.load(tmp))
    os.replace(tmp, out_path)
  finally:
    if os.path.exists(tmp):
      os.remove(tmp)
  return opset


def scope_to_module(node_name):
  """Dump name of the module scope a PyTorch 1.13 node name carries, or "" for the root scope.

  Observed naming: `/conv_pre/Conv`, `/resblocks.0/activations.0/Sin` (an uncalled ModuleList adds
  no scope), `/model/model.1/block/block.0/Elu` and `/cnn.0/cnn.0.1/InstanceNormalization` (a called
  Sequential adds a scope and its children repeat its name as a prefix), `/lrelu_1/LeakyRelu` (the
  second call of module `lrelu`: dump name `lrelu#1`), `Constant_66` (root scope). So: drop the last
  segment (the op), drop every segment that the next one extends (`model` before `model.1`), map a
  `_k` suffix to the dump's `#k` call suffix, and join with dots.
  """
  if not node_name.startswith("/"):
    return ""
  segs = node_name[1:].split("/")[:-1]
  kept = []
  for i, seg in enumerate(segs):
    base = re.sub(r"_\d+$", "", seg)
    if i + 1 < len(segs) and segs[i + 1].startswith(base + "."):
      continue
    kept.append(seg)
  name = ".".join(kept)
  m = re.match(r"^(.*)_(\d+)$", name)
  if m and not kept[-1][:-len(m.group(2)) - 1].endswith("."):
    name = "%s#%s" % (m.group(1), m.group(2))
  return name


def scope_map(path, module_names):
  """{scope -> dump module name} for every node scope of the export; checks each maps to a module."""
  result = {}
  for node in onnx.load(path).graph.node:
    if not node.name.startswith("/"):
      continue
    scope = node.name.rsplit("/", 1)[0]
    name = scope_to_module(node.name)
    if name.split("#")[0] not in module_names:
      raise ValueError("%s: node %s: scope maps to %r, which is not a module"
                       % (path, node.name, name))
    result[scope] = name
  return result


def node_names(path):
  return [(n.name, n.op_type) for n in onnx.load(path).graph.node]


def main(argv=None):
  p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  p.add_argument("--module")
  p.add_argument("--class", dest="cls")
  p.add_argument("--kwargs", default="{}")
  p.add_argument("--checkpoint")
  p.add_argument("--select")
  p.add_argument("--inputs", required=True, help=".npz of example forward() arguments, in order")
  p.add_argument("--out", required=True)
  p.add_argument("--opset", type=int, help="default 17, or 16 with LayerNorm without affine")
  p.add_argument("--input-names", help="comma-separated")
  p.add_argument("--output-names", help="comma-separated")
  p.add_argument("--dynamic-axes", help='JSON, e.g. {"mel": {"0": "batch", "2": "frames"}}')
  p.add_argument("--print-nodes", type=int, default=0, help="print the first N node names")
  a = p.parse_args(argv)
  model = dump_reference.load_model(a.module, a.cls, a.checkpoint, json.loads(a.kwargs), a.select)
  dyn = None
  if a.dynamic_axes:
    dyn = {k: {int(ax): n for ax, n in v.items()} for k, v in json.loads(a.dynamic_axes).items()}
  opset = export(model, dump_reference.load_inputs(a.inputs), a.out, a.opset,
                 a.input_names.split(",") if a.input_names else None,
                 a.output_names.split(",") if a.output_names else None, dyn)
  print("%s: opset %d" % (a.out, opset))
  for name, op in node_names(a.out)[:a.print_nodes]:
    print("  %-16s %s" % (op, name))
  return 0


if __name__ == "__main__":
  sys.exit(main())
