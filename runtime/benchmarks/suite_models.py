"""The runtime benchmark suite: six real architectures with random weights (fixed seeds), exported
by PyTorch 1.13 the way a user would export them, with their inputs.

| name | architecture | full size (benchmark) |
| --- | --- | --- |
| mbv3_det | torchvision MobileNetV3-Large features + a DB-style FPN text-detection head (nearest and bilinear Resize, Concat, BatchNorm kept as nodes, Clip, HardSigmoid, ConvTranspose) | image [1, 3, 480, 640] |
| resnet50 | torchvision ResNet-50 | image [1, 3, 224, 224] |
| wav2vec2 | wav2vec2-base-sized encoder: 7-layer conv feature extractor (GroupNorm, GELU), projection, weight-normed grouped positional conv, 12 post-LN transformer layers (768 wide, 12 heads, FFN 3072) | 1 s of 16 kHz audio |
| hifigan | HiFi-GAN V1-shaped generator (512 channels, rates 8 8 2 2, MRF kernels 3 7 11) | 100 mel frames |
| dit_block | one DiT block (adaLN-Zero, 8-head attention, GELU MLP), width 512 | 500 frames |
| rnn | a recurrent acoustic model: Conv1d front-end, 2-layer bidirectional LSTM, GRU, Linear | 400 frames |

`--size small` exports the same architectures at test size (fewer channels / layers, small inputs)
for the tests that run in `bazel test //...`.

mbv3_det is exported at opset 13 with `TrainingMode.PRESERVE` (BatchNormalization stays a node
and hard-swish is written as HardSigmoid + Mul, as exporters without Conv+BN folding or opset-14
ops produce it); dit_block at opset 16 (LayerNorm without affine decomposed, see the exporter
notes in the project's environment facts); the rest at 17 (LayerNormalization nodes).

Each model is written as OUT/<name>.onnx with its inputs as raw little-endian float32
(OUT/<name>.<input>.f32) listed with their shapes in OUT/<name>.inputs.txt ("name dims..."), as
OUT/<name>.inputs.npz and as OUT/<name>.inputs.pb (a GraphProto holding them as initializers), so
the C++ runner, ONNX Runtime and the tests feed the same data.

Usage: /usr/bin/python3 suite_models.py OUT_DIR [--size full|small] [--models a,b]
"""
import argparse
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from onnx import helper, numpy_helper

# ---------------------------------------------------------------------------------------------
# mbv3_det: MobileNetV3 backbone + DB-style FPN head.


class DbFpnHead(nn.Module):
    """Top-down FPN (1x1 lateral convs, nearest x2 upsampling, adds), 3x3 smoothing convs, bilinear
    upsampling of every level to stride 4, Concat, then the DB probability head."""

    def __init__(self, in_channels, inner=96):
        super().__init__()
        self.lateral = nn.ModuleList([nn.Conv2d(c, inner, 1, bias=False) for c in in_channels])
        self.smooth = nn.ModuleList(
            [nn.Conv2d(inner, inner // 4, 3, padding=1, bias=False) for _ in in_channels])
        q = inner // 4
        self.head = nn.Sequential(
            nn.Conv2d(inner, q, 3, padding=1, bias=False), nn.BatchNorm2d(q), nn.ReLU(),
            nn.ConvTranspose2d(q, q, 2, 2), nn.BatchNorm2d(q), nn.ReLU(),
            nn.ConvTranspose2d(q, 1, 2, 2), nn.Sigmoid())

    def forward(self, feats):
        lat = [l(f) for l, f in zip(self.lateral, feats)]
        p = [lat[-1]]
        for x in reversed(lat[:-1]):
            p.insert(0, x + F.interpolate(p[0], scale_factor=2.0, mode="nearest"))
        outs = []
        for i, (s, x) in enumerate(zip(self.smooth, p)):
            y = s(x)
            if i > 0:
                y = F.interpolate(y, scale_factor=float(2 ** i), mode="bilinear",
                                  align_corners=False)
            outs.append(y)
        return self.head(torch.cat(outs[::-1], dim=1))


class Mbv3Detector(nn.Module):
    TAPS = (3, 6, 12, 16)  # MobileNetV3-Large feature indices at strides 4, 8, 16, 32

    def __init__(self, width_mult=1.0):
        super().__init__()
        self.features = torchvision.models.mobilenet_v3_large(width_mult=width_mult).features
        x = torch.zeros(1, 3, 64, 64)
        chans = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in self.TAPS:
                chans.append(x.shape[1])
        self.fpn = DbFpnHead(chans)
        # Non-trivial BatchNorm statistics (fresh modules have mean 0, var 1).
        g = torch.Generator().manual_seed(1)
        for m in self.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2, generator=g)
                m.running_var.uniform_(0.5, 1.5, generator=g)
                m.weight.data.uniform_(0.5, 1.5, generator=g)
                m.bias.data.uniform_(-0.2, 0.2, generator=g)

    def forward(self, image):
        feats = []
        x = image
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in self.TAPS:
                feats.append(x)
        return self.fpn(feats)


# ---------------------------------------------------------------------------------------------
# wav2vec2: a wav2vec2-base-shaped encoder.


class FeatureExtractor(nn.Module):
    def __init__(self, dim, layers):
        super().__init__()
        self.convs = nn.ModuleList()
        cin = 1
        for i, (k, s) in enumerate(layers):
            self.convs.append(nn.Conv1d(cin, dim, k, s, bias=False))
            cin = dim
        self.norm = nn.GroupNorm(dim, dim)

    def forward(self, x):
        for i, c in enumerate(self.convs):
            x = c(x)
            if i == 0:
                x = self.norm(x)
            x = F.gelu(x)
        return x


class EncoderLayer(nn.Module):
    """Post-LN transformer layer as in wav2vec2-base (separate q, k, v projections)."""

    def __init__(self, dim, heads, ffn):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim)
        self.v = nn.Linear(dim, dim)
        self.out = nn.Linear(dim, dim)
        self.norm1 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, ffn)
        self.fc2 = nn.Linear(ffn, dim)
        self.norm2 = nn.LayerNorm(dim)

    def forward(self, x):
        b, t, d = x.shape
        h = self.heads

        def split(y):
            return y.reshape(b, t, h, d // h).transpose(1, 2)

        q = split(self.q(x) * (d // h) ** -0.5)
        a = torch.softmax(q @ split(self.k(x)).transpose(-1, -2), dim=-1)
        y = (a @ split(self.v(x))).transpose(1, 2).reshape(b, t, d)
        x = self.norm1(x + self.out(y))
        return self.norm2(x + self.fc2(F.gelu(self.fc1(x))))


class Wav2Vec2Encoder(nn.Module):
    def __init__(self, conv_dim=512, dim=768, heads=12, ffn=3072, layers=12, pos_kernel=128,
                 pos_groups=16):
        super().__init__()
        self.features = FeatureExtractor(
            conv_dim, [(10, 5)] + [(3, 2)] * 4 + [(2, 2)] * 2)
        self.proj_norm = nn.LayerNorm(conv_dim)
        self.proj = nn.Linear(conv_dim, dim)
        self.pos_conv = nn.utils.weight_norm(
            nn.Conv1d(dim, dim, pos_kernel, padding=pos_kernel // 2, groups=pos_groups), dim=2)
        self.norm = nn.LayerNorm(dim)
        self.layers = nn.ModuleList([EncoderLayer(dim, heads, ffn) for _ in range(layers)])

    def forward(self, audio):
        x = self.features(audio.unsqueeze(1)).transpose(1, 2)
        x = self.proj(self.proj_norm(x))
        pos = self.pos_conv(x.transpose(1, 2))[:, :, :-1]
        x = self.norm(x + F.gelu(pos).transpose(1, 2))
        for layer in self.layers:
            x = layer(x)
        return x


# ---------------------------------------------------------------------------------------------
# hifigan: HiFi-GAN generator (V1 shape at full size).


class ResBlock(nn.Module):
    def __init__(self, ch, k, dilations):
        super().__init__()
        self.convs1 = nn.ModuleList(
            [nn.Conv1d(ch, ch, k, dilation=d, padding=(k * d - d) // 2) for d in dilations])
        self.convs2 = nn.ModuleList([nn.Conv1d(ch, ch, k, padding=(k - 1) // 2) for _ in dilations])

    def forward(self, x):
        for c1, c2 in zip(self.convs1, self.convs2):
            x = c2(F.leaky_relu(c1(F.leaky_relu(x, 0.1)), 0.1)) + x
        return x


class HifiGan(nn.Module):
    def __init__(self, mels=80, ch=512, rates=(8, 8, 2, 2), kernels=(16, 16, 4, 4),
                 rb_kernels=(3, 7, 11), rb_dil=(1, 3, 5)):
        super().__init__()
        self.conv_pre = nn.Conv1d(mels, ch, 7, padding=3)
        self.ups = nn.ModuleList()
        self.resblocks = nn.ModuleList()
        c = ch
        for r, k in zip(rates, kernels):
            self.ups.append(nn.ConvTranspose1d(c, c // 2, k, r, padding=(k - r) // 2))
            c //= 2
            for rk in rb_kernels:
                self.resblocks.append(ResBlock(c, rk, rb_dil))
        self.conv_post = nn.Conv1d(c, 1, 7, padding=3)
        self.num_kernels = len(rb_kernels)
        for p in self.parameters():  # keeps activations in a sane range with random weights
            p.data.mul_(0.5)

    def forward(self, mel):
        x = self.conv_pre(mel)
        for i, up in enumerate(self.ups):
            x = up(F.leaky_relu(x, 0.1))
            xs = None
            for j in range(self.num_kernels):
                y = self.resblocks[i * self.num_kernels + j](x)
                xs = y if xs is None else xs + y
            x = xs / self.num_kernels
        return torch.tanh(self.conv_post(F.leaky_relu(x)))


# ---------------------------------------------------------------------------------------------
# dit_block: one DiT block.


class DiTBlock(nn.Module):
    def __init__(self, dim=512, heads=8, mlp_ratio=4):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.fc1 = nn.Linear(dim, mlp_ratio * dim)
        self.fc2 = nn.Linear(mlp_ratio * dim, dim)
        self.ada = nn.Linear(dim, 6 * dim)

    def attn(self, x):
        b, t, d = x.shape
        qkv = self.qkv(x).reshape(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        a = torch.softmax(q @ k.transpose(-1, -2) * (d // self.heads) ** -0.5, dim=-1)
        return self.proj((a @ v).transpose(1, 2).reshape(b, t, d))

    def forward(self, x, c):
        s1, sc1, g1, s2, sc2, g2 = self.ada(F.silu(c)).unsqueeze(1).chunk(6, dim=-1)
        x = x + g1 * self.attn(self.norm1(x) * (1 + sc1) + s1)
        h = self.norm2(x) * (1 + sc2) + s2
        return x + g2 * self.fc2(F.gelu(self.fc1(h)))


# ---------------------------------------------------------------------------------------------
# rnn: Conv1d front-end, BiLSTM x2, GRU, Linear.


class RecurrentModel(nn.Module):
    def __init__(self, mels=80, hidden=256, out=80):
        super().__init__()
        self.pre = nn.Conv1d(mels, hidden, 5, padding=2)
        self.lstm = nn.LSTM(hidden, hidden, num_layers=2, bidirectional=True, batch_first=True)
        self.gru = nn.GRU(2 * hidden, hidden, batch_first=True)
        self.post = nn.Linear(hidden, out)

    def forward(self, mel):
        x = F.relu(self.pre(mel)).transpose(1, 2)
        x, _ = self.lstm(x)
        x, _ = self.gru(x)
        return self.post(x)


# ---------------------------------------------------------------------------------------------


def build(name, size):
    """(model, [inputs], [input names], opset, training mode) for a suite model at a size."""
    full = size == "full"
    g = torch.Generator().manual_seed(7)
    if name == "mbv3_det":
        h, w = (480, 640) if full else (64, 96)
        return (Mbv3Detector(1.0 if full else 0.5), [torch.rand(1, 3, h, w, generator=g)],
                ["image"], 13, torch.onnx.TrainingMode.PRESERVE)
    if name == "resnet50":
        hw = 224 if full else 64
        return (torchvision.models.resnet50(), [torch.randn(1, 3, hw, hw, generator=g)],
                ["image"], 17, torch.onnx.TrainingMode.EVAL)
    if name == "wav2vec2":
        model = (Wav2Vec2Encoder() if full else
                 Wav2Vec2Encoder(conv_dim=64, dim=96, heads=4, ffn=192, layers=2, pos_kernel=16,
                                 pos_groups=4))
        samples = 16000 if full else 4000
        return (model, [0.1 * torch.randn(1, samples, generator=g)], ["audio"], 17,
                torch.onnx.TrainingMode.EVAL)
    if name == "hifigan":
        model = HifiGan() if full else HifiGan(ch=64)
        frames = 100 if full else 12
        return (model, [torch.randn(1, 80, frames, generator=g)], ["mel"], 17,
                torch.onnx.TrainingMode.EVAL)
    if name == "dit_block":
        dim, t = (512, 500) if full else (128, 40)
        return (DiTBlock(dim), [torch.randn(1, t, dim, generator=g), torch.randn(1, dim, generator=g)],
                ["x", "c"], 16, torch.onnx.TrainingMode.EVAL)
    if name == "rnn":
        model = RecurrentModel() if full else RecurrentModel(hidden=32, out=16)
        frames = 400 if full else 30
        return (model, [torch.randn(1, 80, frames, generator=g)], ["mel"], 17,
                torch.onnx.TrainingMode.EVAL)
    raise ValueError("unknown suite model %r" % name)


NAMES = ["mbv3_det", "resnet50", "wav2vec2", "hifigan", "dit_block", "rnn"]


def export(name, size, out_dir):
    torch.manual_seed(NAMES.index(name))
    model, inputs, names, opset, training = build(name, size)
    model.eval()
    path = os.path.join(out_dir, name + ".onnx")
    with torch.no_grad():
        torch.onnx.export(model, tuple(inputs), path, input_names=names, output_names=["out"],
                          opset_version=opset, training=training, do_constant_folding=True)
    base = os.path.join(out_dir, name)
    with open(base + ".inputs.txt", "w") as f:
        for n, t in zip(names, inputs):
            t.numpy().astype("<f4").tofile("%s.%s.f32" % (base, n))
            f.write(" ".join([n] + [str(d) for d in t.shape]) + "\n")
    np.savez(base + ".inputs.npz", **{n: t.numpy().astype(np.float32) for n, t in zip(names, inputs)})
    g = helper.make_graph([], "inputs", [], [],
                          [numpy_helper.from_array(t.numpy().astype(np.float32), n)
                           for n, t in zip(names, inputs)])
    with open(base + ".inputs.pb", "wb") as f:
        f.write(g.SerializeToString())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--size", choices=["full", "small"], default="full")
    ap.add_argument("--models", default=",".join(NAMES))
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    for name in args.models.split(","):
        export(name, args.size, args.out_dir)


if __name__ == "__main__":
    main()
