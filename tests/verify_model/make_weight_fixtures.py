"""Converted-weight fixtures for verify's model mode 3 (tests/verify_model_test.py).

Written with PyTorch/NumPy from the bundled checkpoints (reference_dumps/*/checkpoint.pt):
  vocoder_asis.safetensors      the state dict as is (weight_g / weight_v kept apart): must pass
  vocoder_fused.safetensors     weight norm fused with torch._weight_norm(v, g, dim=0), named
                                X.weight: must pass
  vocoder_bad_axis.safetensors  as fused, but ups.0 fused over the wrong axis (dim=1): the model
                                run must first diverge at ups.0 (the first module that uses it)
  dit_asis.safetensors          the DiT state dict as is: must pass
  dit_qk_swapped.safetensors    attn.qkv.weight with its q and k row blocks swapped: first
                                divergence attn.qkv
  text_encoder_asis.safetensors the text encoder's state dict (embedding, convs, BiLSTM): must pass
  text_encoder_bad_lstm.safetensors  lstm.weight_hh_l0_reverse scaled by 1.5: first divergence lstm
usage: make_weight_fixtures.py OUT_DIR REFERENCE_DUMPS_DIR
"""
import json
import os
import struct
import sys

import numpy as np
import torch


def save_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for k, v in tensors.items():
        b = np.ascontiguousarray(v.detach().numpy(), dtype=np.float32).tobytes()
        header[k] = {"dtype": "F32", "shape": list(v.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def fused(sd, bad_axis_for=()):
    out = {}
    for k, v in sd.items():
        if k.endswith(".weight_v"):
            continue
        if k.endswith(".weight_g"):
            base = k[: -len("_g")]
            g, v = sd[k], sd[base + "_v"]
            if base in bad_axis_for:
                # the norm taken over every axis but dim 1 instead of dim 0
                out[base] = g * v / torch.linalg.vector_norm(v, dim=(0, 2), keepdim=True)
            else:
                out[base] = torch._weight_norm(v, g, 0)
        else:
            out[k] = v
    return out


def main():
    out, ref = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    voc = torch.load(os.path.join(ref, "vocoder", "checkpoint.pt"))
    save_safetensors(os.path.join(out, "vocoder_asis.safetensors"), voc)
    save_safetensors(os.path.join(out, "vocoder_fused.safetensors"), fused(voc))
    save_safetensors(os.path.join(out, "vocoder_bad_axis.safetensors"),
                     fused(voc, bad_axis_for={"ups.0.weight"}))
    dit = torch.load(os.path.join(ref, "dit", "checkpoint.pt"))
    save_safetensors(os.path.join(out, "dit_asis.safetensors"), dit)
    bad = dict(dit)
    w = dit["attn.qkv.weight"].clone()
    d = w.shape[0] // 3
    bad["attn.qkv.weight"] = torch.cat([w[d:2 * d], w[:d], w[2 * d:]])
    save_safetensors(os.path.join(out, "dit_qk_swapped.safetensors"), bad)
    te = torch.load(os.path.join(ref, "text_encoder", "checkpoint.pt"))
    save_safetensors(os.path.join(out, "text_encoder_asis.safetensors"), te)
    bad = dict(te)
    bad["lstm.weight_hh_l0_reverse"] = te["lstm.weight_hh_l0_reverse"] * 1.5
    save_safetensors(os.path.join(out, "text_encoder_bad_lstm.safetensors"), bad)


if __name__ == "__main__":
    main()
