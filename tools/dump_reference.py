#!/usr/bin/python3
"""Writes a per-module reference dump (.npz) of a PyTorch model, for `verify --layer-diff`.

DUMP NAMING CONVENTION (verify matches exactly this):
  * Entries are written in execution order: first the graph inputs, under their names (the keys of
    the inputs .npz, in that order), then one entry per module call, in the order the calls
    *complete* (a child finishes before its parent, so `attn.qkv` comes before `attn`).
  * A module's entry is named by its dotted path from model.named_modules(): `conv_pre`, `ups.0`,
    `resblocks.0.convs1.0`, `attn.qkv`, `adaLN_modulation.1`.
  * A module called several times keeps every call: the first call is `name`, later calls are
    `name#1`, `name#2`, ... (call index counted from 0, the first call carries no suffix).
  * The root module (the model itself, path "") is recorded under the output names (`--output-names`,
    or the model's OUTPUT_NAMES attribute, default `output`; a tuple output gives one entry per name).
    If the root is called more than once the same `#k` suffixes apply.
  * A module whose output is a tuple or list (nn.LSTM returns (y, (h, c))) is recorded by its first
    tensor only; modules returning no tensor are not recorded.
  * Values are stored as float32 (whatever the run dtype; `--keep-dtype` keeps float64), integer
    tensors as they are. Graph inputs are stored exactly as read from the inputs .npz.

Usage (from the repository root):
  /usr/bin/python3 tools/dump_reference.py --module tools.reference_models --class TinyVocoder \
      --checkpoint reference_dumps/vocoder/checkpoint.pt --inputs reference_dumps/vocoder/inputs.npz \
      --out /tmp/vocoder_ref.npz [--dtype float64]

  --module is a dotted module name (importable from the current directory or the repository root) or
  a path to a .py file; --class names any callable in it that returns an nn.Module (a class or a
  factory function); --kwargs '{"channels": 64}' passes constructor arguments. --checkpoint may hold a
  full pickled nn.Module (then --module/--class may be left out), a state dict, or a dict holding the
  state dict under --select KEY (for example `generator`, `state_dict`, `model`). The inputs .npz keys
  are passed to forward() positionally, in file order.

Copy-paste snippet for your own model (the Python API does not need a checkpoint file):

  import sys; sys.path.insert(0, "path/to/tensorport")
  import numpy as np, torch
  from tools.dump_reference import dump_model

  model = MyModel(...); model.load_state_dict(torch.load("my.pt", map_location="cpu")); model.eval()
  inputs = {"mel": np.load("mel.npy")}            # forward() arguments, in order
  dump_model(model, inputs, "reference.npz", output_names=["audio"])   # dtype="float64" also works
  # then: bazel-bin/verify/verify --layer-diff --reference reference.npz --candidate my_port_dump.npz
"""

import argparse
import collections
import importlib
import importlib.util
import json
import os
import sys

import numpy as np
import torch

_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _fail(message):
  """Usage or input error: one line on stderr, exit status 2 (the project's CLI convention)."""
  sys.stderr.write("dump_reference: %s\n" % message)
  sys.exit(2)


def call_name(name, index):
  """Dump name of the index-th call (from 0) of module `name`."""
  return name if index == 0 else "%s#%d" % (name, index)


def _first_tensor(value):
  if isinstance(value, torch.Tensor):
    return value
  if isinstance(value, (tuple, list)):
    for v in value:
      t = _first_tensor(v)
      if t is not None:
        return t
  return None


def _to_numpy(t, keep_dtype):
  # A copy: numpy() shares the tensor's memory, and a later in-place op (nn.ReLU(inplace=True)
  # right after a conv) would otherwise rewrite what was recorded for the conv.
  a = t.detach().cpu().numpy().copy()
  if not keep_dtype and a.dtype == np.float64:
    a = a.astype(np.float32)
  return a


class ModuleRecorder:
  """Forward hooks on every named module; collects outputs in completion order.

  Example:
    with ModuleRecorder(model, output_names=["audio"]) as rec:
      model(mel)
    rec.entries  # OrderedDict name -> np.ndarray
  """

  def __init__(self, model, output_names=("output",), keep_dtype=False, skip=()):
    self.model = model
    self.output_names = list(output_names)
    self.keep_dtype = keep_dtype
    self.skip = set(skip)
    self.entries = collections.OrderedDict()
    self._calls = collections.Counter()
    self._handles = []

  def _add(self, name, array):
    if name in self.entries:
      raise ValueError("dump entry %r written twice (module name clashes with an input or "
                       "output name)" % name)
    self.entries[name] = array

  def _hook_for(self, name):
    def hook(module, inputs, output):
      index = self._calls[name]
      self._calls[name] += 1
      if name == "":
        outs = list(output) if isinstance(output, (tuple, list)) else [output]
        for i, o in enumerate(outs):
          if not isinstance(o, torch.Tensor):
            continue
          base = self.output_names[i] if i < len(self.output_names) else "output_%d" % i
          self._add(call_name(base, index), _to_numpy(o, self.keep_dtype))
        return
      t = _first_tensor(output)
      if t is not None:
        self._add(call_name(name, index), _to_numpy(t, self.keep_dtype))
    return hook

  def add_inputs(self, inputs):
    for k, v in inputs.items():
      self._add(k, np.asarray(v))

  def __enter__(self):
    for name, module in self.model.named_modules():
      if name in self.skip:
        continue
      self._handles.append(module.register_forward_hook(self._hook_for(name)))
    return self

  def __exit__(self, *exc):
    for h in self._handles:
      h.remove()
    self._handles = []
    return False


def _torch_inputs(inputs, dtype):
  args = []
  for v in inputs.values():
    t = torch.from_numpy(np.ascontiguousarray(v))
    if t.is_floating_point():
      t = t.to(dtype)
    args.append(t)
  return args


def has_fast_path_modules(model):
  """nn.MultiheadAttention and nn.TransformerEncoderLayer take a fused "fast path" in eval mode
  under no_grad (PyTorch 1.13): their submodules are then never called (no dump entries), and the
  ONNX exporter cannot export that path, so exports run the ordinary one."""
  kinds = (torch.nn.MultiheadAttention, torch.nn.TransformerEncoderLayer)
  return any(isinstance(m, kinds) for m in model.modules())


def run_and_record(model, inputs, dtype="float32", output_names=None, keep_dtype=False):
  """Runs model on inputs (dict name -> array, forward order); returns the ordered entries."""
  tdtype = {"float32": torch.float32, "float64": torch.float64}[dtype]
  if output_names is None:
    output_names = getattr(model, "OUTPUT_NAMES", ["output"])
  model = model.to(tdtype).eval()
  rec = ModuleRecorder(model, output_names=output_names, keep_dtype=keep_dtype)
  rec.add_inputs(inputs)
  # With grad enabled (and parameters requiring it) the attention modules take the ordinary path,
  # the one the exporter writes into the graph, so every submodule is called and recorded.
  grad = torch.enable_grad() if has_fast_path_modules(model) else torch.no_grad()
  with rec, grad:
    model(*_torch_inputs(inputs, tdtype))
  return rec.entries


def save_npz(entries, path):
  """Writes entries in order; np.savez keeps dict order. Written beside, then renamed."""
  tmp = path + ".tmp-%d" % os.getpid()
  with open(tmp, "wb") as f:
    np.savez(f, **entries)
  os.replace(tmp, path)


def dump_model(model, inputs, out_path, dtype="float32", output_names=None, keep_dtype=False):
  """Runs `model` on `inputs` and writes the ordered dump to out_path. Returns the entries."""
  entries = run_and_record(model, inputs, dtype, output_names, keep_dtype)
  save_npz(entries, out_path)
  return entries


def load_callable(module_spec, name):
  if module_spec.endswith(".py") or os.path.sep in module_spec:
    spec = importlib.util.spec_from_file_location(
        os.path.splitext(os.path.basename(module_spec))[0], module_spec)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
  else:
    for p in (os.getcwd(), _REPO_ROOT):
      if p not in sys.path:
        sys.path.insert(0, p)
    mod = importlib.import_module(module_spec)
  if not hasattr(mod, name):
    _fail("%s: no attribute %r" % (module_spec, name))
  return getattr(mod, name)


def load_model(module_spec, class_name, checkpoint, kwargs=None, select=None):
  """Builds the model and loads its checkpoint (full module, state dict, or dict[select])."""
  obj = torch.load(checkpoint, map_location="cpu") if checkpoint else None
  if isinstance(obj, torch.nn.Module):
    return obj.eval()
  if not module_spec or not class_name:
    _fail("--module and --class are needed unless the checkpoint holds a full module")
  model = load_callable(module_spec, class_name)(**(kwargs or {}))
  if obj is not None:
    if select:
      if not isinstance(obj, dict) or select not in obj:
        _fail("%s: no key %r in checkpoint; keys: %s"
                         % (checkpoint, select, sorted(obj) if isinstance(obj, dict) else type(obj)))
      obj = obj[select]
    if not isinstance(obj, dict):
      _fail("%s: found %s, expected a state dict" % (checkpoint, type(obj).__name__))
    mine = model.state_dict()
    missing = [k for k in mine if k not in obj]
    unexpected = [k for k in obj if k not in mine]
    if missing or unexpected:
      _fail("%s: state dict does not match %s: %d missing (%s), %d unexpected (%s)"
                       % (checkpoint, class_name, len(missing), ", ".join(missing[:3]),
                          len(unexpected), ", ".join(unexpected[:3])))
    model.load_state_dict(obj, strict=True)
  return model.eval()


def load_inputs(path):
  with np.load(path, allow_pickle=False) as z:
    return collections.OrderedDict((k, z[k]) for k in z.files)


def main(argv=None):
  p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  p.add_argument("--module", help="dotted module or path to a .py file")
  p.add_argument("--class", dest="cls", help="class or factory in --module")
  p.add_argument("--kwargs", default="{}", help="JSON constructor arguments")
  p.add_argument("--checkpoint", help="torch.save file: full module or state dict")
  p.add_argument("--select", help="key of the state dict inside the checkpoint dict")
  p.add_argument("--inputs", required=True, help=".npz of forward() arguments, in order")
  p.add_argument("--out", required=True, help="output .npz")
  p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
  p.add_argument("--keep-dtype", action="store_true", help="store float64 values as float64")
  p.add_argument("--output-names", help="comma-separated names of the model outputs")
  a = p.parse_args(argv)
  torch.set_num_threads(1)
  model = load_model(a.module, a.cls, a.checkpoint, json.loads(a.kwargs), a.select)
  names = a.output_names.split(",") if a.output_names else None
  entries = dump_model(model, load_inputs(a.inputs), a.out, a.dtype, names, a.keep_dtype)
  print("%s: %d entries" % (a.out, len(entries)))
  return 0


if __name__ == "__main__":
  sys.exit(main())
