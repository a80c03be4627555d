#!/usr/bin/python3
"""Checks verify's DEFAULT gate on realistic-size models (not part of the test suite: minutes).

Run from the repository root with Debian's interpreter, after `bazel build //verify:verify`:
  /usr/bin/python3 tests/verify_calibrate_large.py [--models hifigan,dit,lstm,seanet]
      [--verify bazel-bin/verify/verify] [--workdir /tmp/verify_calibrate_large]

Random-weight models at the sizes users port:
  hifigan  HiFi-GAN V1 generator (512 channels, rates 8,8,2,2, kernels 16,16,4,4, resblocks 3,7,11
           with dilations 1,3,5), 48 mel frames (0.56 s at 22.05 kHz, hop 256)
  dit      12 DiT blocks with AdaLN (width 384, 6 heads, MLP x4, exact GELU) over 500 frames
  lstm     text encoder: embedding 512, 3 conv/LayerNorm blocks, 2-layer bidirectional LSTM with
           512 hidden, projection; 200 tokens
  seanet   Encodec-like SEANet encoder (ELU, residual units, strides 2,4,5,8, 2-layer LSTM with
           skip), 1 s of 24 kHz audio
Each model is dumped per module (tools/dump_reference.py's API) in float64 (the reference, kept as
float64), in float32, and in float32 with other but legitimate op orders (every conv, transposed
conv and linear split into two partial sums over the input channels, one thread instead of two),
mimicking another runtime's rounding. Clean cases (f32 vs f64, f32-variant vs f64, f32-variant vs
f32) must PASS verify's defaults; planted defects in the transformer (tanh-GELU, SiLU for GELU,
LayerNorm eps, ...) listed as `must_fail` must FAIL. The metrics of every layer are printed as a
distribution per depth quarter (entry position in execution order), and the verify binary is run
on each pair with its defaults; the script exits 1 when an expectation is not met.

Columns: SQNR (dB), 1 - cosine, misEl = fraction outside atol 1e-4 + rtol 1e-3 * |x| (the old,
per-element band), |d|/rms = max |x - y| / RMS(x), mis = fraction outside verify's band
atol 1e-4 + rtol 1e-3 * max(|x|, RMS(x)). Clean cases also run with every activation scaled by
2^16 (exact in binary floating point: the rounding of a model whose activations are that large).
"""
import argparse
import collections
import json
import math
import os
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, _REPO)
from tools.dump_reference import run_and_record, save_npz  # noqa: E402

# ---------------------------------------------------------------------------------------------
# Models


class ResBlock1(nn.Module):
  def __init__(self, ch, k, dil=(1, 3, 5)):
    super().__init__()
    self.convs1 = nn.ModuleList(nn.Conv1d(ch, ch, k, dilation=d, padding=(k * d - d) // 2)
                                for d in dil)
    self.convs2 = nn.ModuleList(nn.Conv1d(ch, ch, k, padding=(k - 1) // 2) for _ in dil)

  def forward(self, x):
    for c1, c2 in zip(self.convs1, self.convs2):
      xt = c1(F.leaky_relu(x, 0.1))
      xt = c2(F.leaky_relu(xt, 0.1))
      x = xt + x
    return x


class HiFiGAN(nn.Module):
  OUTPUT_NAMES = ["audio"]

  def __init__(self, rates=(8, 8, 2, 2), kernels=(16, 16, 4, 4), ch=512,
               rb_kernels=(3, 7, 11)):
    super().__init__()
    self.conv_pre = nn.Conv1d(80, ch, 7, padding=3)
    self.ups = nn.ModuleList()
    self.resblocks = nn.ModuleList()
    for i, (u, k) in enumerate(zip(rates, kernels)):
      self.ups.append(nn.ConvTranspose1d(ch // 2**i, ch // 2**(i + 1), k, u, padding=(k - u) // 2))
      for rk in rb_kernels:
        self.resblocks.append(ResBlock1(ch // 2**(i + 1), rk))
    self.conv_post = nn.Conv1d(ch // 2**len(rates), 1, 7, padding=3)
    self.nk = len(rb_kernels)
    for m in list(self.ups.modules()) + list(self.resblocks.modules()):
      if isinstance(m, (nn.Conv1d, nn.ConvTranspose1d)):
        m.weight.data.normal_(0.0, 0.01)  # HiFi-GAN's init_weights

  def forward(self, mel):
    x = self.conv_pre(mel)
    for i, up in enumerate(self.ups):
      x = up(F.leaky_relu(x, 0.1))
      xs = sum(self.resblocks[i * self.nk + j](x) for j in range(self.nk))
      x = xs / self.nk
    return torch.tanh(self.conv_post(F.leaky_relu(x)))


class DiTBlock(nn.Module):
  def __init__(self, d, heads, gelu="none", ln_eps=1e-6, act="gelu"):
    super().__init__()
    self.heads = heads
    self.norm1 = nn.LayerNorm(d, elementwise_affine=False, eps=ln_eps)
    self.qkv = nn.Linear(d, 3 * d)
    self.proj = nn.Linear(d, d)
    self.norm2 = nn.LayerNorm(d, elementwise_affine=False, eps=ln_eps)
    self.fc1 = nn.Linear(d, 4 * d)
    self.fc2 = nn.Linear(4 * d, d)
    self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(d, 6 * d))
    self.gelu, self.act = gelu, act

  def forward(self, x, c):
    b, t, d = x.shape
    sh1, sc1, g1, sh2, sc2, g2 = self.adaLN_modulation(c).unsqueeze(1).chunk(6, dim=-1)
    h = self.norm1(x) * (1 + sc1) + sh1
    q, k, v = self.qkv(h).reshape(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
    a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // self.heads), dim=-1) @ v
    x = x + g1 * self.proj(a.transpose(1, 2).reshape(b, t, d))
    h = self.norm2(x) * (1 + sc2) + sh2
    h = self.fc1(h)
    h = F.gelu(h, approximate=self.gelu) if self.act == "gelu" else F.silu(h)
    return x + g2 * self.fc2(h)


class DiT(nn.Module):
  OUTPUT_NAMES = ["output"]

  def __init__(self, d=384, depth=12, heads=6, **defect):
    super().__init__()
    self.x_embed = nn.Linear(80, d)
    self.t_embed = nn.Sequential(nn.Linear(256, d), nn.SiLU(), nn.Linear(d, d))
    self.blocks = nn.ModuleList(DiTBlock(d, heads, **defect) for _ in range(depth))
    self.final_norm = nn.LayerNorm(d, elementwise_affine=False, eps=1e-6)
    self.out = nn.Linear(d, 80)

  def forward(self, x, t):
    c = self.t_embed(t)
    h = self.x_embed(x)
    for b in self.blocks:
      h = b(h, c)
    return self.out(self.final_norm(h))


class TextEncoder(nn.Module):
  OUTPUT_NAMES = ["output"]

  def __init__(self, vocab=178, d=512):
    super().__init__()
    self.embedding = nn.Embedding(vocab, d)
    self.convs = nn.ModuleList(nn.Conv1d(d, d, 5, padding=2) for _ in range(3))
    self.norms = nn.ModuleList(nn.LayerNorm(d) for _ in range(3))
    self.lstm = nn.LSTM(d, d, num_layers=2, bidirectional=True, batch_first=True)
    self.proj = nn.Linear(2 * d, d)

  def forward(self, tokens):
    x = self.embedding(tokens).transpose(1, 2)
    for c, n in zip(self.convs, self.norms):
      x = F.leaky_relu(n(c(x).transpose(1, 2)).transpose(1, 2), 0.2)
    y, _ = self.lstm(x.transpose(1, 2))
    return self.proj(y)


class SEANetResUnit(nn.Module):
  def __init__(self, ch):
    super().__init__()
    self.block = nn.Sequential(nn.ELU(), nn.Conv1d(ch, ch // 2, 3, padding=1), nn.ELU(),
                               nn.Conv1d(ch // 2, ch, 1))
    self.shortcut = nn.Conv1d(ch, ch, 1)

  def forward(self, x):
    return self.shortcut(x) + self.block(x)


class SEANetLSTM(nn.Module):
  def __init__(self, d):
    super().__init__()
    self.lstm = nn.LSTM(d, d, num_layers=2)

  def forward(self, x):  # [B, C, T]
    y, _ = self.lstm(x.permute(2, 0, 1))
    return (y + x.permute(2, 0, 1)).permute(1, 2, 0)


class SEANetEncoder(nn.Module):
  OUTPUT_NAMES = ["output"]

  def __init__(self, ch=32, ratios=(2, 4, 5, 8), dim=128):
    super().__init__()
    layers = [nn.Conv1d(1, ch, 7, padding=3)]
    for r in ratios:
      layers += [SEANetResUnit(ch), nn.ELU(), nn.Conv1d(ch, 2 * ch, 2 * r, stride=r, padding=r // 2)]
      ch *= 2
    layers += [SEANetLSTM(ch), nn.ELU(), nn.Conv1d(ch, dim, 7, padding=3)]
    self.model = nn.Sequential(*layers)

  def forward(self, audio):
    return self.model(audio)


def make_inputs(name, rng):
  if name == "hifigan":
    return {"mel": (rng.standard_normal((1, 80, 48)) * 2 - 5).astype(np.float32)}
  if name == "dit":
    return {"x": rng.standard_normal((1, 500, 80)).astype(np.float32),
            "t": rng.standard_normal((1, 256)).astype(np.float32)}
  if name == "lstm":
    return {"tokens": rng.integers(0, 178, (1, 200)).astype(np.int64)}
  if name == "seanet":
    t = np.arange(24000) / 24000.0
    a = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(24000)
    return {"audio": a.reshape(1, 1, -1).astype(np.float32)}
  raise ValueError(name)


FACTORIES = {"hifigan": HiFiGAN, "dit": DiT, "lstm": TextEncoder, "seanet": SEANetEncoder}

# Planted defects of the transformer: constructor changes (or a state-dict edit) applied to the
# float32 candidate. `must_fail` ones are the product's promise; the others are reported only.
DEFECTS = [
    ("tanh_gelu", dict(gelu="tanh"), None, True),
    ("silu_for_gelu", dict(act="silu"), None, True),
    ("ln_eps_1e-5", dict(ln_eps=1e-5), None, False),
    ("qkv_bias_dropped", {}, lambda sd: sd.__setitem__("blocks.0.qkv.bias",
                                                       torch.zeros_like(sd["blocks.0.qkv.bias"])),
     True),
    ("fc1_weights_bf16", {}, lambda sd: sd.__setitem__(
        "blocks.0.fc1.weight", sd["blocks.0.fc1.weight"].to(torch.bfloat16).double()), False),
    ("fc1_weights_f16", {}, lambda sd: sd.__setitem__(
        "blocks.0.fc1.weight", sd["blocks.0.fc1.weight"].half().double()), False),
]

# ---------------------------------------------------------------------------------------------
# The "other runtime" variant: every conv / transposed conv / linear summed as two partial sums
# over the input channels (a legitimate reordering of the same float32 arithmetic).

_ORIG = {n: getattr(F, n) for n in ("conv1d", "conv_transpose1d", "linear")}


def _split(n):
  return n // 2 if n >= 2 else None


def _conv1d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
  h = _split(w.shape[1])
  if groups != 1 or h is None or isinstance(padding, str):
    return _ORIG["conv1d"](x, w, b, stride, padding, dilation, groups)
  a = _ORIG["conv1d"](x[:, :h], w[:, :h], None, stride, padding, dilation)
  return a + _ORIG["conv1d"](x[:, h:], w[:, h:], b, stride, padding, dilation)


def _conv_t1d(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
  h = _split(w.shape[0])
  if groups != 1 or h is None:
    return _ORIG["conv_transpose1d"](x, w, b, stride, padding, output_padding, groups, dilation)
  a = _ORIG["conv_transpose1d"](x[:, :h], w[:h], None, stride, padding, output_padding, 1, dilation)
  return a + _ORIG["conv_transpose1d"](x[:, h:], w[h:], b, stride, padding, output_padding, 1,
                                       dilation)


def _linear(x, w, b=None):
  h = _split(w.shape[1])
  if h is None:
    return _ORIG["linear"](x, w, b)
  return _ORIG["linear"](x[..., :h], w[:, :h], b) + _ORIG["linear"](x[..., h:], w[:, h:])


_STEP = 16  # input channels per partial product of the sequential-accumulation variant


def _seq_conv1d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
  if groups != 1 or isinstance(padding, str) or w.shape[1] <= _STEP:
    return _ORIG["conv1d"](x, w, b, stride, padding, dilation, groups)
  acc = None
  for k in range(0, w.shape[1], _STEP):
    p = _ORIG["conv1d"](x[:, k:k + _STEP], w[:, k:k + _STEP], None, stride, padding, dilation)
    acc = p if acc is None else acc + p
  return acc if b is None else acc + b.view(1, -1, 1)


def _seq_linear(x, w, b=None):
  if w.shape[1] <= _STEP:
    return _ORIG["linear"](x, w, b)
  acc = None
  for k in range(0, w.shape[1], _STEP):
    p = _ORIG["linear"](x[..., k:k + _STEP], w[:, k:k + _STEP])
    acc = p if acc is None else acc + p
  return acc if b is None else acc + b


class Variant:
  """Another runtime's float32 rounding. `split`: every conv / transposed conv / linear as two
  partial sums over the input channels, one thread. `seq`: convs and linears accumulated
  sequentially in float32 over blocks of 16 input channels (a naive kernel's summation order)."""

  def __init__(self, kind="split"):
    self.kind = kind

  def __enter__(self):
    self.threads = torch.get_num_threads()
    if self.kind == "split":
      torch.set_num_threads(1)
      F.conv1d, F.conv_transpose1d, F.linear = _conv1d, _conv_t1d, _linear
    else:
      F.conv1d, F.linear = _seq_conv1d, _seq_linear

  def __exit__(self, *exc):
    F.conv1d, F.conv_transpose1d, F.linear = (_ORIG["conv1d"], _ORIG["conv_transpose1d"],
                                              _ORIG["linear"])
    torch.set_num_threads(self.threads)
    return False


# ---------------------------------------------------------------------------------------------
# Metrics (NumPy, the same definitions as verify/metrics.h)


def metrics(x, y, atol=1e-4, rtol=1e-3):
  x = x.astype(np.float64).ravel()
  y = y.astype(np.float64).ravel()
  d = y - x
  sxx, sdd = float(x @ x), float(d @ d)
  rms = math.sqrt(sxx / max(x.size, 1))
  sqnr = math.inf if sdd == 0 else (10 * math.log10(sxx / sdd) if sxx > 0 else -math.inf)
  den = math.sqrt(sxx * float(y @ y))
  cos = 1.0 if den == 0 else float(x @ y) / den
  ad = np.abs(d)
  mis = float(np.mean(ad > atol + rtol * np.abs(x)))
  # Scale-relative element error: |d| / RMS(x) (depth- and scale-independent).
  rel_rms = float(ad.max() / rms) if rms > 0 else (0.0 if ad.max() == 0 else math.inf)
  mis_rms = float(np.mean(ad > atol + rtol * np.maximum(np.abs(x), rms)))  # verify's band
  return dict(sqnr=sqnr, one_minus_cos=1 - cos, mismatch=mis, max_abs_over_rms=rel_rms,
              mismatch_rms_band=mis_rms, rms=rms)


def describe(name, ref, cand):
  """Per-layer metrics grouped by depth quarter; returns the list of per-layer dicts."""
  names = [n for n in ref if n in cand and np.issubdtype(ref[n].dtype, np.floating)]
  rows = []
  for i, n in enumerate(names):
    m = metrics(ref[n], cand[n])
    m["name"], m["depth"] = n, i / max(len(names) - 1, 1)
    rows.append(m)
  print(f"  {name}: {len(rows)} layers")
  print(f"    {'depth':9s} {'n':>3s} {'SQNR min':>9s} {'SQNR med':>9s} {'1-cos max':>10s} "
        f"{'misEl max':>9s} {'|d|/rms max':>11s} {'mis max':>8s}")
  for q in range(4):
    sel = [r for r in rows if q / 4 <= r["depth"] < (q + 1) / 4 or (q == 3 and r["depth"] == 1)]
    if not sel:
      continue
    s = [r["sqnr"] for r in sel]
    print(f"    {'%d-%d%%' % (25 * q, 25 * q + 25):9s} {len(sel):3d} {min(s):9.1f} "
          f"{float(np.median(s)):9.1f} {max(r['one_minus_cos'] for r in sel):10.2e} "
          f"{max(r['mismatch'] for r in sel):9.5f} "
          f"{max(r['max_abs_over_rms'] for r in sel):11.2e} "
          f"{max(r['mismatch_rms_band'] for r in sel):8.5f}")
  worst = min(rows, key=lambda r: r["sqnr"])
  wm = max(rows, key=lambda r: r["mismatch_rms_band"])
  print(f"    worst SQNR: {worst['name']} {worst['sqnr']:.1f} dB; worst mismatch (verify's band): "
        f"{wm['name']} {wm['mismatch_rms_band']:.5f}; per element: "
        f"{max(r['mismatch'] for r in rows):.5f}")
  return rows


def run_verify(binary, ref_path, cand_path, json_path):
  """Runs verify with its defaults; returns (exit code, failing layer names, first divergence)."""
  p = subprocess.run([binary, "--layer-diff", "--reference", ref_path, "--candidate", cand_path,
                      "--json", json_path, "--color", "never"], capture_output=True, text=True)
  if p.returncode not in (0, 1):
    raise RuntimeError("verify exited %d: %s" % (p.returncode, p.stderr.strip() or p.stdout[-500:]))
  with open(json_path) as f:
    r = json.load(f)
  fails = [l["name"] for l in r["layers"] if l["status"] == "fail"]
  reasons = [l["reason"] for l in r["layers"] if l["status"] == "fail"]
  return p.returncode, fails, reasons, r.get("first_divergence")


def main():
  ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  ap.add_argument("--models", default="hifigan,dit,lstm,seanet")
  ap.add_argument("--verify", default=os.path.join(_REPO, "bazel-bin/verify/verify"))
  ap.add_argument("--workdir", default="/tmp/verify_calibrate_large")
  a = ap.parse_args()
  os.makedirs(a.workdir, exist_ok=True)
  torch.set_num_threads(2)
  have_verify = os.access(a.verify, os.X_OK)
  if not have_verify:
    print(f"note: {a.verify} not found: metrics only (bazel build //verify:verify)")
  problems = []

  def check(label, ref, cand, must_pass):
    rows = describe(label, ref, cand)
    if not have_verify:
      return rows
    rp, cp = (os.path.join(a.workdir, f"{label}.{s}.npz") for s in ("ref", "cand"))
    save_npz(ref, rp)
    save_npz(cand, cp)
    rc, fails, reasons, first = run_verify(a.verify, rp, cp, os.path.join(a.workdir, label + ".json"))
    verdict = "PASS" if rc == 0 else "FAIL"
    want = "pass" if must_pass else ("fail" if must_pass is False else "either")
    print(f"    verify: {verdict} ({len(fails)} failing layers; first divergence {first}"
          f"{': ' + reasons[0] if reasons else ''}) [expected: {want}]")
    if (must_pass is True and rc != 0) or (must_pass is False and rc != 1):
      problems.append(f"{label}: verify {verdict}, expected {want}")
    return rows

  for name in a.models.split(","):
    t0 = time.time()
    torch.manual_seed(0)
    inputs = make_inputs(name, np.random.default_rng(0))
    model = FACTORIES[name]().double().eval()
    sd = {k: v.clone() for k, v in model.state_dict().items()}
    ref = run_and_record(model, inputs, "float64", keep_dtype=True)
    m32 = FACTORIES[name]()
    m32.load_state_dict(sd)
    f32 = run_and_record(m32, inputs, "float32")
    with Variant("split"):
      var = run_and_record(m32, inputs, "float32")
    with Variant("seq"):
      seq = run_and_record(m32, inputs, "float32")
    print(f"{name}: {len(ref)} entries, reference RMS of output "
          f"{float(np.sqrt(np.mean(list(ref.values())[-1] ** 2))):.3g} ({time.time() - t0:.0f} s)")
    check(f"{name}.f32_vs_f64", ref, f32, True)
    check(f"{name}.variant_vs_f64", ref, var, True)
    check(f"{name}.variant_vs_f32", f32, var, True)
    check(f"{name}.seqacc_vs_f64", ref, seq, True)
    # Float rounding is relative: the same model with every activation 2^16 times larger (an
    # exact power-of-two scaling, as int16-scaled audio) must pass as well.
    big = 2.0 ** 16
    check(f"{name}.f32_vs_f64_x65536", {k: v * big if np.issubdtype(v.dtype, np.floating) else v
                                       for k, v in ref.items()},
          {k: v * np.float32(big) if np.issubdtype(v.dtype, np.floating) else v
           for k, v in f32.items()}, True)
    if name == "dit":
      for dname, kwargs, edit, must_fail in DEFECTS:
        mdef = DiT(**kwargs)
        dsd = dict(sd)
        if edit:
          edit(dsd)
        mdef.load_state_dict(dsd)
        bad = run_and_record(mdef, inputs, "float32")
        check(f"dit.defect_{dname}", ref, bad, False if must_fail else None)
      # tanh-GELU is hardest to see when the MLP's pre-activations are large (most of them then
      # lie where both GELUs agree): fc1 scaled by k, fc2 by 1/k (the clean function is unchanged
      # up to GELU's curvature), up to an fc1 output RMS of about 9.
      for k in (4, 16):
        ssd = dict(sd)
        for key in list(ssd):
          if ".fc1." in key:
            ssd[key] = sd[key] * k
          elif key.endswith(".fc2.weight"):
            ssd[key] = sd[key] / k
        mref = DiT().double()
        mref.load_state_dict(ssd)
        sref = run_and_record(mref, inputs, "float64", keep_dtype=True)
        m_clean, m_bad = DiT(), DiT(gelu="tanh")
        m_clean.load_state_dict(ssd)
        m_bad.load_state_dict(ssd)
        print(f"  fc1 x{k}: fc1 output RMS {float(np.sqrt(np.mean(sref['blocks.0.fc1'] ** 2))):.2f}")
        check(f"dit.fc1x{k}.f32_vs_f64", sref, run_and_record(m_clean, inputs, "float32"), True)
        check(f"dit.fc1x{k}.defect_tanh_gelu", sref, run_and_record(m_bad, inputs, "float32"),
              False)
    print(f"  ({time.time() - t0:.0f} s)")
  if problems:
    print("EXPECTATIONS NOT MET:\n  " + "\n  ".join(problems))
    return 1
  print("all clean cases pass and every must-fail defect fails under verify's defaults")
  return 0


if __name__ == "__main__":
  sys.exit(main())
