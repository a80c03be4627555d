"""The small audio-like model verify's defaults are calibrated on (conv, LayerNorm, GELU MLP,
residuals, ConvTranspose1d); `approx="tanh"` plants the tanh-GELU defect. Shared by
tests/verify_calibrate_tolerances.py and make_cli_fixtures.py."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, c, approx):
        super().__init__()
        self.conv = nn.Conv1d(c, c, 7, padding=3)
        self.norm = nn.LayerNorm(c)
        self.fc1 = nn.Linear(c, 4 * c)
        self.fc2 = nn.Linear(4 * c, c)
        self.approx = approx

    def forward(self, x):  # x: [B, C, T]
        h = self.conv(x).transpose(1, 2)
        h = self.norm(h)
        h = F.gelu(self.fc1(h), approximate=self.approx)
        h = self.fc2(h).transpose(1, 2)
        return x + h


class Net(nn.Module):
    def __init__(self, approx="none", c=64, depth=6):
        super().__init__()
        self.inp = nn.Conv1d(16, c, 5, padding=2)
        self.blocks = nn.ModuleList(Block(c, approx) for _ in range(depth))
        self.up = nn.ConvTranspose1d(c, c // 2, 8, stride=4, padding=2)
        self.out = nn.Conv1d(c // 2, 1, 7, padding=3)

    def forward(self, x):
        x = self.inp(x)
        for b in self.blocks:
            x = b(x)
        x = F.leaky_relu(self.up(x), 0.1)
        return torch.tanh(self.out(x))
