"""Writes one small file of every format `inspect` reads, and what NumPy/PyTorch say they hold.

The expected values (names, dtypes, shapes, byte counts, min/max/mean/std over the finite
elements, NaN and Inf counts, metadata) are computed here with NumPy and PyTorch, never by
tensorport. safetensors and GGUF files are laid out by hand from the format specifications
(struct + json); .npy/.npz come from NumPy, .pt from torch.save, .onnx from onnx.helper.

Outputs in OUT_DIR:
  arrays.npy           f32 [3, 4] with one NaN and two Infs
  arrays.npz           np.savez_compressed: f16 [5], i64 [2, 2], bool [3]
  model.pt             torch.save zip: conv weight, bias, a transposed (non-contiguous) view,
                       f16, bf16 and i64 tensors
  model_legacy.pt      the same state dict, _use_new_zipfile_serialization=False
  training.pt          {"model", "optimizer", "step", "config", "args"} after one Adam step
  tiny.pt              one f32 tensor of 4 elements (for the truncation sweep)
  weights.safetensors  f32 [2, 4], f16 [4, 4], i32 [2] plus __metadata__
  weights.gguf         GGUF v3: f32 [2, 4], f16 [16] plus general.architecture and two keys
  model.onnx           onnx.helper graph with f32 and i64 initializers
  expected.json        {file: {"format", "tensors": [...], "metadata": {...}}} plus
                       "training.pt@model" for --select model
Usage: /usr/bin/python3 make_fixtures.py OUT_DIR
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper
import torch

OUT = sys.argv[1]

DTYPE_NAMES = {
    np.dtype(np.float32): "f32", np.dtype(np.float16): "f16", np.dtype(np.float64): "f64",
    np.dtype(np.int8): "i8", np.dtype(np.int16): "i16", np.dtype(np.int32): "i32",
    np.dtype(np.int64): "i64", np.dtype(np.uint8): "u8", np.dtype(np.bool_): "bool",
}


def describe(name, array, dtype_name=None, itemsize=None):
    """Expected row for one tensor, from NumPy (float64 over finite values, ddof=0)."""
    a = np.asarray(array)
    values = a.astype(np.float64).ravel()
    finite = values[np.isfinite(values)]
    stats = {"min": 0.0, "max": 0.0, "mean": 0.0, "std": 0.0}
    if finite.size:
        stats = {"min": float(finite.min()), "max": float(finite.max()),
                 "mean": float(finite.mean()), "std": float(finite.std())}
    return {
        "name": name,
        "dtype": dtype_name or DTYPE_NAMES[a.dtype],
        "shape": list(a.shape),
        "bytes": int(a.size * (itemsize or a.dtype.itemsize)),
        "nan": int(np.isnan(values).sum()),
        "inf": int(np.isinf(values).sum()),
        **stats,
    }


def describe_torch(name, t):
    if t.dtype == torch.bfloat16:
        return describe(name, t.float().numpy(), "bf16", 2)
    return describe(name, t.detach().contiguous().numpy())


def path(name):
    return os.path.join(OUT, name)


def make_npy(expected):
    a = np.arange(12, dtype=np.float32).reshape(3, 4) * 0.37 - 1.5
    a[0, 1] = np.nan
    a[1, 2] = np.inf
    a[2, 3] = -np.inf
    np.save(path("arrays.npy"), a)
    expected["arrays.npy"] = {"format": "npy", "tensors": [describe("arrays", a)], "metadata": {}}


def make_npz(expected):
    rng = np.random.default_rng(7)
    half = rng.standard_normal(5).astype(np.float16)
    ints = np.array([[-3, 10**12], [7, 0]], dtype=np.int64)
    mask = np.array([True, False, True])
    np.savez_compressed(path("arrays.npz"), half=half, ints=ints, mask=mask)
    expected["arrays.npz"] = {
        "format": "npz",
        "tensors": [describe("half", half), describe("ints", ints), describe("mask", mask)],
        "metadata": {},
    }


def state_dict():
    torch.manual_seed(11)
    conv = torch.nn.Conv1d(3, 4, 5)
    base = torch.randn(3, 6)
    sd = {
        "dec.conv.weight": conv.weight.detach().clone(),
        "dec.conv.bias": conv.bias.detach().clone(),
        # A transposed view of a larger storage: non-contiguous in the file.
        "dec.proj.weight_t": base.t(),
        "dec.half": torch.randn(2, 3).half(),
        "dec.bf16": torch.randn(4).bfloat16(),
        "dec.steps": torch.tensor([1, -2, 3], dtype=torch.int64),
    }
    return sd


def make_pytorch(expected):
    sd = state_dict()
    torch.save(sd, path("model.pt"))
    torch.save(sd, path("model_legacy.pt"), _use_new_zipfile_serialization=False)
    rows = [describe_torch(k, v) for k, v in sd.items()]
    expected["model.pt"] = {"format": "pytorch", "tensors": rows, "metadata": {}}
    expected["model_legacy.pt"] = {"format": "pytorch", "tensors": rows, "metadata": {}}

    torch.save({"w": torch.tensor([0.5, -1.0, 2.0, 4.0])}, path("tiny.pt"))
    expected["tiny.pt"] = {"format": "pytorch",
                           "tensors": [describe("w", np.array([0.5, -1.0, 2.0, 4.0], np.float32))],
                           "metadata": {}}

    torch.manual_seed(5)
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.LayerNorm(2))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model(torch.randn(4, 3)).pow(2).sum().backward()
    opt.step()
    training = {
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "step": 1200,
        "config": {"sampling_rate": 22050, "name": "hifigan_v1"},
        "args": argparse.Namespace(lr=1e-3, epochs=10),
    }
    torch.save(training, path("training.pt"))
    expected["training.pt@model"] = {
        "format": "pytorch",
        "tensors": [describe_torch(k, v) for k, v in training["model"].items()],
        "metadata": {},
    }
    # Without --select: the model's tensors under "model.", Adam's moments under
    # "optimizer.state.<i>.", and the scalars as metadata.
    names = ["model." + k for k in training["model"]]
    for idx, st in training["optimizer"]["state"].items():
        for k, v in st.items():
            if torch.is_tensor(v):
                names.append("optimizer.state.%d.%s" % (idx, k))
    expected["training.pt"] = {"format": "pytorch", "tensor_names": names,
                               "metadata": {"step": 1200, "config.sampling_rate": 22050,
                                            "config.name": "hifigan_v1"}}


def make_safetensors(expected):
    rng = np.random.default_rng(3)
    entries = [
        ("enc.weight", "F32", rng.standard_normal((2, 4)).astype(np.float32)),
        ("enc.half", "F16", rng.standard_normal((4, 4)).astype(np.float16)),
        ("enc.index", "I32", np.array([-7, 70000], np.int32)),
    ]
    header, data = {"__metadata__": {"format": "pt", "note": "inspect fixture"}}, b""
    for name, st, a in entries:
        header[name] = {"dtype": st, "shape": list(a.shape),
                        "data_offsets": [len(data), len(data) + a.nbytes]}
        data += a.tobytes()
    hbytes = json.dumps(header).encode()
    hbytes += b" " * (-len(hbytes) % 8)
    with open(path("weights.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(hbytes)) + hbytes + data)
    expected["weights.safetensors"] = {
        "format": "safetensors",
        "tensors": [describe(n, a) for n, _, a in entries],
        "metadata": {"format": "pt", "note": "inspect fixture"},
    }


def gguf_string(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def make_gguf(expected):
    # GGUF v3 by the spec: magic, version, tensor count, kv count, key/values, tensor infos
    # (dims in ggml order, i.e. reversed), then data aligned to general.alignment (32 default).
    rng = np.random.default_rng(9)
    w = rng.standard_normal((2, 4)).astype(np.float32)   # 32 bytes
    h = rng.standard_normal(16).astype(np.float16)       # 32 bytes
    kvs = [("general.architecture", 8, gguf_string("hifigan")),
           ("hifigan.upsample_rate", 4, struct.pack("<I", 256)),
           ("hifigan.scale", 6, struct.pack("<f", 0.5))]
    out = b"GGUF" + struct.pack("<IQQ", 3, 2, len(kvs))
    for key, t, v in kvs:
        out += gguf_string(key) + struct.pack("<I", t) + v
    offset = 0
    blobs = []
    for name, a, ggml_type in (("dec.weight", w, 0), ("dec.half", h, 1)):
        dims = list(reversed(a.shape))
        out += gguf_string(name) + struct.pack("<I", len(dims))
        out += b"".join(struct.pack("<Q", d) for d in dims)
        out += struct.pack("<IQ", ggml_type, offset)
        blobs.append(a.tobytes())
        offset += a.nbytes + (-a.nbytes % 32)
    out += b"\0" * (-len(out) % 32)
    for b in blobs:
        out += b + b"\0" * (-len(b) % 32)
    with open(path("weights.gguf"), "wb") as f:
        f.write(out)
    expected["weights.gguf"] = {
        "format": "gguf",
        "tensors": [describe("dec.weight", w), describe("dec.half", h)],
        "metadata": {"general.architecture": "hifigan", "hifigan.upsample_rate": 256,
                     "hifigan.scale": 0.5},
    }


def make_onnx(expected):
    rng = np.random.default_rng(4)
    weight = rng.standard_normal((3, 2)).astype(np.float32)
    shape = np.array([1, 6], np.int64)
    inits = [numpy_helper.from_array(weight, "fc.weight"), numpy_helper.from_array(shape, "shape")]
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "fc.weight"], ["y"]),
         helper.make_node("Reshape", ["y", "shape"], ["z"])],
        "inspect_fixture",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("z", onnx.TensorProto.FLOAT, [1, 4])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    onnx.save(model, path("model.onnx"))
    expected["model.onnx"] = {
        "format": "onnx",
        "tensors": [describe("fc.weight", weight), describe("shape", shape)],
        "metadata": {},
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}
    make_npy(expected)
    make_npz(expected)
    make_pytorch(expected)
    make_safetensors(expected)
    make_gguf(expected)
    make_onnx(expected)
    with open(path("expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
