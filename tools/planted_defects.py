#!/usr/bin/python3
"""Planted defects: candidate dumps of deliberately broken "ports" of the reference models.

Each defect runs a modified copy of a reference model (loaded from reference_dumps/<model>/
checkpoint.pt, on reference_dumps/<model>/inputs.npz) and writes its per-module dump, named exactly
like the reference dump (tools/dump_reference.py), to reference_dumps/defects/<defect>.npz.
reference_dumps/defects/defects.json is the test oracle for `verify --layer-diff`: for each case
the model, the reference and candidate paths (relative to reference_dumps/), and the expected first
divergent dump entry (null for the clean float64 recomputations, which must pass).

Defects:
  dit_adaln_shift_scale_swapped   AdaLN chunks read as (scale, shift, gate) instead of (shift, scale,
                                  gate); first visible at attn.qkv (modulate() is not a module).
  dit_adaln_silu_dropped          adaLN_modulation.0 (SiLU) replaced by identity: its entry holds c.
  dit_adaln_scale_without_one     modulate() as x*scale+shift instead of x*(1+scale)+shift.
  dit_gelu_tanh                   mlp.act uses GELU's tanh approximation instead of exact erf GELU.
  text_encoder_layernorm_for_groupnorm
                                  every GroupNorm(1, C) (cnn.N.1) computed as a LayerNorm over the
                                  channels of each time step (same gamma/beta, same eps).
  encoder_conv1d_weight_layout    every Conv1d weight stored [out, k, in] (MLX layout) and read back
                                  as [out, in, k] (a reshape of the permuted bytes). Convs with k = 1
                                  or in = 1 are unaffected (the bytes are the same), so the first
                                  divergence is model.1.block.1.conv.conv, not model.0.
  vocoder_convtranspose_weightnorm_axis
                                  ConvTranspose1d weight norm fused with the norm over every axis but
                                  dim 1 (output channel) instead of dim 0 (input channel).

Usage: /usr/bin/python3 tools/planted_defects.py [--out reference_dumps]
(tools/make_reference_dumps.py runs it; it needs the reference dirs to exist.)
"""

import argparse
import collections
import json
import os
import sys

import numpy as np
import torch
from torch import nn

_TOOLS = os.path.dirname(os.path.abspath(__file__))
_REPO_ROOT = os.path.dirname(_TOOLS)
sys.path.insert(0, _TOOLS)
import dump_reference  # noqa: E402
import reference_models as rm  # noqa: E402


# ---- broken model variants --------------------------------------------------------------------
class DiTShiftScaleSwapped(rm.TinyDiTBlock):
  def forward(self, x, c):
    (scale_msa, shift_msa, gate_msa,
     scale_mlp, shift_mlp, gate_mlp) = self.adaLN_modulation(c).chunk(6, dim=1)
    x = x + gate_msa.unsqueeze(1) * self.attn(rm.modulate(self.norm1(x), shift_msa, scale_msa))
    x = x + gate_mlp.unsqueeze(1) * self.mlp(rm.modulate(self.norm2(x), shift_mlp, scale_mlp))
    return x


def _modulate_without_one(x, shift, scale):
  return x * scale.unsqueeze(1) + shift.unsqueeze(1)


class DiTScaleWithoutOne(rm.TinyDiTBlock):
  def forward(self, x, c):
    (shift_msa, scale_msa, gate_msa,
     shift_mlp, scale_mlp, gate_mlp) = self.adaLN_modulation(c).chunk(6, dim=1)
    x = x + gate_msa.unsqueeze(1) * self.attn(_modulate_without_one(self.norm1(x), shift_msa,
                                                                    scale_msa))
    x = x + gate_mlp.unsqueeze(1) * self.mlp(_modulate_without_one(self.norm2(x), shift_mlp,
                                                                   scale_mlp))
    return x


class ChannelLayerNorm(nn.Module):
  """LayerNorm over C at each time step of [B, C, T], with GroupNorm's per-channel affine."""

  def __init__(self, group_norm):
    super().__init__()
    self.eps = group_norm.eps
    self.weight = nn.Parameter(group_norm.weight.detach().clone())
    self.bias = nn.Parameter(group_norm.bias.detach().clone())

  def forward(self, x):
    y = nn.functional.layer_norm(x.transpose(1, 2), (x.shape[1],), self.weight, self.bias, self.eps)
    return y.transpose(1, 2)


def _load(cls, model_dir):
  m = cls()
  m.load_state_dict(torch.load(os.path.join(model_dir, "checkpoint.pt"), map_location="cpu"))
  return m.eval()


def _dit_silu_dropped(d):
  m = _load(rm.TinyDiTBlock, d)
  m.adaLN_modulation[0] = nn.Identity()
  return m


def _dit_gelu_tanh(d):
  m = _load(rm.TinyDiTBlock, d)
  m.mlp.act = nn.GELU(approximate="tanh")
  return m


def _text_layernorm(d):
  m = _load(rm.TinyTextEncoder, d)
  for block in m.cnn:
    assert isinstance(block[1], nn.GroupNorm) and block[1].num_groups == 1
    block[1] = ChannelLayerNorm(block[1])
  return m


def _encoder_conv_layout(d):
  m = _load(rm.TinySEANetEncoder, d)
  for mod in m.modules():
    if isinstance(mod, nn.Conv1d):
      nn.utils.remove_weight_norm(mod)
      w = mod.weight.detach()
      out_c, in_c, k = w.shape
      # The file holds w.permute(0, 2, 1) ([out, k, in]); the port reads those bytes as [out, in, k].
      stored = w.permute(0, 2, 1).contiguous().reshape(-1)
      with torch.no_grad():
        mod.weight.copy_(stored.reshape(out_c, in_c, k))
  return m


def _vocoder_wn_axis(d):
  m = _load(rm.TinyVocoder, d)
  for up in m.ups:
    g = up.weight_g.detach().clone()  # [in, 1, 1]: PyTorch's weight norm keeps dim 0
    v = up.weight_v.detach().clone()  # [in, out, k]
    nn.utils.remove_weight_norm(up)
    wrong_norm = v.pow(2).sum(dim=(0, 2), keepdim=True).sqrt()  # [1, out, 1]: kept dim 1
    with torch.no_grad():
      up.weight.copy_(g * v / wrong_norm)
  return m


# name -> (model, factory(model_dir), expected first divergent entry, hint the data should show)
DEFECTS = collections.OrderedDict([
    ("dit_adaln_shift_scale_swapped",
     ("dit", lambda d: _load(DiTShiftScaleSwapped, d), "attn.qkv", None)),
    ("dit_adaln_silu_dropped",
     ("dit", _dit_silu_dropped, "adaLN_modulation.0", None)),
    ("dit_adaln_scale_without_one",
     ("dit", lambda d: _load(DiTScaleWithoutOne, d), "attn.qkv", None)),
    ("dit_gelu_tanh",
     ("dit", _dit_gelu_tanh, "mlp.act", None)),
    ("text_encoder_layernorm_for_groupnorm",
     ("text_encoder", _text_layernorm, "cnn.0.1", None)),
    ("encoder_conv1d_weight_layout",
     ("encoder", _encoder_conv_layout, "model.1.block.1.conv.conv", None)),
    ("vocoder_convtranspose_weightnorm_axis",
     ("vocoder", _vocoder_wn_axis, "ups.0", None)),
])


def _doc_line(name):
  doc = __doc__.split("Defects:")[1].split("Usage:")[0]
  lines = doc.split("\n")
  for i, line in enumerate(lines):
    if line.strip().startswith(name):
      text = line.strip()[len(name):].strip()
      for more in lines[i + 1:]:
        if not more.startswith(" " * 34) or not more.strip():
          break
        text += " " + more.strip()
      return text
  return ""


def main(argv=None):
  p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  p.add_argument("--out", default=os.path.join(_REPO_ROOT, "reference_dumps"))
  p.add_argument("--no-check", action="store_true", help="skip the NumPy self-check")
  a = p.parse_args(argv)
  torch.set_num_threads(1)
  out_dir = os.path.join(a.out, "defects")
  os.makedirs(out_dir, exist_ok=True)
  cases = []
  for name, (model, factory, expected, hint) in DEFECTS.items():
    model_dir = os.path.join(a.out, model)
    inputs = dump_reference.load_inputs(os.path.join(model_dir, "inputs.npz"))
    entries = dump_reference.dump_model(factory(model_dir), inputs,
                                        os.path.join(out_dir, name + ".npz"))
    ref_names = list(dump_reference.load_inputs(os.path.join(model_dir, "reference.npz")))
    if list(entries) != ref_names:
      raise SystemExit("%s: candidate entry names differ from %s/reference.npz" % (name, model))
    idx = ref_names.index(expected)
    cases.append({
        "name": name, "model": model, "inputs": model + "/inputs.npz",
        "reference": model + "/reference.npz", "candidate": "defects/%s.npz" % name,
        "onnx": model + "/model.onnx",
        "expected_first_divergence": expected,
        "last_matching_before": ref_names[idx - 1],
        "expected_hint": hint,
        "description": _doc_line(name),
    })
  for model in rm.MODELS:
    cases.append({
        "name": model + "_clean_float64", "model": model, "inputs": model + "/inputs.npz",
        "reference": model + "/reference.npz", "candidate": model + "/reference_f64.npz",
        "onnx": model + "/model.onnx",
        "expected_first_divergence": None, "last_matching_before": None, "expected_hint": None,
        "description": "the same model recomputed in float64, stored as float32: must pass",
    })
  listing = {
      "paths_relative_to": "reference_dumps/",
      "naming": "see tools/dump_reference.py: inputs first, module outputs in completion order, "
                "repeated calls name#k",
      "cases": cases,
  }
  tmp = os.path.join(out_dir, "defects.json.tmp-%d" % os.getpid())
  with open(tmp, "w") as f:
    json.dump(listing, f, indent=1)
    f.write("\n")
  os.replace(tmp, os.path.join(out_dir, "defects.json"))
  print("defects: %d cases written to %s" % (len(cases), out_dir))
  if not a.no_check:
    sys.path.insert(0, os.path.join(_REPO_ROOT, "reference_dumps"))
    import check_reference_dumps  # noqa: E402  (reference_dumps/check_reference_dumps.py)
    if check_reference_dumps.main(["--root", a.out]) != 0:
      raise SystemExit("planted defects: self-check failed")
  return 0


if __name__ == "__main__":
  sys.exit(main())
