"""Independent check of a safetensors file the project wrote: validates it with the reference
implementation's rules (written here with json + struct + numpy) and compares it with an expected
JSON ({"metadata": [[k, v], ...], "tensors": [{"name", "dtype", "shape", "values"}]}).
Exits 0 when they agree, 1 with a message otherwise.
Usage: /usr/bin/python3 check_safetensors.py FILE EXPECTED.json
"""
import json
import struct
import sys

import numpy as np
import torch

NP = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I8": np.int8, "I16": np.int16,
      "I32": np.int32, "I64": np.int64, "U8": np.uint8, "BOOL": np.bool_}
OURS = {"F32": "f32", "F16": "f16", "BF16": "bf16", "F64": "f64", "I8": "i8", "I16": "i16",
        "I32": "i32", "I64": "i64", "U8": "u8", "BOOL": "bool"}
SIZE = {"F32": 4, "F16": 2, "BF16": 2, "F64": 8, "I8": 1, "I16": 2, "I32": 4, "I64": 8, "U8": 1,
        "BOOL": 1}


def fail(msg):
    print("check_safetensors: " + msg)
    sys.exit(1)


def main():
    path, expected_path = sys.argv[1], sys.argv[2]
    blob = open(path, "rb").read()
    expected = json.load(open(expected_path))
    (n,) = struct.unpack("<Q", blob[:8])
    if n > 100_000_000 or 8 + n > len(blob):
        fail("bad header length %d" % n)
    if (8 + n) % 8:
        fail("data section starts at %d, not a multiple of 8" % (8 + n))
    text = blob[8:8 + n].decode("utf-8")
    if not text.startswith("{"):
        fail("header does not start with '{'")
    pairs = json.loads(text, object_pairs_hook=lambda p: p)  # top-level order and duplicates
    header = json.loads(text)
    if len(header) != len(pairs):
        fail("duplicate keys in header")
    data = blob[8 + n:]
    header.pop("__metadata__", None)
    meta_pairs = [list(kv) for k, v in pairs if k == "__metadata__" for kv in (v or [])]
    for k, v in meta_pairs:
        if not isinstance(v, str):
            fail("metadata %r is not a string" % k)
    if meta_pairs != expected["metadata"]:
        fail("metadata %r != expected %r" % (meta_pairs, expected["metadata"]))
    infos = sorted(((v, k) for k, v in header.items()), key=lambda x: tuple(x[0]["data_offsets"]))
    pos = 0
    for info, name in infos:
        b, e = info["data_offsets"]
        if b != pos or e < b or e > len(data):
            fail("tensor %s offsets [%d, %d] do not tile (expected begin %d)" % (name, b, e, pos))
        numel = int(np.prod(info["shape"], dtype=np.int64)) if info["shape"] else 1
        if numel * SIZE[info["dtype"]] != e - b:
            fail("tensor %s size mismatch" % name)
        pos = e
    if pos != len(data):
        fail("tensors cover %d of %d data bytes" % (pos, len(data)))
    # Order of the header's tensor entries must be the order given to the writer.
    header_names = [k for k, _ in pairs if k != "__metadata__"]
    want_names = [t["name"] for t in expected["tensors"]]
    if header_names != want_names:
        fail("header order %r != %r" % (header_names, want_names))
    for t in expected["tensors"]:
        info = header[t["name"]]
        if OURS[info["dtype"]] != t["dtype"] or info["shape"] != t["shape"]:
            fail("tensor %s: %s %r != expected %s %r" % (t["name"], info["dtype"], info["shape"],
                                                         t["dtype"], t["shape"]))
        b, e = info["data_offsets"]
        raw = data[b:e]
        if info["dtype"] == "BF16":
            vals = torch.frombuffer(bytearray(raw), dtype=torch.bfloat16).to(torch.float64).numpy() if raw else np.zeros(0)
        else:
            vals = np.frombuffer(raw, dtype=NP[info["dtype"]]).astype(np.float64)
        if list(vals.ravel()) != t["values"]:
            fail("tensor %s values %r != expected %r" % (t["name"], list(vals.ravel())[:8], t["values"][:8]))
    print("check_safetensors: OK (%d tensors)" % len(expected["tensors"]))


if __name__ == "__main__":
    main()
