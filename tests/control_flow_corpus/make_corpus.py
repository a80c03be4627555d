#!/usr/bin/python3
"""Builds the control-flow corpus: small PyTorch 1.13 models with loops, branches, sequences and
recurrent layers, exported the way real ones are, with their inputs and per-module reference dumps.

Each model is written to OUT_DIR/<name>/ as model.onnx (torch.onnx.export), inputs.npz (the graph
inputs) and reference.npz (tools/dump_reference.py: forward hooks on every module of the eager
model, the same weights; a module called k times gives name, name#1, ...). Weights are random
with fixed seeds, sizes tiny.

  loop_net        torch.jit.script-ed: a for loop over a submodule (Loop with module scopes in
                  its body, trip count from an int64 scalar input) and a data-dependent if (If)
  loop_net_defect loop_net's ONNX model with a defect planted inside the loop body, in module
                  step.act at iteration 2 only (x 1.05): verify must localize it to step.act#2
  stateful_vad    traced, with a torch.jit.script-ed front end that branches on the sample rate
                  (If on an int64 input `sr`, one element: the traced export declares [1]), a GRU
                  carrying state, an int64 counter state
  stretch         length regulator: repeat_interleave with repeats computed from the input
                  (Loop + SequenceEmpty / SplitToSequence / ConcatFromSequence at opset 17)
  rnn_asr         conv front end + 2-layer bidirectional nn.RNN + classifier (RNN op)
  old_opset9, old_opset11
                  one conv net (Upsample/Resize, BatchNorm, pools, Pad, Slice, Split, Softmax)
                  exported at opset 9 and at 11

Usage: /usr/bin/python3 make_corpus.py OUT_DIR
"""
import os
import sys

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper
from torch import nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import dump_reference  # noqa: E402  (tools/dump_reference.py)

OUT = sys.argv[1]


# ---- loop_net: a scripted for loop over a submodule, and a data-dependent branch ----
class Step(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(8, 8)
        self.act = nn.Tanh()

    def forward(self, h):
        return self.act(self.lin(h))


class LoopNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(6, 8)
        self.step = Step()
        self.out = nn.Linear(8, 4)

    def forward(self, x, n: int):
        h = self.inp(x)
        for _ in range(n):
            h = self.step(h) + h
        if bool(h.mean() > 0):
            h = h * 0.5
        return self.out(h)


# ---- stateful_vad: a scripted front end branching on the sample rate, GRU state, a counter ----
class Frontend(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc16 = nn.Conv1d(1, 8, 5, stride=2)
        self.enc8 = nn.Conv1d(1, 8, 3)

    def forward(self, x, sr):
        if bool(sr == 16000):
            f = self.enc16(x)
        else:
            f = self.enc8(x)
        return f.mean(dim=2, keepdim=True).transpose(1, 2)


class StatefulVad(nn.Module):
    def __init__(self):
        super().__init__()
        self.frontend = Frontend()
        self.rnn = nn.GRU(8, 16, batch_first=True)
        self.head = nn.Linear(16, 1)

    def forward(self, x, h, count, sr):
        f = self.frontend(x, sr)
        y, h2 = self.rnn(f, h)
        return torch.sigmoid(self.head(y[:, -1])), h2, count + 1


# ---- stretch: repeat_interleave with computed repeats (a vocoder's length regulator) ----
class Stretch(nn.Module):
    def __init__(self):
        super().__init__()
        self.pre = nn.Conv1d(8, 8, 3, padding=1)
        self.dur = nn.Conv1d(8, 1, 1)
        self.post = nn.ConvTranspose1d(8, 4, 4, stride=2, padding=1)

    def forward(self, x):
        h = F.leaky_relu(self.pre(x), 0.1)
        d = torch.clamp(torch.round(F.softplus(self.dur(h)) * 2.0), min=1.0).long()[0, 0]
        h = torch.repeat_interleave(h, d, dim=2)
        return self.post(h)


# ---- rnn_asr: bidirectional plain RNN ----
class RnnAsr(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(10, 12, 3, padding=1)
        self.rnn = nn.RNN(12, 16, num_layers=2, bidirectional=True, batch_first=True)
        self.cls = nn.Linear(32, 7)

    def forward(self, feats):
        h = F.relu(self.conv(feats)).transpose(1, 2)
        y, _ = self.rnn(h)
        return F.log_softmax(self.cls(y), dim=-1)


# ---- old opsets: ops whose attributes became inputs after opset 9-11 ----
class OldNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.pool = nn.MaxPool2d(2)
        self.head = nn.Conv2d(4, 5, 1)

    def forward(self, x):
        # BatchNorm after the activation: the exporter would fold a Conv -> BatchNorm pair into one
        # Conv, leaving no value for either module.
        h = self.bn(F.leaky_relu(self.conv(x), 0.2))
        h = self.pool(self.up(h))
        a, b = torch.chunk(h, 2, dim=1)
        h = F.pad(a * torch.sigmoid(b), (1, 1, 0, 0), mode="reflect")[:, :, 1:-1, :]
        return torch.softmax(self.head(h).flatten(2), dim=-1)


def seeded(cls, seed):
    torch.manual_seed(seed)
    m = cls().eval()
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, nn.BatchNorm2d):  # non-trivial running statistics
                mod.running_mean.uniform_(-0.5, 0.5)
                mod.running_var.uniform_(0.5, 1.5)
    return m


def write(name, model, export_model, inputs, output_names, opset, dynamic_axes=None):
    """Exports `export_model` (the module, a scripted or traced one), dumps `model` (eager)."""
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    args = tuple(torch.from_numpy(np.ascontiguousarray(v)) for v in inputs.values())
    path = os.path.join(d, "model.onnx")
    with torch.no_grad():
        torch.onnx.export(export_model, args, path, opset_version=opset,
                          input_names=list(inputs.keys()), output_names=output_names,
                          dynamic_axes=dynamic_axes)
    onnx.checker.check_model(onnx.load(path))
    np.savez(os.path.join(d, "inputs.npz"), **inputs)
    dump_reference.dump_model(model, inputs, os.path.join(d, "reference.npz"),
                              output_names=output_names)


def plant_defect(src, dst, loop_node, inner_node, iteration, factor):
    """Copies src to dst with a defect inside the loop body: the output of `inner_node` is scaled
    by `factor` in one iteration only, by nodes in the same module scope."""
    m = onnx.load(src)
    loop = next(n for n in m.graph.node if n.name == loop_node)
    body = next(a.g for a in loop.attribute if a.name == "body")
    target = next(n for n in body.node if n.name == inner_node)
    value = target.output[0]
    scope = inner_node.rsplit("/", 1)[0]
    planted = value + "_planted"
    nodes = [
        helper.make_node("Constant", [], [planted + "_iter"], name=scope + "/PlantedIter",
                         value=numpy_helper.from_array(np.array(iteration, np.int64))),
        helper.make_node("Equal", [body.input[0].name, planted + "_iter"], [planted + "_now"],
                         name=scope + "/PlantedEqual"),
        helper.make_node("Constant", [], [planted + "_factor"], name=scope + "/PlantedFactor",
                         value=numpy_helper.from_array(np.array(factor, np.float32))),
        helper.make_node("Mul", [value, planted + "_factor"], [planted + "_scaled"],
                         name=scope + "/PlantedMul"),
        helper.make_node("Where", [planted + "_now", planted + "_scaled", value], [planted],
                         name=scope + "/PlantedWhere"),
    ]
    for n in body.node:
        for i, name in enumerate(n.input):
            if name == value:
                n.input[i] = planted
    for o in body.output:
        if o.name == value:
            o.name = planted
    pos = list(body.node).index(target) + 1
    for k, n in enumerate(nodes):
        body.node.insert(pos + k, n)
    onnx.checker.check_model(m)
    d = os.path.dirname(dst)
    os.makedirs(d, exist_ok=True)
    onnx.save(m, dst)


def main():
    rng = np.random.default_rng(12)

    m = seeded(LoopNet, 1)
    inputs = {"x": rng.standard_normal((2, 6)).astype(np.float32), "n": np.array(4, np.int64)}
    write("loop_net", m, torch.jit.script(m), inputs, ["y"], 17)
    plant_defect(os.path.join(OUT, "loop_net", "model.onnx"),
                 os.path.join(OUT, "loop_net_defect", "model.onnx"), "/Loop", "/step/act/Tanh",
                 2, 1.05)

    m = seeded(StatefulVad, 2)
    export = seeded(StatefulVad, 2)
    export.frontend = torch.jit.script(export.frontend)
    inputs = {"x": rng.standard_normal((1, 1, 64)).astype(np.float32),
              "h": (0.1 * rng.standard_normal((1, 1, 16))).astype(np.float32),
              "count": np.array([41], np.int64), "sr": np.array([16000], np.int64)}
    traced = torch.jit.trace(export, tuple(torch.from_numpy(v) for v in inputs.values()))
    write("stateful_vad", m, traced, inputs, ["prob", "h_out", "count_out"], 17)

    m = seeded(Stretch, 3)
    inputs = {"x": rng.standard_normal((1, 8, 9)).astype(np.float32)}
    write("stretch", m, m, inputs, ["y"], 17, dynamic_axes={"x": {2: "T"}, "y": {2: "T_out"}})

    m = seeded(RnnAsr, 4)
    inputs = {"feats": rng.standard_normal((2, 10, 11)).astype(np.float32)}
    write("rnn_asr", m, m, inputs, ["logits"], 14)

    for opset in (9, 11):
        m = seeded(OldNet, 5)
        inputs = {"x": rng.standard_normal((1, 3, 6, 5)).astype(np.float32)}
        write("old_opset%d" % opset, m, m, inputs, ["probs"], opset)


if __name__ == "__main__":
    main()
