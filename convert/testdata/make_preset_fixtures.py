"""Checkpoints of tiny real models and the tensors each preset must produce from them.

Usage: /usr/bin/python3 make_preset_fixtures.py OUTDIR
For each model (tools/convert_fixture_models.py) writes MODEL.pth and MODEL_expected_PRESET.npz.
Expected tensors come from PyTorch: fused weights are module.weight after a forward pass (the
weight-norm pre-hook computes g * v / ||v||), MLX layouts are permutes chosen by module type
(nn.Conv1d / nn.ConvTranspose1d, not by name), LSTM biases are bias_ih + bias_hh summed by torch.
The naming rules are written here independently of the presets.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
sys.path.insert(0, os.path.dirname(os.path.abspath(sys.argv[2])) if len(sys.argv) > 2 else ".")
import convert_fixture_models as models  # noqa: E402

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def np32(t):
    return t.detach().cpu().numpy()


def fused(model, mlx=False, prefix=""):
    """State dict with weight-norm pairs replaced by module.weight (already computed by a forward)."""
    result = {}
    mods = dict(model.named_modules())
    for k, v in model.state_dict().items():
        if k.endswith(".weight_g"):
            continue
        if k.endswith(".weight_v"):
            path = k[: -len(".weight_v")]
            m = mods[path]
            w = np32(m.weight)
            name = path + ".weight"
        else:
            w = np32(v)
            name = k
            path = k.rsplit(".", 1)[0]
            m = mods.get(path)
        if mlx and name.endswith(".weight") and isinstance(m, nn.ConvTranspose1d):
            w = np.transpose(w, (1, 2, 0))
        elif mlx and name.endswith(".weight") and isinstance(m, nn.Conv1d):
            w = np.transpose(w, (0, 2, 1))
        result[prefix + name] = np.ascontiguousarray(w)
    return result


def save_npz(path, d):
    np.savez(path, **d)


# BigVGAN / HiFi-GAN generator, saved as a training checkpoint {"generator": ..., "steps": ...}.
g = models.build("bigvgan")
g(torch.randn(1, 8, 5))
torch.save({"generator": g.state_dict(), "steps": 1200}, os.path.join(out, "bigvgan.pth"))
with open(os.path.join(out, "bigvgan_config.json"), "w") as f:
    json.dump({"sampling_rate": 22050, "upsample_rates": [2, 2], "num_mels": 8,
               "upsample_initial_channel": 16}, f)
save_npz(os.path.join(out, "bigvgan_expected_hifigan.npz"), fused(g))
save_npz(os.path.join(out, "bigvgan_expected_mlx.npz"), fused(g, mlx=True))

# Encodec / SEANet.
e = models.build("encodec")
e(torch.randn(1, 1, 16))
torch.save(e.state_dict(), os.path.join(out, "encodec.pth"))
exp = fused(e)
for name, m in e.named_modules():
    if isinstance(m, nn.LSTM):
        for layer in range(m.num_layers):
            exp[f"{name}.bias_l{layer}"] = np32(getattr(m, f"bias_ih_l{layer}") + getattr(m, f"bias_hh_l{layer}"))
            del exp[f"{name}.bias_ih_l{layer}"], exp[f"{name}.bias_hh_l{layer}"]
for k in list(exp):
    if k.split(".")[-1] in ("inited", "cluster_size", "embed_avg"):
        del exp[k]
save_npz(os.path.join(out, "encodec_expected_encodec.npz"), exp)
save_npz(os.path.join(out, "encodec_expected_mlx.npz"), fused(e, mlx=True))

# Kokoro-style: a dict of component state dicts saved from DataParallel ("module." keys).
k = models.build("kokoro")
k.run_weight_norm_hooks()
ckpt = {}
for comp in k.components():
    ckpt[comp] = {"module." + key: v for key, v in getattr(k, comp).state_dict().items()}
torch.save(ckpt, os.path.join(out, "kokoro.pth"))
short = {"bert": "bert", "bert_encoder": "bert_enc", "predictor": "pred", "decoder": "dec",
         "text_encoder": "text_enc"}
exp = {}
for comp in k.components():
    for name, v in fused(getattr(k, comp)).items():
        if comp == "bert" and name == "embeddings.position_ids":
            continue
        name = name.replace("encoder.albert_layer_groups.0.albert_layers.0.", "layer.0.0.")
        exp[short[comp] + "." + name] = v
assert all(len(n) <= 63 for n in exp), [n for n in exp if len(n) > 63]
save_npz(os.path.join(out, "kokoro_expected_kokoro.npz"), exp)
