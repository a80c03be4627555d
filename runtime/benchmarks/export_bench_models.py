"""Exports the two benchmark models and their inputs (random weights, fixed seed).

- vocoder.onnx: a HiFi-GAN-like generator (V2-sized: 128 initial channels, upsample rates 8, 8, 2,
  2 with kernels 16, 16, 4, 4, multi-receptive-field resblocks with kernels 3, 7, 11 and dilations
  1, 3, 5), input mel [1, 80, 173] = 2 s of 22.05 kHz audio at hop 256, output [1, 1, 44288].
- dit_block.onnx: one DiT block (adaLN-Zero modulation, 8-head self-attention, GELU MLP 4x) at
  width 512 over 500 frames: inputs x [1, 500, 512], c [1, 512].

Inputs are written next to the models as raw little-endian float32 (<name>.<input>.f32) with the
shape in <name>.inputs.txt ("name dims..."), so the C++ and ONNX Runtime runners feed the same data.

Usage: /usr/bin/python3 export_bench_models.py OUT_DIR
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class ResBlock(nn.Module):
    def __init__(self, ch, k, dilations):
        super().__init__()
        self.convs1 = nn.ModuleList(
            [nn.Conv1d(ch, ch, k, dilation=d, padding=(k * d - d) // 2) for d in dilations])
        self.convs2 = nn.ModuleList([nn.Conv1d(ch, ch, k, padding=(k - 1) // 2) for _ in dilations])

    def forward(self, x):
        for c1, c2 in zip(self.convs1, self.convs2):
            xt = c2(F.leaky_relu(c1(F.leaky_relu(x, 0.1)), 0.1))
            x = xt + x
        return x


class Generator(nn.Module):
    def __init__(self, mels=80, ch=128, rates=(8, 8, 2, 2), kernels=(16, 16, 4, 4),
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
        for p in self.parameters():  # keep activations in a sane range with random weights
            p.data.mul_(0.5)

    def forward(self, x):
        x = self.conv_pre(x)
        for i, up in enumerate(self.ups):
            x = up(F.leaky_relu(x, 0.1))
            xs = None
            for j in range(self.num_kernels):
                y = self.resblocks[i * self.num_kernels + j](x)
                xs = y if xs is None else xs + y
            x = xs / self.num_kernels
        return torch.tanh(self.conv_post(F.leaky_relu(x)))


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


def export(model, inputs, names, path, opset):
    model.eval()
    torch.onnx.export(model, tuple(inputs), path, input_names=names, output_names=["out"],
                      opset_version=opset)
    base = path[:-len(".onnx")]
    with open(base + ".inputs.txt", "w") as f:
        for n, t in zip(names, inputs):
            t.numpy().astype("<f4").tofile(f"{base}.{n}.f32")
            f.write(" ".join([n] + [str(d) for d in t.shape]) + "\n")


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    with torch.no_grad():
        export(Generator(), [torch.randn(1, 80, 173)], ["mel"], os.path.join(out, "vocoder.onnx"),
               17)
        # Opset 16: the exporter decomposes LayerNorm(elementwise_affine=False) into primitives
        # (at 17 its own checker rejects the graph, see shared/ENVIRONMENT.md).
        export(DiTBlock(), [torch.randn(1, 500, 512), torch.randn(1, 512)], ["x", "c"],
               os.path.join(out, "dit_block.onnx"), 16)


if __name__ == "__main__":
    main()
