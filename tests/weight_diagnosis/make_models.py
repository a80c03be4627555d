#!/usr/bin/python3
"""Architectures the weight-diagnosis test needs beside the gate corpus (tests/gate_corpus), built
the same way (make_corpus.make: seeded random weights moved off their initial values, a PyTorch
1.13 ONNX export, PyTorch's own per-module dump):

  conv_stack  plain nn.Conv1d -> nn.ConvTranspose1d -> nn.Conv1d (no weight norm), named the way
              the mlx preset declares convolutions (conv1, ups.0, conv2)
  gru_tagger  nn.Linear -> nn.GRU (one layer, one direction) -> nn.Linear
  crnn        nn.Conv1d -> bidirectional nn.GRU -> nn.Linear

OUT_DIR/<name>/ gets checkpoint.pt, model.onnx, inputs.npz, reference.npz, and OUT_DIR/models.json
lists them.

Usage: /usr/bin/python3 tests/weight_diagnosis/make_models.py OUT_DIR
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "gate_corpus"))
import make_corpus  # noqa: E402


class ConvStack(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(8, 16, 5, padding=2)
        self.ups = nn.ModuleList([nn.ConvTranspose1d(16, 12, 4, stride=2, padding=1)])
        self.act = nn.LeakyReLU(0.1)
        self.conv2 = nn.Conv1d(12, 6, 3, padding=1)

    def forward(self, x):
        return self.conv2(self.act(self.ups[0](self.act(self.conv1(x)))))


class GruTagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(12, 16)
        self.gru = nn.GRU(16, 20, batch_first=True)
        self.head = nn.Linear(20, 7)

    def forward(self, x):
        y, _ = self.gru(torch.tanh(self.proj(x)))
        return self.head(y)


class Crnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(8, 16, 3, padding=1)
        self.gru = nn.GRU(16, 12, batch_first=True, bidirectional=True)
        self.head = nn.Linear(24, 5)

    def forward(self, x):
        h = torch.relu(self.conv(x)).transpose(1, 2)
        y, _ = self.gru(h)
        return self.head(y)


def rand(seed, *shape):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def built(cls, inputs):
    def build():
        torch.manual_seed(0)
        return cls(), inputs
    return build


MODELS = {
    "conv_stack": (built(ConvStack, {"x": rand(21, 1, 8, 16)}),
                   "Conv1d, ConvTranspose1d, Conv1d without weight norm"),
    "gru_tagger": (built(GruTagger, {"x": rand(22, 1, 9, 12)}), "nn.GRU, one layer, one direction"),
    "crnn": (built(Crnn, {"x": rand(23, 1, 8, 10)}), "Conv1d then a bidirectional nn.GRU"),
}


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    make_corpus.ARCHS.update(MODELS)
    made = [make_corpus.make(name, out_dir) for name in MODELS]
    with open(os.path.join(out_dir, "models.json"), "w") as f:
        json.dump(made, f, indent=1)


if __name__ == "__main__":
    main()
