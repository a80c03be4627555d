"""Fixtures for schema_engine_test: source tensors and the values PyTorch/NumPy compute for them.

Usage: /usr/bin/python3 make_engine_fixtures.py OUTDIR
Writes engine_src.{txt,bin} (the source checkpoint) and engine_expected.{txt,bin} (what the
conversion must produce). Each .txt line: name dtype dims(comma separated, "-" for scalar)
offset nbytes, indexing into the .bin blob. Expected values come from PyTorch's own weight-norm
hook (module.weight after a forward pass) and from NumPy, never from the code under test.
"""
import os
import sys

import numpy as np
import torch

torch.manual_seed(0)
DT = {np.dtype("float32"): "f32", np.dtype("float16"): "f16", np.dtype("float64"): "f64"}


class Blob:
    def __init__(self):
        self.lines, self.data = [], bytearray()

    def add(self, name, a):
        a = np.ascontiguousarray(a)
        dims = ",".join(str(d) for d in a.shape) or "-"
        self.lines.append(f"{name} {DT[a.dtype]} {dims} {len(self.data)} {a.nbytes}")
        self.data += a.tobytes()

    def save(self, out, stem):
        with open(os.path.join(out, stem + ".txt"), "w") as f:
            f.write("\n".join(self.lines) + "\n")
        with open(os.path.join(out, stem + ".bin"), "wb") as f:
            f.write(bytes(self.data))


def perturb_g(m):
    # weight_norm initialises g = ||v||, which would make the fused weight equal v; change g so
    # a wrong axis or a missing fusion is visible.
    with torch.no_grad():
        m.weight_g.mul_(torch.rand_like(m.weight_g) + 0.5)


def fused_weight(m, x):
    m(x)  # the forward pre-hook recomputes weight from g and v
    return m.weight.detach().numpy().astype(np.float32)


out = sys.argv[1]
src, exp = Blob(), Blob()

# Conv1d [out=6, in=4, k=3] with weight norm (dim 0).
conv = torch.nn.utils.weight_norm(torch.nn.Conv1d(4, 6, 3))
perturb_g(conv)
src.add("dec.conv_pre.weight_g", conv.weight_g.detach().numpy())
src.add("dec.conv_pre.weight_v", conv.weight_v.detach().numpy())
src.add("dec.conv_pre.bias", conv.bias.detach().numpy())
w_conv = fused_weight(conv, torch.randn(1, 4, 10))
exp.add("conv.weight", w_conv)
exp.add("conv.weight.mlx", np.transpose(w_conv, (0, 2, 1)))

# ConvTranspose1d [in=6, out=5, k=4] with weight norm (dim 0 = the input channel).
up = torch.nn.utils.weight_norm(torch.nn.ConvTranspose1d(6, 5, 4, stride=2))
perturb_g(up)
src.add("dec.ups.0.weight_g", up.weight_g.detach().numpy())
src.add("dec.ups.0.weight_v", up.weight_v.detach().numpy())
w_up = fused_weight(up, torch.randn(1, 6, 7))
exp.add("up.weight", w_up)
exp.add("up.weight.mlx", np.transpose(w_up, (1, 2, 0)))

# The same Conv1d stored with the newer parametrizations names.
src.add("post.parametrizations.weight.original0", conv.weight_g.detach().numpy())
src.add("post.parametrizations.weight.original1", conv.weight_v.detach().numpy())

# LSTM(input 3, hidden 4), bidirectional: biases combined, gates split (i, f, g, o).
lstm = torch.nn.LSTM(3, 4, bidirectional=True)
sd = {k: v.detach().numpy() for k, v in lstm.state_dict().items()}
for k, v in sd.items():
    src.add("enc.lstm." + k, v)
exp.add("lstm.bias_l0", sd["bias_ih_l0"] + sd["bias_hh_l0"])
exp.add("lstm.bias_l0_reverse", sd["bias_ih_l0_reverse"] + sd["bias_hh_l0_reverse"])
for gate, part in zip("ifgo", np.split(sd["weight_ih_l0"], 4, axis=0)):
    exp.add("lstm.weight_ih_l0." + gate, part)

# A fused qkv projection [3*8, 8] and its split; a norm weight and a 2-D weight for casts.
qkv = torch.nn.Linear(8, 24).weight.detach().numpy()
src.add("attn.qkv.weight", qkv)
for name, part in zip("qkv", np.split(qkv, 3, axis=0)):
    exp.add("attn." + name + ".weight", part)
exp.add("attn.qkv.weight.f16", qkv.astype(np.float16))
norm = (torch.rand(8) + 0.5).numpy()
src.add("attn.norm.weight", norm)
wide = torch.randn(4, 64).numpy()  # last dim a multiple of 32: q8_0 possible
src.add("proj.weight", wide)

src.save(out, "engine_src")
exp.save(out, "engine_expected")
