"""Tiny, deterministic versions of the audio/TTS models tensorport users port.

Each model is built from plain torch.nn modules, named the way the real projects name them, so that
checkpoints, ONNX exports and per-module dumps look like the real thing at a few tens of KB:

  TinyVocoder      HiFi-GAN/BigVGAN-like generator: weight-norm Conv1d `conv_pre`, weight-norm
                   ConvTranspose1d upsamplers `ups.N`, AMP resblocks `resblocks.N` (`convs1.M`,
                   `convs2.M`, Snake `activations.M`), a shared LeakyReLU `lrelu` called once per
                   upsampling stage (dump names `lrelu`, `lrelu#1`), Snake `activation_post`,
                   `conv_post`, tanh. Input `mel` [B, n_mels, T], output `audio` [B, 1, T * 8].
  TinySEANetEncoder  Encodec/SEANet-like encoder: `model.N` Sequential of SConv1d (`conv.conv` is a
                   weight-norm Conv1d, reflect padding), residual units (`block.M`, `shortcut`), ELU,
                   strided downsampling convs, SLSTM (`lstm`, 2 layers, skip), final conv.
                   Input `audio` [B, 1, T] (T a multiple of 8), output `latent` [B, 16, T / 8].
  TinyDiTBlock     DiT block with AdaLN: `norm1`/`norm2` LayerNorm(elementwise_affine=False),
                   `adaLN_modulation` = Sequential(SiLU, Linear) chunked into shift/scale/gate,
                   `attn.qkv` fused, softmax attention, `attn.proj`, `mlp.fc1`, `mlp.act` (exact
                   GELU), `mlp.fc2`. Inputs `x` [B, N, 32] and `c` [B, 32], output `out` [B, N, 32].
  TinyTextEncoder  Kokoro/StyleTTS2-like text encoder: `embedding`, `cnn.N` = Sequential(weight-norm
                   Conv1d, GroupNorm(1, C), LeakyReLU), bidirectional `lstm`. Input `tokens` int64
                   [B, T], output `features` [B, 32, T].

Every constructor seeds its own generator (`seed=`), so the same arguments give the same weights on
every machine. Weight norm uses torch.nn.utils.weight_norm (PyTorch 1.13: `weight_g`/`weight_v`);
the gains are perturbed away from ||v|| so that fusing them matters.

Example:
  import sys; sys.path.insert(0, "path/to/tensorport")
  from tools import reference_models as rm
  model = rm.build("vocoder")                    # eval mode, seeded
  audio = model(torch.from_numpy(rm.make_inputs("vocoder")["mel"]))

For the converter's presets: parametrizations_state_dict() renames weight_g/weight_v to
`parametrizations.weight.original0/1`, kokoro_style_checkpoint() builds a dict of `module.`-prefixed
component state dicts (`text_encoder`, `decoder`).

Each class carries INPUT_NAMES, OUTPUT_NAMES and DYNAMIC_AXES, which tools/dump_reference.py and
tools/export_onnx.py use as defaults.
"""

import math

import numpy as np
import torch
from torch import nn
from torch.nn.utils import weight_norm


def _init_weights(module, generator):
  """Variance-preserving init so activations keep a useful scale through the stack."""
  for m in module.modules():
    if isinstance(m, (nn.Conv1d, nn.ConvTranspose1d, nn.Linear)):
      w = m.weight
      if isinstance(m, nn.ConvTranspose1d):
        # [in, out, k]: each output sums in * k / stride products.
        fan_in = w.shape[0] * w.shape[2] / m.stride[0]
      else:
        fan_in = w[0].numel()
      with torch.no_grad():
        w.copy_(torch.randn(w.shape, generator=generator) / math.sqrt(fan_in))
        if m.bias is not None:
          m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=generator))
    elif isinstance(m, nn.LSTM):
      with torch.no_grad():
        for p in m.parameters():
          p.copy_((torch.rand(p.shape, generator=generator) * 2 - 1) / math.sqrt(m.hidden_size))
    elif isinstance(m, nn.Embedding):
      with torch.no_grad():
        m.weight.copy_(torch.randn(m.weight.shape, generator=generator))
    elif isinstance(m, nn.GroupNorm) and m.affine:
      with torch.no_grad():
        m.weight.copy_(1 + 0.2 * torch.randn(m.weight.shape, generator=generator))
        m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=generator))


def _apply_weight_norm_and_perturb(module, generator):
  """Wraps every Conv1d/ConvTranspose1d flagged `_wn` in weight norm with gains != ||v||."""
  for m in module.modules():
    if getattr(m, "_wn", False):
      weight_norm(m)  # dim=0: out channel for Conv1d, *in* channel for ConvTranspose1d.
      with torch.no_grad():
        g = m.weight_g
        g.mul_(0.7 + 0.6 * torch.rand(g.shape, generator=generator))


def _wn(conv):
  conv._wn = True
  return conv


# ----------------------------------------------------------------------------------------------
# HiFi-GAN / BigVGAN-like vocoder
# ----------------------------------------------------------------------------------------------
class Snake(nn.Module):
  """BigVGAN Snake: x + 1/alpha * sin^2(alpha * x), one alpha per channel."""

  def __init__(self, channels):
    super().__init__()
    self.alpha = nn.Parameter(torch.ones(channels))

  def forward(self, x):
    alpha = self.alpha.unsqueeze(0).unsqueeze(-1)
    return x + (1.0 / (alpha + 1e-9)) * torch.sin(x * alpha).pow(2)


class AMPBlock1(nn.Module):
  """BigVGAN AMPBlock1 without anti-aliasing: (Snake, dilated conv, Snake, conv) + skip."""

  def __init__(self, channels, kernel_size, dilation=(1, 3)):
    super().__init__()
    self.convs1 = nn.ModuleList([
        _wn(nn.Conv1d(channels, channels, kernel_size, 1, dilation=d,
                      padding=(kernel_size * d - d) // 2)) for d in dilation])
    self.convs2 = nn.ModuleList([
        _wn(nn.Conv1d(channels, channels, kernel_size, 1, dilation=1,
                      padding=(kernel_size - 1) // 2)) for _ in dilation])
    self.activations = nn.ModuleList([Snake(channels) for _ in range(2 * len(dilation))])

  def forward(self, x):
    acts1, acts2 = self.activations[::2], self.activations[1::2]
    for c1, c2, a1, a2 in zip(self.convs1, self.convs2, acts1, acts2):
      xt = a1(x)
      xt = c1(xt)
      xt = a2(xt)
      xt = c2(xt)
      x = xt + x
    return x


class TinyVocoder(nn.Module):
  INPUT_NAMES = ["mel"]
  OUTPUT_NAMES = ["audio"]
  DYNAMIC_AXES = {"mel": {0: "batch", 2: "frames"}, "audio": {0: "batch", 2: "samples"}}

  def __init__(self, n_mels=8, channels=32, upsample_rates=(4, 2), upsample_kernel_sizes=(8, 4),
               resblock_kernel_sizes=(3, 5), resblock_dilations=(1, 3), seed=0):
    super().__init__()
    gen = torch.Generator().manual_seed(seed)
    self.num_kernels = len(resblock_kernel_sizes)
    self.conv_pre = _wn(nn.Conv1d(n_mels, channels, 7, 1, padding=3))
    self.ups = nn.ModuleList()
    self.resblocks = nn.ModuleList()
    ch = channels
    for u, k in zip(upsample_rates, upsample_kernel_sizes):
      self.ups.append(_wn(nn.ConvTranspose1d(ch, ch // 2, k, u, padding=(k - u) // 2)))
      ch //= 2
      for rk in resblock_kernel_sizes:
        self.resblocks.append(AMPBlock1(ch, rk, resblock_dilations))
    self.lrelu = nn.LeakyReLU(0.1)
    self.activation_post = Snake(ch)
    self.conv_post = _wn(nn.Conv1d(ch, 1, 7, 1, padding=3))
    _init_weights(self, gen)
    with torch.no_grad():
      for m in self.modules():
        if isinstance(m, Snake):
          m.alpha.copy_(0.5 + torch.rand(m.alpha.shape, generator=gen))
      # Keep the tanh output mostly out of saturation.
      self.conv_post.weight.mul_(0.3)
    _apply_weight_norm_and_perturb(self, gen)

  def forward(self, mel):
    x = self.conv_pre(mel)
    for i, up in enumerate(self.ups):
      x = self.lrelu(x)
      x = up(x)
      xs = None
      for j in range(self.num_kernels):
        y = self.resblocks[i * self.num_kernels + j](x)
        xs = y if xs is None else xs + y
      x = xs / self.num_kernels
    x = self.activation_post(x)
    x = self.conv_post(x)
    return torch.tanh(x)


# ----------------------------------------------------------------------------------------------
# Encodec / SEANet-like encoder
# ----------------------------------------------------------------------------------------------
class NormConv1d(nn.Module):
  def __init__(self, *args, **kwargs):
    super().__init__()
    self.conv = _wn(nn.Conv1d(*args, **kwargs))

  def forward(self, x):
    return self.conv(x)


class SConv1d(nn.Module):
  """Encodec SConv1d (non-causal): reflect padding of (k-1)*d-(s-1), then the conv.

  Unlike Encodec, no extra right padding is added for lengths that are not a multiple of the stride
  (that needs shape arithmetic); inputs must have T divisible by the total stride.
  """

  def __init__(self, in_channels, out_channels, kernel_size, stride=1, dilation=1):
    super().__init__()
    self.conv = NormConv1d(in_channels, out_channels, kernel_size, stride, dilation=dilation)
    total = (kernel_size - 1) * dilation - (stride - 1)
    self.padding = (total - total // 2, total // 2)

  def forward(self, x):
    return self.conv(nn.functional.pad(x, self.padding, mode="reflect"))


class SEANetResnetBlock(nn.Module):
  def __init__(self, dim, kernel_size=3, dilation=1, compress=2):
    super().__init__()
    hidden = dim // compress
    self.block = nn.Sequential(
        nn.ELU(alpha=1.0), SConv1d(dim, hidden, kernel_size, dilation=dilation),
        nn.ELU(alpha=1.0), SConv1d(hidden, dim, 1))
    self.shortcut = SConv1d(dim, dim, 1)

  def forward(self, x):
    return self.shortcut(x) + self.block(x)


class SLSTM(nn.Module):
  def __init__(self, dim, num_layers=2):
    super().__init__()
    self.lstm = nn.LSTM(dim, dim, num_layers)

  def forward(self, x):
    x = x.permute(2, 0, 1)
    y, _ = self.lstm(x)
    y = y + x
    return y.permute(1, 2, 0)


class TinySEANetEncoder(nn.Module):
  INPUT_NAMES = ["audio"]
  OUTPUT_NAMES = ["latent"]
  DYNAMIC_AXES = {"audio": {0: "batch", 2: "samples"}, "latent": {0: "batch", 2: "frames"}}

  def __init__(self, channels=1, dimension=16, n_filters=8, ratios=(2, 4), kernel_size=7,
               last_kernel_size=7, seed=0):
    super().__init__()
    gen = torch.Generator().manual_seed(seed)
    mult = 1
    layers = [SConv1d(channels, mult * n_filters, kernel_size)]
    for ratio in ratios:
      layers += [SEANetResnetBlock(mult * n_filters), nn.ELU(alpha=1.0),
                 SConv1d(mult * n_filters, mult * n_filters * 2, ratio * 2, stride=ratio)]
      mult *= 2
    layers += [SLSTM(mult * n_filters, num_layers=2), nn.ELU(alpha=1.0),
               SConv1d(mult * n_filters, dimension, last_kernel_size)]
    self.model = nn.Sequential(*layers)
    _init_weights(self, gen)
    _apply_weight_norm_and_perturb(self, gen)

  def forward(self, audio):
    return self.model(audio)


# ----------------------------------------------------------------------------------------------
# DiT block with AdaLN
# ----------------------------------------------------------------------------------------------
def modulate(x, shift, scale):
  return x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1)


class Attention(nn.Module):
  def __init__(self, dim, num_heads):
    super().__init__()
    self.num_heads = num_heads
    self.scale = (dim // num_heads) ** -0.5
    self.qkv = nn.Linear(dim, dim * 3)
    self.proj = nn.Linear(dim, dim)

  def forward(self, x):
    b, n, c = x.shape
    qkv = self.qkv(x).reshape(b, n, 3, self.num_heads, c // self.num_heads).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    attn = (q @ k.transpose(-2, -1)) * self.scale
    attn = attn.softmax(dim=-1)
    x = (attn @ v).transpose(1, 2).reshape(b, n, c)
    return self.proj(x)


class Mlp(nn.Module):
  def __init__(self, dim, hidden):
    super().__init__()
    self.fc1 = nn.Linear(dim, hidden)
    self.act = nn.GELU()  # exact (erf) GELU
    self.fc2 = nn.Linear(hidden, dim)

  def forward(self, x):
    return self.fc2(self.act(self.fc1(x)))


class TinyDiTBlock(nn.Module):
  INPUT_NAMES = ["x", "c"]
  OUTPUT_NAMES = ["out"]
  DYNAMIC_AXES = {"x": {0: "batch", 1: "tokens"}, "c": {0: "batch"},
                  "out": {0: "batch", 1: "tokens"}}

  def __init__(self, hidden_size=32, num_heads=4, mlp_ratio=4.0, seed=0):
    super().__init__()
    gen = torch.Generator().manual_seed(seed)
    self.norm1 = nn.LayerNorm(hidden_size, elementwise_affine=False, eps=1e-6)
    self.attn = Attention(hidden_size, num_heads)
    self.norm2 = nn.LayerNorm(hidden_size, elementwise_affine=False, eps=1e-6)
    self.mlp = Mlp(hidden_size, int(hidden_size * mlp_ratio))
    self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(hidden_size, 6 * hidden_size))
    _init_weights(self, gen)
    with torch.no_grad():
      # Real DiT zero-inits this layer; random values make every chunk matter. Scaled so that
      # shift/scale/gate are O(0.5): large enough for every AdaLN defect to show.
      self.adaLN_modulation[1].weight.mul_(0.5)

  def forward(self, x, c):
    (shift_msa, scale_msa, gate_msa,
     shift_mlp, scale_mlp, gate_mlp) = self.adaLN_modulation(c).chunk(6, dim=1)
    x = x + gate_msa.unsqueeze(1) * self.attn(modulate(self.norm1(x), shift_msa, scale_msa))
    x = x + gate_mlp.unsqueeze(1) * self.mlp(modulate(self.norm2(x), shift_mlp, scale_mlp))
    return x


# ----------------------------------------------------------------------------------------------
# Kokoro / StyleTTS2-like text encoder
# ----------------------------------------------------------------------------------------------
class TinyTextEncoder(nn.Module):
  INPUT_NAMES = ["tokens"]
  OUTPUT_NAMES = ["features"]
  DYNAMIC_AXES = {"tokens": {0: "batch", 1: "tokens"}, "features": {0: "batch", 2: "tokens"}}

  def __init__(self, n_symbols=40, channels=32, kernel_size=5, depth=2, seed=0):
    super().__init__()
    gen = torch.Generator().manual_seed(seed)
    self.embedding = nn.Embedding(n_symbols, channels)
    self.cnn = nn.ModuleList([
        nn.Sequential(
            _wn(nn.Conv1d(channels, channels, kernel_size, padding=(kernel_size - 1) // 2)),
            nn.GroupNorm(1, channels),
            nn.LeakyReLU(0.2)) for _ in range(depth)])
    self.lstm = nn.LSTM(channels, channels // 2, 1, batch_first=True, bidirectional=True)
    _init_weights(self, gen)
    _apply_weight_norm_and_perturb(self, gen)

  def forward(self, tokens):
    x = self.embedding(tokens)  # [B, T, C]
    x = x.transpose(1, 2)       # [B, C, T]
    for block in self.cnn:
      x = block(x)
    x = x.transpose(1, 2)
    x, _ = self.lstm(x)
    return x.transpose(1, 2)


# ----------------------------------------------------------------------------------------------
# Registry used by make_reference_dumps.py and planted_defects.py.
# ----------------------------------------------------------------------------------------------
MODELS = {
    "vocoder": TinyVocoder,
    "encoder": TinySEANetEncoder,
    "dit": TinyDiTBlock,
    "text_encoder": TinyTextEncoder,
}


def build(name, seed=0):
  """Returns the named reference model, seeded, in eval mode."""
  return MODELS[name](seed=seed).eval()


def make_inputs(name, seed=1):
  """Small deterministic inputs (dict name -> np.ndarray, in forward-argument order)."""
  rng = np.random.default_rng(seed)
  if name == "vocoder":
    # A log-mel-like input in [-11.5, 0]-ish range is what vocoders see; keep it moderate.
    return {"mel": (rng.standard_normal((1, 8, 16)) - 1.0).astype(np.float32)}
  if name == "encoder":
    t = np.arange(256) / 256.0
    audio = 0.5 * np.sin(2 * np.pi * 7 * t) + 0.1 * rng.standard_normal(256)
    return {"audio": audio.reshape(1, 1, 256).astype(np.float32)}
  if name == "dit":
    return {"x": rng.standard_normal((1, 16, 32)).astype(np.float32),
            "c": rng.standard_normal((1, 32)).astype(np.float32)}
  if name == "text_encoder":
    return {"tokens": rng.integers(0, 40, size=(1, 12)).astype(np.int64)}
  raise KeyError(name)


def parametrizations_state_dict(state_dict):
  """Renames `X.weight_g`/`X.weight_v` to the newer `X.parametrizations.weight.original0/1`.

  PyTorch 1.13 only has the old weight_norm; checkpoints from newer PyTorch (and newer HiFi-GAN,
  BigVGAN, Kokoro releases) use the parametrization names. Same tensors, new names.
  """
  out = {}
  for k, v in state_dict.items():
    if k.endswith(".weight_g"):
      k = k[:-len("weight_g")] + "parametrizations.weight.original0"
    elif k.endswith(".weight_v"):
      k = k[:-len("weight_v")] + "parametrizations.weight.original1"
    out[k] = v
  return out


def kokoro_style_checkpoint(seed=0):
  """A Kokoro-style checkpoint: a dict of component state dicts with `module.` key prefixes
  (as saved from nn.DataParallel), components `text_encoder` and `decoder` (the vocoder), with weight
  norm under the parametrization names."""
  def component(name):
    sd = parametrizations_state_dict(build(name, seed).state_dict())
    return {"module." + k: v for k, v in sd.items()}
  return {"text_encoder": component("text_encoder"), "decoder": component("vocoder")}
