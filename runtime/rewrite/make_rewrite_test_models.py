"""Builds the rewrite tests' models (runtime/rewrite/rewrite_test.cc) and their PyTorch outputs.

Usage: /usr/bin/python3 make_rewrite_test_models.py OUT_DIR
Each model NAME is written as NAME.onnx with NAME_expected.pb (a GraphProto whose initializers
are the inputs and PyTorch's outputs, by graph name). Random weights, fixed seeds; BatchNorm
statistics are randomized so folding is visible.

- affine_conv: Conv2d / Conv1d / ConvTranspose2d each followed by BatchNorm (exported with
  TrainingMode.PRESERVE so the BatchNormalization nodes stay), a Conv followed by a per-channel
  Mul and Add, and a BatchNorm after a ReLU (not foldable; the blocked-layout affine kernel).
- affine_linear: nn.Linear on a 2-D input (Gemm) and on a 3-D input (MatMul + Add), each followed
  by a per-column scale and shift.
- constants: arithmetic and a Reshape whose shape is computed from constants (the exporter's own
  folding off), so constant folding has work.
- attention: multi-head attention written as PyTorch exports it (q @ k^T * scale, softmax,
  a @ v) plus a Div-scaled product with a transposed left operand and a product scaled by a
  [1, 1, 1] constant (not a pure scale: it raises the rank).
- cnn: a MobileNetV3-flavoured block stack at opset 13: conv + hard-swish written as
  HardSigmoid + Mul, depthwise conv, squeeze-excitation (GlobalAveragePool, 1x1 convs, ReLU,
  HardSigmoid, broadcast Mul), residual Add + ReLU, MaxPool, AveragePool, nearest and bilinear
  Resize, channel Concat, Clip, LeakyRelu, Sigmoid, Tanh, a 2x2 stride-2 ConvTranspose, a 1-D
  conv chain with GELU and dilation, and a 3-channel input / 1-channel output at the ends.
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def randomize_bn(model, seed):
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.running_mean.uniform_(-0.5, 0.5, generator=g)
            m.running_var.uniform_(0.5, 2.0, generator=g)
            m.weight.data.uniform_(0.5, 1.5, generator=g)
            m.bias.data.uniform_(-0.5, 0.5, generator=g)


def export(name, model, inputs, input_names, opset, training=torch.onnx.TrainingMode.EVAL,
           constant_folding=True):
    model.eval()
    path = os.path.join(out, name + ".onnx")
    with torch.no_grad():
        outputs = model(*inputs)
        if not isinstance(outputs, tuple):
            outputs = (outputs,)
        output_names = ["out%d" % i for i in range(len(outputs))]
        torch.onnx.export(model, tuple(inputs), path, input_names=input_names,
                          output_names=output_names, opset_version=opset, training=training,
                          do_constant_folding=constant_folding)
    tensors = {n: t.numpy() for n, t in zip(input_names, inputs)}
    tensors.update({n: t.numpy() for n, t in zip(output_names, outputs)})
    g = helper.make_graph([], "expected", [], [],
                          [numpy_helper.from_array(np.ascontiguousarray(v), k)
                           for k, v in tensors.items()])
    with open(os.path.join(out, name + "_expected.pb"), "wb") as f:
        f.write(g.SerializeToString())


class AffineConv(nn.Module):
    def __init__(self):
        super().__init__()
        self.c2 = nn.Conv2d(8, 16, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(16)
        self.c1 = nn.Conv1d(16, 24, 5, padding=2, bias=False)
        self.bn1 = nn.BatchNorm1d(24)
        self.ct = nn.ConvTranspose2d(16, 8, 2, 2)
        self.bnt = nn.BatchNorm2d(8)
        self.c3 = nn.Conv2d(8, 8, 1)
        self.scale = nn.Parameter(torch.rand(1, 8, 1, 1) + 0.5)
        self.shift = nn.Parameter(torch.randn(8, 1, 1))
        self.bn_after_relu = nn.BatchNorm2d(8)

    def forward(self, x):
        y = self.bn2(self.c2(x))
        z = self.bn1(self.c1(y.flatten(2)))
        t = self.bnt(self.ct(y))
        u = self.c3(t) * self.scale + self.shift
        v = self.bn_after_relu(F.relu(u))
        return z, v


class AffineLinear(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc2d = nn.Linear(12, 20)
        self.fc3d = nn.Linear(12, 20, bias=False)
        self.s = nn.Parameter(torch.rand(20) + 0.5)
        self.b = nn.Parameter(torch.randn(20))

    def forward(self, x2, x3):
        return self.fc2d(x2) * self.s + self.b, self.fc3d(x3) * self.s


class Constants(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(torch.randn(6))
        self.b = nn.Parameter(torch.randn(6))

    def forward(self, x):
        k = (self.a * 2.0 + self.b).exp()
        return (x * k).reshape(2, 3) - k.reshape(3, 2).t()


class HSwish(nn.Module):
    def forward(self, x):
        return x * F.hardsigmoid(x)


class SqueezeExcite(nn.Module):
    def __init__(self, c, squeeze):
        super().__init__()
        self.fc1 = nn.Conv2d(c, squeeze, 1)
        self.fc2 = nn.Conv2d(squeeze, c, 1)

    def forward(self, x):
        s = F.adaptive_avg_pool2d(x, 1)
        return x * F.hardsigmoid(self.fc2(F.relu(self.fc1(s))))


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, 2, 1)
        self.dw = nn.Conv2d(16, 16, 3, 1, 1, groups=16)
        self.se = SqueezeExcite(16, 8)
        self.pw = nn.Conv2d(16, 24, 1)
        self.res = nn.Conv2d(24, 24, 3, padding=1)
        self.down = nn.Conv2d(24, 32, 3, 2, 1)
        self.lat = nn.Conv2d(32, 24, 1)
        self.head = nn.Conv2d(72, 16, 3, padding=1)
        self.bn = nn.BatchNorm2d(72)
        self.up = nn.ConvTranspose2d(16, 8, 2, 2)
        self.out = nn.Conv2d(8, 1, 3, padding=1)
        self.seq = nn.Conv1d(16, 16, 3, dilation=2, padding=2)
        self.hs = HSwish()

    def forward(self, x):
        a = self.hs(self.stem(x))                       # [1, 16, 16, 24]
        a = self.se(F.relu6(self.dw(a)))
        b = self.pw(a)                                  # [1, 24, 16, 24]
        b = F.relu(self.res(b) + b)
        c = F.leaky_relu(self.down(b), 0.1)             # [1, 32, 8, 12]
        c = F.max_pool2d(c, 3, 1, 1) + F.avg_pool2d(c, 3, 1, 1, count_include_pad=False)
        d = self.lat(c)                                 # [1, 24, 8, 12]
        near = F.interpolate(d, scale_factor=2.0, mode="nearest")
        lin = F.interpolate(d, scale_factor=2.0, mode="bilinear", align_corners=False)
        cat = self.bn(torch.cat([b, near, lin], dim=1))  # [1, 72, 16, 24], BN after Concat
        h = torch.tanh(self.head(cat))
        o = torch.sigmoid(self.out(torch.clamp(self.up(h), -1.0, 1.0)))  # [1, 1, 32, 48]
        s = F.gelu(self.seq(h.mean(dim=2)))             # [1, 16, 24]: a 1-D conv chain
        return o, s


class Attention(nn.Module):
    """q @ k^T * scale (Transpose + Mul folded into the MatMul), a Div-scaled product with a
    transposed left operand, the values product, and a product scaled by a one-element constant
    of higher rank (broadcasting makes the result rank 3: that Mul must stay)."""

    def __init__(self, dim=16, heads=2):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)

    def forward(self, x):
        b, t, d = x.shape
        qkv = self.qkv(x).reshape(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        a = torch.softmax(q @ k.transpose(-1, -2) * (d // self.heads) ** -0.5, dim=-1)
        g = (q.transpose(-1, -2) @ v) / 4.0
        x0 = x[0]
        h = (x0 @ x0.transpose(0, 1)) * torch.full((1, 1, 1), 0.5)
        return (a @ v).transpose(1, 2).reshape(b, t, d), g, h


def main():
    torch.manual_seed(11)
    m = AffineConv()
    randomize_bn(m, 1)
    export("affine_conv", m, [torch.randn(1, 8, 6, 7)], ["x"], 13,
           training=torch.onnx.TrainingMode.PRESERVE)
    torch.manual_seed(12)
    export("affine_linear", AffineLinear(), [torch.randn(5, 12), torch.randn(2, 5, 12)],
           ["x2", "x3"], 17)
    torch.manual_seed(13)
    export("constants", Constants(), [torch.randn(6)], ["x"], 13, constant_folding=False)
    torch.manual_seed(15)
    export("attention", Attention(), [torch.randn(1, 10, 16)], ["x"], 17)
    torch.manual_seed(14)
    m = Cnn()
    randomize_bn(m, 2)
    export("cnn", m, [torch.rand(1, 3, 32, 48)], ["image"], 13,
           training=torch.onnx.TrainingMode.PRESERVE)


if __name__ == "__main__":
    main()
