#!/usr/bin/python3
"""Builds the verify-gate corpus: real architectures from public model definitions, random weights
with fixed seeds, exported by PyTorch 1.13 exactly as users export them.

For every architecture, OUT_DIR/<name>/ gets:
  checkpoint.pt   the state dict (torch.save), every parameter and buffer perturbed away from its
                  initial value (norm weights and biases too), so no two parameters are equal by
                  accident;
  model.onnx      torch.onnx.export (tools/export_onnx.py: module-scoped node names, constant
                  folding on, eval mode: BatchNorm folded into Conv, weight norm folded);
  inputs.npz      the forward() arguments;
  reference.npz   tools/dump_reference.py's per-module dump (float32).
and OUT_DIR/corpus.json lists them with what each one exercises.

Usage: /usr/bin/python3 tests/gate_corpus/make_corpus.py OUT_DIR [NAME ...]
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tools"))
import dump_reference  # noqa: E402
import export_onnx  # noqa: E402
from tools import reference_models  # noqa: E402


def perturb(model, seed):
    """Moves every parameter and float buffer off its initial value, deterministically."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=g) * (p.abs().mean() + 0.1))
        for name, b in model.named_buffers():
            if not b.is_floating_point():
                continue
            if name.endswith("running_var"):
                b.copy_(0.5 + torch.rand(b.shape, generator=g))
            elif name.endswith("running_mean"):
                b.copy_(0.1 * torch.randn(b.shape, generator=g))
    return model


def image(seed, c=3, h=64, w=64):
    return np.random.default_rng(seed).standard_normal((1, c, h, w)).astype(np.float32)


# ---- architectures -------------------------------------------------------------------------

def resnet18():
    import torchvision
    torch.manual_seed(0)
    return torchvision.models.resnet18(num_classes=10), {"image": image(1)}


def mobilenet_v3_small():
    import torchvision
    torch.manual_seed(0)
    return torchvision.models.mobilenet_v3_small(num_classes=10), {"image": image(2)}


def squeezenet():
    import torchvision
    torch.manual_seed(0)
    return torchvision.models.squeezenet1_1(num_classes=10), {"image": image(3)}


def shufflenet():
    import torchvision
    torch.manual_seed(0)
    return torchvision.models.shufflenet_v2_x0_5(num_classes=10), {"image": image(4)}


def efficientnet():
    import torchvision
    torch.manual_seed(0)
    return torchvision.models.efficientnet_b0(num_classes=10), {"image": image(5, h=32, w=32)}


def convnext():
    from torchvision.models.convnext import CNBlockConfig, ConvNeXt
    torch.manual_seed(0)
    return ConvNeXt([CNBlockConfig(16, 32, 2), CNBlockConfig(32, None, 1)], stochastic_depth_prob=0.1,
                    num_classes=10), {"image": image(14, h=32, w=32)}


def resnet18_fresh():
    import torchvision
    torch.manual_seed(1)
    return torchvision.models.resnet18(num_classes=10), {"image": image(15, h=32, w=32)}


def densenet():
    import torchvision
    torch.manual_seed(0)
    m = torchvision.models.DenseNet(growth_rate=8, block_config=(2, 2), num_init_features=16,
                                    bn_size=2, num_classes=10)
    return m, {"image": image(6, h=32, w=32)}


def vit():
    from torchvision.models.vision_transformer import VisionTransformer
    torch.manual_seed(0)
    m = VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=32,
                          mlp_dim=64, num_classes=10)
    return m, {"image": image(7, h=32, w=32)}


class TransformerModel(nn.Module):
    """PyTorch's own nn.Transformer (encoder-decoder)."""
    INPUT_NAMES = ["src", "tgt"]

    def __init__(self):
        super().__init__()
        self.transformer = nn.Transformer(d_model=32, nhead=4, num_encoder_layers=2,
                                          num_decoder_layers=1, dim_feedforward=64, dropout=0.1,
                                          batch_first=True)
        self.head = nn.Linear(32, 16)

    def forward(self, src, tgt):
        return self.head(self.transformer(src, tgt))


def transformer():
    torch.manual_seed(0)
    rng = np.random.default_rng(8)
    return TransformerModel(), {"src": rng.standard_normal((1, 12, 32)).astype(np.float32),
                                "tgt": rng.standard_normal((1, 7, 32)).astype(np.float32)}


class AttentionModel(nn.Module):
    """nn.MultiheadAttention returns a tuple (output, weights); a block returns (x, skip)."""

    def __init__(self):
        super().__init__()
        self.proj_in = nn.Linear(24, 32)
        self.attn = nn.MultiheadAttention(32, 4, batch_first=True)
        self.norm = nn.LayerNorm(32)
        self.block = ResidualSkip(32)
        self.out = nn.Linear(32, 8)

    def forward(self, x):
        h = self.proj_in(x)
        a, _ = self.attn(h, h, h)
        h = self.norm(h + a)
        h, skip = self.block(h)
        return self.out(h + skip)


class ResidualSkip(nn.Module):
    """WaveNet-style block returning (residual, skip) of the same shape."""

    def __init__(self, c):
        super().__init__()
        self.fc = nn.Linear(c, 2 * c)
        self.res = nn.Linear(c, c)
        self.skip = nn.Linear(c, c)

    def forward(self, x):
        a, b = self.fc(x).chunk(2, dim=-1)
        h = torch.tanh(a) * torch.sigmoid(b)
        return x + self.res(h), self.skip(h)


def attention():
    torch.manual_seed(0)
    return AttentionModel(), {"x": np.random.default_rng(9).standard_normal((1, 10, 24)).astype(np.float32)}


class GruModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(16, 24, num_layers=2, batch_first=True, bidirectional=True)
        self.head = nn.Linear(48, 6)

    def forward(self, x):
        y, _ = self.gru(x)
        return self.head(y)


def gru():
    torch.manual_seed(0)
    return GruModel(), {"x": np.random.default_rng(10).standard_normal((1, 9, 16)).astype(np.float32)}


class LstmModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(12, 20)
        self.lstm = nn.LSTM(20, 16, num_layers=2, batch_first=True)
        self.drop = nn.Dropout(0.2)
        self.head = nn.Linear(16, 5)

    def forward(self, x):
        y, (h, c) = self.lstm(torch.relu(self.embed(x)))
        return self.head(self.drop(y))


def lstm():
    torch.manual_seed(0)
    return LstmModel(), {"x": np.random.default_rng(11).standard_normal((1, 8, 12)).astype(np.float32)}


class TiedLm(nn.Module):
    """A tiny language model whose output projection shares the embedding's weight, with a
    shared conv applied twice (a module called several times) and weight norm over dim 1."""
    INPUT_NAMES = ["tokens"]

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(40, 16)
        self.conv = nn.utils.weight_norm(nn.Conv1d(16, 16, 3, padding=1), dim=1)
        self.norm = nn.LayerNorm(16)
        self.head = nn.Linear(16, 40, bias=False)
        self.head.weight = self.embed.weight

    def forward(self, tokens):
        h = self.embed(tokens).transpose(1, 2)
        h = torch.relu(self.conv(h))
        h = torch.relu(self.conv(h))
        return self.head(self.norm(h.transpose(1, 2)))


def tied_lm():
    torch.manual_seed(0)
    return TiedLm(), {"tokens": np.random.default_rng(12).integers(0, 40, (1, 11)).astype(np.int64)}


class SharedConstants(nn.Module):
    """Two LayerNorms and two Linears holding identical values: the exporter de-duplicates
    identical initializers into one, which several consumers then share."""

    def __init__(self):
        super().__init__()
        self.lin1 = nn.Linear(16, 16)
        self.norm1 = nn.LayerNorm(16)
        self.lin2 = nn.Linear(16, 16)
        self.norm2 = nn.LayerNorm(16)
        self.out = nn.Linear(16, 4)

    def after_perturb(self):
        with torch.no_grad():
            self.lin2.weight.copy_(self.lin1.weight)
            self.lin2.bias.copy_(self.lin1.bias)
            self.norm2.weight.copy_(self.norm1.weight)
            self.norm2.bias.copy_(self.norm1.bias)

    def forward(self, x):
        h = self.norm1(torch.relu(self.lin1(x)))
        h = self.norm2(torch.relu(self.lin2(h)))
        return self.out(h)


def shared_constants():
    torch.manual_seed(0)
    return SharedConstants(), {"x": np.random.default_rng(13).standard_normal((1, 5, 16)).astype(np.float32)}


def tts(name):
    def build():
        m = reference_models.build(name, seed=0)
        return m, reference_models.make_inputs(name, seed=1)
    return build


ARCHS = {
    "resnet18": (resnet18, "torchvision ResNet-18: BatchNorm after conv (folded), downsample branch"),
    "mobilenet_v3_small": (mobilenet_v3_small, "torchvision MobileNetV3: depthwise conv, squeeze-excitation, hardswish"),
    "squeezenet": (squeezenet, "torchvision SqueezeNet 1.1: fire modules, concat"),
    "shufflenet": (shufflenet, "torchvision ShuffleNetV2: channel shuffle, chunk"),
    "efficientnet": (efficientnet, "torchvision EfficientNet-B0: SiLU, SE, stochastic depth (identity in eval)"),
    "convnext": (convnext, "torchvision ConvNeXt (small config): layer scale, stochastic depth after a Mul of the block itself"),
    "resnet18_fresh": (resnet18_fresh, "torchvision ResNet-18 as initialized (not perturbed): BatchNorms within tolerance of identity, folded"),
    "densenet": (densenet, "torchvision DenseNet (small config): BatchNorm before conv (not folded), concat"),
    "vit": (vit, "torchvision VisionTransformer (small config): class token, nn.MultiheadAttention"),
    "transformer": (transformer, "nn.Transformer encoder-decoder, two inputs, eval-mode dropout"),
    "attention": (attention, "nn.MultiheadAttention (tuple output), a block returning (residual, skip)"),
    "gru": (gru, "nn.GRU, 2 layers, bidirectional"),
    "lstm": (lstm, "nn.LSTM, 2 layers, tuple output, eval-mode Dropout"),
    "shared_constants": (shared_constants, "identical parameters the exporter de-duplicates into shared initializers"),
    "tied_lm": (tied_lm, "tied embedding / output weights, a conv called twice, weight norm over dim 1"),
    "vocoder": (tts("vocoder"), "HiFi-GAN-shaped vocoder: weight norm, ConvTranspose, Snake"),
    "encoder": (tts("encoder"), "SEANet-shaped encoder with an LSTM"),
    "dit": (tts("dit"), "DiT block: AdaLN modulation, attention"),
    "text_encoder": (tts("text_encoder"), "text encoder: embedding, conv, bidirectional LSTM"),
}


FRESH = {"resnet18_fresh"}


def make(name, out_dir, seed=100):
    build, what = ARCHS[name]
    model, inputs = build()
    model = model.float().eval()
    # Fresh models keep their initialization (BatchNorm statistics 0 / 1, weight 1, bias 0), as
    # users' first exports do; the rest are moved off it so no value is trivially identical.
    if name not in FRESH:
        model = perturb(model, seed + sorted(ARCHS).index(name))
    if hasattr(model, "after_perturb"):
        model.after_perturb()
    d = os.path.join(out_dir, name)
    os.makedirs(d, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(d, "checkpoint.pt"))
    np.savez(os.path.join(d, "inputs.npz"), **inputs)
    opset = export_onnx.export(model, inputs, os.path.join(d, "model.onnx"),
                               input_names=list(inputs.keys()))
    dump_reference.dump_model(model, inputs, os.path.join(d, "reference.npz"))
    return {"name": name, "what": what, "opset": opset}


def main():
    out_dir = sys.argv[1]
    names = sys.argv[2:] or sorted(ARCHS)
    os.makedirs(out_dir, exist_ok=True)
    corpus = [make(n, out_dir) for n in names]
    with open(os.path.join(out_dir, "corpus.json"), "w") as f:
        json.dump(corpus, f, indent=1)


if __name__ == "__main__":
    main()
