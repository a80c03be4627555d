"""Reads a file tensorport's convert wrote, with independent readers, and compares it with the
tensors PyTorch computed (an .npz from make_preset_fixtures.py).

Usage: /usr/bin/python3 check_converted.py OUT_FILE EXPECTED.npz [--dtype f32|f16] [--meta KEY=VALUE]...
GGUF is parsed by the npm @huggingface/gguf parser (gguf_dump.mjs; tests/gguf_peer holds it); the
data is then read with NumPy at the offsets the parser reports. The same file is also loaded, with
data, by ggml's own reader (tests/gguf_peer/ggml_gguf.py: gguf_init_from_file from llama.cpp's
libggml-base.so), whose tensor types, shapes and bytes must agree with the parser's. safetensors is parsed here with
json + NumPy, npz with NumPy. Exit 0 when names, shapes, dtypes and values agree.
"""
import json
import os
import struct
import subprocess
import sys

import numpy as np

GGML = {0: ("f32", np.float32), 1: ("f16", np.float16), 30: ("bf16", None)}
ST = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32,
      "BOOL": np.bool_, "U8": np.uint8, "I8": np.int8, "I16": np.int16}


def read_gguf(path):
    here = os.path.dirname(os.path.abspath(__file__))
    peer = os.environ.get("GGUF_PEER_DIR")
    dump = subprocess.run(["node", os.path.join(here, "gguf_dump.mjs"), path, peer],
                          capture_output=True, text=True)
    if dump.returncode != 0:
        sys.exit("gguf peer failed: " + dump.stderr)
    info = json.loads(dump.stdout)
    raw = np.fromfile(path, dtype=np.uint8)
    tensors = {}
    for t in info["tensors"]:
        shape = tuple(reversed(t["shape"]))
        name, np_type = GGML[t["type"]]
        start = info["data_offset"] + t["offset"]
        n = int(np.prod(shape)) if shape else 1
        size = n * np.dtype(np_type).itemsize
        tensors[t["name"]] = raw[start:start + size].view(np_type).reshape(shape)
    check_with_ggml(path, peer, info, tensors)
    return tensors, info["metadata"]


def check_with_ggml(path, peer, info, tensors):
    sys.path.insert(0, os.path.realpath(peer))
    import ggml_gguf
    try:
        loaded, _ = ggml_gguf.load(path)
    except (ValueError, FileNotFoundError) as e:
        sys.exit("ggml: %s" % e)
    if sorted(loaded) != sorted(tensors):
        sys.exit("ggml sees tensors %s, the parser %s" % (sorted(loaded), sorted(tensors)))
    for t in info["tensors"]:
        ggml_type, ne, data = loaded[t["name"]]
        shape = tuple(reversed(t["shape"]))
        if ggml_type != t["type"] or ggml_gguf.torch_shape(ne, len(shape)) != shape:
            sys.exit("%s: ggml reads type %d ne %s, the parser type %d shape %s" % (
                t["name"], ggml_type, ne, t["type"], shape))
        if data != tensors[t["name"]].tobytes():
            sys.exit("%s: ggml's bytes differ from the parser's" % t["name"])


def read_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        base = 8 + n
    raw = np.fromfile(path, dtype=np.uint8)
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, t in header.items():
        b, e = t["data_offsets"]
        tensors[name] = raw[base + b: base + e].view(ST[t["dtype"]]).reshape(t["shape"])
    return tensors, meta


def main():
    path, expected_path = sys.argv[1], sys.argv[2]
    want_dtype, metas = "f32", []
    args = sys.argv[3:]
    while args:
        flag, value = args[0], args[1]
        args = args[2:]
        if flag == "--dtype":
            want_dtype = value
        elif flag == "--meta":
            metas.append(value.split("=", 1))
    if path.endswith(".gguf"):
        got, meta = read_gguf(path)
    elif path.endswith(".safetensors"):
        got, meta = read_safetensors(path)
    else:
        got, meta = dict(np.load(path)), {}
    expected = dict(np.load(expected_path))
    errors = []
    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    if missing:
        errors.append(f"missing tensors: {missing}")
    if extra:
        errors.append(f"unexpected tensors: {extra}")
    for name in sorted(set(expected) & set(got)):
        e, g = expected[name], got[name]
        if tuple(e.shape) != tuple(g.shape):
            errors.append(f"{name}: shape {g.shape}, expected {e.shape}")
            continue
        keep_f32 = e.ndim <= 1 or "bias" in name or "norm" in name.lower()
        if e.dtype == np.float32:
            target = np.float32 if (want_dtype == "f32" or keep_f32) else np.float16
            if g.dtype != target:
                errors.append(f"{name}: dtype {g.dtype}, expected {np.dtype(target)}")
                continue
            rtol = 2e-6 if target == np.float32 else 1e-3
            diff = np.abs(g.astype(np.float64) - e.astype(np.float64))
            bound = rtol * np.abs(e.astype(np.float64)) + 1e-7
            if not np.all(diff <= bound):
                errors.append(f"{name}: max abs diff {diff.max():.3g} exceeds rtol {rtol}")
        elif not np.array_equal(g, e):
            errors.append(f"{name}: values differ")
    for key, value in metas:
        if key not in meta:
            errors.append(f"metadata {key} missing (have {sorted(meta)})")
        elif json.dumps(meta[key]) != value and str(meta[key]) != value:
            errors.append(f"metadata {key} = {json.dumps(meta[key])}, expected {value}")
    if errors:
        print("\n".join(errors))
        sys.exit(1)
    print(f"ok: {len(expected)} tensors match ({path})")


main()
