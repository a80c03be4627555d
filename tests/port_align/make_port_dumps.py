#!/usr/bin/python3
"""Port-style dumps of real PyTorch models, as a Rust/candle, MLX or ggml port would write them:
its own layer names, only some layers dumped, conv activations channels-last ([N, L, C] for
PyTorch's [N, C, L], [N, H, W, C] for [N, C, H, W]), one activation flattened to [N*L, C]. Seeded
random weights. Two models: a TTS-shaped model (conv front end, GroupNorm, Snake, a DiT block with
adaLN modulation and attention, ConvTranspose upsampler) and torchvision's ResNet-18.

  <model>/reference.npz     tools/dump_reference.py's dump of the PyTorch model (names = modules)
  <model>/port_clean.npz    the port of the same model, no bug
  <model>/port_clean.safetensors  the same, tensors sorted by name, the order in the metadata
  <model>/port_<bug>.npz    the port with one planted bug
  expected.json             {model: {"dumped": [reference names the port dumps], "bugs": {bug:
                             reference layer the bug is in}, "skipped": [names left out]}}

Usage: make_port_dumps.py OUT_DIR
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
import dump_reference  # noqa: E402


class Snake(nn.Module):
    def __init__(self, c, bug=None):
        super().__init__()
        self.alpha = nn.Parameter(torch.ones(1, c, 1))
        self.bug = bug

    def forward(self, x):
        a = self.alpha.exp() if self.bug == "snake_log_alpha" else self.alpha
        return x + 1.0 / (a + 1e-9) * torch.sin(a * x) ** 2


class ChannelNorm(nn.Module):
    """GroupNorm with one group over [B, C, T]."""

    def __init__(self, c, bug=None):
        super().__init__()
        self.norm = nn.GroupNorm(1, c)
        self.bug = bug

    def forward(self, x):
        if self.bug == "groupnorm_as_layernorm":
            y = torch.nn.functional.layer_norm(x.transpose(1, 2), (x.shape[1],)).transpose(1, 2)
            return y * self.norm.weight[None, :, None] + self.norm.bias[None, :, None]
        return self.norm(x)


class Modulate(nn.Module):
    def __init__(self, bug=None):
        super().__init__()
        self.bug = bug

    def forward(self, x, shift, scale):
        if self.bug == "scale_plus_shift":
            return x * scale.unsqueeze(1) + shift.unsqueeze(1)
        return x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1)


class Attention(nn.Module):
    def __init__(self, c, heads, bug=None):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(c, 3 * c)
        self.proj = nn.Linear(c, c)
        self.bug = bug

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(x).reshape(b, t, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        d = c // self.heads
        scale = 1.0 / d if self.bug == "attention_scale" else 1.0 / math.sqrt(d)
        a = torch.softmax(q @ k.transpose(-1, -2) * scale, dim=-1)
        return self.proj((a @ v).transpose(1, 2).reshape(b, t, c))


class Block(nn.Module):
    def __init__(self, c, cond, bug=None):
        super().__init__()
        self.bug = bug
        self.ada = nn.Sequential(nn.SiLU(), nn.Linear(cond, 3 * c))
        self.norm = nn.LayerNorm(c, elementwise_affine=False)
        self.mod = Modulate(bug)
        self.attn = Attention(c, 4, bug)
        self.mlp = nn.Sequential(nn.Linear(c, 2 * c), nn.GELU(), nn.Linear(2 * c, c))

    def forward(self, x, cond):
        ada = self.ada[1](cond) if self.bug == "missing_silu" else self.ada(cond)
        shift, scale, gate = ada.chunk(3, dim=-1)
        if self.bug == "adaln_chunk_order":
            scale, shift = shift, scale
        h = self.mod(self.norm(x), shift, scale)
        x = x + gate.unsqueeze(1) * self.attn(h)
        return x + self.mlp(x)


class TinyTts(nn.Module):
    INPUT_NAMES = ["mel", "cond"]
    OUTPUT_NAMES = ["audio"]

    def __init__(self, bug=None):
        super().__init__()
        self.conv_in = nn.Conv1d(8, 32, 3, padding=1)
        self.norm = ChannelNorm(32, bug)
        self.act = Snake(32, bug)
        self.block = Block(32, 16, bug)
        self.up = nn.ConvTranspose1d(32, 16, 4, stride=2, padding=1)
        self.act_out = Snake(16, bug)
        self.conv_out = nn.Conv1d(16, 1, 7, padding=3)

    def forward(self, mel, cond):
        h = self.act(self.norm(self.conv_in(mel)))
        h = self.block(h.transpose(1, 2), cond).transpose(1, 2)
        return torch.tanh(self.conv_out(self.act_out(self.up(h))))


BUGS = {
    "adaln_chunk_order": "block.mod",
    "missing_silu": "block.ada.1",
    "scale_plus_shift": "block.mod",
    "groupnorm_as_layernorm": "norm",
    "snake_log_alpha": "act",
    "attention_scale": "block.attn",
}

# The port's own names for the reference layers it dumps, and how it lays them out.
PORT = {
    "mel": ("input.mel", None),
    "conv_in": ("enc.conv0", "nlc"),
    "norm": ("enc.gn", "nlc"),
    "act": ("enc.snake", "nlc"),
    "block.ada.1": ("flow.blk0.adaln_proj", None),
    "block.mod": ("flow.blk0.modulated", None),
    "block.attn.qkv": ("flow.blk0.self_attention.qkv", None),
    "block.attn": ("flow.blk0.self_attention", None),
    "block.mlp.0": ("flow.blk0.ff.w1", "flat"),
    "block.mlp": ("flow.blk0.ff", None),
    "block": ("flow.blk0", None),
    "up": ("dec.upsample", "nlc"),
    "act_out": ("dec.snake", "nlc"),
    "audio": ("wav", None),
}


def build_tts(bug=None):
    torch.manual_seed(0)
    m = TinyTts(bug).eval()
    g = torch.Generator().manual_seed(5)
    with torch.no_grad():
        for p in m.parameters():
            p.add_(0.1 * torch.randn(p.shape, generator=g))
        m.act.alpha.copy_(0.5 + torch.rand(m.act.alpha.shape, generator=g))
        m.act_out.alpha.copy_(0.5 + torch.rand(m.act_out.alpha.shape, generator=g))
    return m


# ResNet-18 as torchvision defines it; the port calls stages "stage" and blocks "unit", keeps
# images channels-last and dumps the convolutions, the blocks and the head.
RESNET_BUGS = {
    # BatchNorm epsilon 1e-3 where PyTorch uses 1e-5 (a framework default carried over).
    "bn_epsilon": "layer2.0.bn1",
    # The residual added after the block's ReLU instead of before it.
    "relu_before_add": "layer3.1",
    # A stride-2 downsampling conv run with stride 1 then subsampled at odd positions.
    "downsample_offset": "layer4.0.downsample.0",
}


def build_resnet(bug=None):
    torch.manual_seed(0)
    m = torchvision.models.resnet18(num_classes=10).eval()
    g = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, nn.BatchNorm2d):
                mod.running_mean.copy_(0.1 * torch.randn(mod.num_features, generator=g))
                mod.running_var.copy_(0.5 + torch.rand(mod.num_features, generator=g))
                mod.weight.copy_(1 + 0.1 * torch.randn(mod.num_features, generator=g))
                mod.bias.copy_(0.1 * torch.randn(mod.num_features, generator=g))
    if bug == "bn_epsilon":
        m.layer2[0].bn1.eps = 1e-3
    elif bug == "relu_before_add":
        block = m.layer3[1]

        def forward(x):
            out = block.relu(block.bn1(block.conv1(x)))
            return block.relu(block.bn2(block.conv2(out))) + x
        block.forward = forward
    elif bug == "downsample_offset":
        conv = m.layer4[0].downsample[0]

        def forward(x):
            return nn.functional.conv2d(x, conv.weight, None, 1)[:, :, 1::2, 1::2]
        conv.forward = forward
    m.INPUT_NAMES = ["image"]
    m.OUTPUT_NAMES = ["logits"]
    return m


def resnet_port_names(names):
    port = {"image": ("input", None)}
    for name in names:
        parts = name.split(".")
        if name in ("conv1", "bn1"):
            port[name] = ("stem." + name, "nhwc")
        elif parts[0].startswith("layer") and len(parts) >= 2 and (
                len(parts) == 2 or parts[2] in ("conv1", "bn1", "conv2", "bn2", "downsample")):
            if len(parts) == 4 and parts[3] != "0":
                continue
            local = ".".join(parts[2:])
            port[name] = ("stage%s.unit%s%s" % (parts[0][5:], parts[1], "." + local if local else ""),
                          "nhwc")
        elif name == "avgpool":
            port[name] = ("head.pool", "flat")
        elif name == "fc":
            port[name] = ("head.logits", None)
    return port


def port_dump(entries, port):
    out = {}
    for ref_name, (name, layout) in port.items():
        a = entries[ref_name]
        if layout == "nlc":
            a = np.ascontiguousarray(a.transpose(0, 2, 1))
        elif layout == "nhwc":
            a = np.ascontiguousarray(a.transpose(0, 2, 3, 1))
        elif layout == "flat":
            a = a.reshape(-1, a.shape[1]) if a.ndim == 4 else a.reshape(-1, a.shape[-1])
        out[name] = a
    return out


def save_safetensors(arrays, path):
    """A safetensors file as Rust's safetensors crate writes it: tensors sorted by name (the
    execution order is lost), that order kept in the metadata key "order"."""
    header = {"__metadata__": {"order": ",".join(arrays)}}
    offset = 0
    blobs = []
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name], dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape),
                        "data_offsets": [offset, offset + a.nbytes]}
        blobs.append(a.tobytes())
        offset += a.nbytes
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def write_model(out, name, build, inputs, bugs, port, output_names):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    ref = dump_reference.run_and_record(build(), inputs, output_names=output_names)
    if port is None:
        port = resnet_port_names(ref)
    dump_reference.save_npz(ref, os.path.join(d, "reference.npz"))
    dump_reference.save_npz(port_dump(ref, port), os.path.join(d, "port_clean.npz"))
    save_safetensors(port_dump(ref, port), os.path.join(d, "port_clean.safetensors"))
    for bug in bugs:
        entries = dump_reference.run_and_record(build(bug), inputs, output_names=output_names)
        dump_reference.save_npz(port_dump(entries, port), os.path.join(d, "port_%s.npz" % bug))
    return {"dumped": list(port), "bugs": bugs, "skipped": [k for k in ref if k not in port]}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(3)
    tts_inputs = {"mel": rng.standard_normal((1, 8, 24)).astype(np.float32),
                  "cond": rng.standard_normal((1, 16)).astype(np.float32)}
    image = {"image": rng.standard_normal((1, 3, 64, 64)).astype(np.float32)}
    expected = {
        "tts": write_model(out, "tts", build_tts, tts_inputs, BUGS, PORT, ["audio"]),
        "resnet18": write_model(out, "resnet18", build_resnet, image, RESNET_BUGS, None,
                                ["logits"]),
    }
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)


if __name__ == "__main__":
    main()
