"""Builds the fusion tests' models and their PyTorch / NumPy expected outputs.

Usage: /usr/bin/python3 make_fusion_test_models.py OUT_DIR
Writes, each with <name>_expected.pb (a GraphProto whose initializers are the inputs and the
expected outputs, computed by PyTorch or NumPy):
- small.onnx: Linear -> LayerNorm (affine) -> GELU -> Linear -> LayerNorm (no affine) on
  [2, 7, 24], exported by PyTorch at opset 16 (so LayerNorm is decomposed, GELU is the erf chain).
- dit_bench.onnx: a DiT block of the benchmark's size (width 512, 500 frames, 8 heads, GELU MLP
  4x, adaLN-Zero modulation, LayerNorm without affine; opset 16), random weights, fixed seed.
- gelu_leak.onnx: the erf GELU chain whose Erf output is also a graph output (must not fuse).
"""
import math
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(7)


def save_expected(name, tensors):
    g = helper.make_graph([], "expected", [], [],
                          [numpy_helper.from_array(np.ascontiguousarray(v), k)
                           for k, v in tensors.items()])
    with open(os.path.join(out, name + "_expected.pb"), "wb") as f:
        f.write(g.SerializeToString())


class Small(nn.Module):
    def __init__(self, dim=24):
        super().__init__()
        self.fc1 = nn.Linear(dim, 3 * dim)
        self.norm1 = nn.LayerNorm(3 * dim, eps=1e-5)
        self.fc2 = nn.Linear(3 * dim, dim)
        self.norm2 = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        with torch.no_grad():  # non-trivial affine parameters
            self.norm1.weight.uniform_(0.5, 1.5)
            self.norm1.bias.uniform_(-0.5, 0.5)

    def forward(self, x):
        return self.norm2(self.fc2(F.gelu(self.norm1(self.fc1(x)))))


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

    def forward(self, x, c):
        s1, sc1, g1, s2, sc2, g2 = self.ada(F.silu(c)).unsqueeze(1).chunk(6, dim=-1)
        b, t, d = x.shape
        h = self.norm1(x) * (1 + sc1) + s1
        qkv = self.qkv(h).reshape(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        a = torch.softmax(qkv[0] @ qkv[1].transpose(-1, -2) * (d // self.heads) ** -0.5, dim=-1)
        x = x + g1 * self.proj((a @ qkv[2]).transpose(1, 2).reshape(b, t, d))
        h = self.norm2(x) * (1 + sc2) + s2
        return x + g2 * self.fc2(F.gelu(self.fc1(h)))


def export(model, inputs, names, name):
    model.eval()
    with torch.no_grad():
        y = model(*inputs)
        torch.onnx.export(model, tuple(inputs), os.path.join(out, name + ".onnx"),
                          input_names=names, output_names=["out"], opset_version=16)
    tensors = {n: t.numpy() for n, t in zip(names, inputs)}
    tensors["out"] = y.numpy()
    save_expected(name, tensors)


export(Small(), [torch.randn(2, 7, 24)], ["x"], "small")
export(DiTBlock(), [torch.randn(1, 500, 512), torch.randn(1, 512)], ["x", "c"], "dit_bench")

# GELU chain with its Erf output leaking as a graph output.
x = np.random.default_rng(3).standard_normal((3, 5)).astype(np.float32)
const = lambda n, v: helper.make_node("Constant", [], [n], value=numpy_helper.from_array(
    np.array(v, np.float32)))
nodes = [
    const("sqrt2", math.sqrt(2.0)), const("one", 1.0), const("half", 0.5),
    helper.make_node("Div", ["x", "sqrt2"], ["d"], name="/act/Div"),
    helper.make_node("Erf", ["d"], ["e"], name="/act/Erf"),
    helper.make_node("Add", ["e", "one"], ["a"], name="/act/Add"),
    helper.make_node("Mul", ["x", "a"], ["m"], name="/act/Mul"),
    helper.make_node("Mul", ["m", "half"], ["y"], name="/act/Mul_1"),
]
graph = helper.make_graph(
    nodes, "gelu_leak", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 5])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 5]),
     helper.make_tensor_value_info("e", TensorProto.FLOAT, [3, 5])])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 16)])
onnx.checker.check_model(model)
onnx.save(model, os.path.join(out, "gelu_leak.onnx"))
xd = x.astype(np.float64)
erf = np.vectorize(math.erf)(xd / math.sqrt(2.0))
save_expected("gelu_leak", {"x": x, "y": (0.5 * xd * (1 + erf)).astype(np.float32),
                            "e": erf.astype(np.float32)})
