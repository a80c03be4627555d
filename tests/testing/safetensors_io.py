"""A safetensors reader and writer for the tests, written from the format's description (8-byte
little-endian header length, a JSON header of dtype / shape / data_offsets per tensor and an
optional "__metadata__" string map, then the data), independent of tensorport's own code.

    tensors, meta, dtypes = safetensors_io.read("out.safetensors")
    tensors["x.weight"] *= 1.05
    safetensors_io.write("bad.safetensors", tensors, meta, dtypes)

`read` gives arrays (writable copies) in file order, BF16 ones widened exactly to float32;
`write` takes each tensor's dtype from `dtypes` when given, else from the array (BF16 rounds to
nearest even).
"""
import json
import struct

import numpy as np

DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64,
          "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}
NAMES = {np.dtype(v): k for k, v in DTYPES.items()}


def read(path):
    """Returns (tensors, meta, dtypes): name -> array in file order, the metadata map (None when
    absent) and name -> the file's dtype name."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", None)
    order = sorted(header, key=lambda k: header[k]["data_offsets"][0])
    tensors, dtypes = {}, {}
    for name in order:
        t = header[name]
        b, e = t["data_offsets"]
        if t["dtype"] == "BF16":
            bits = np.frombuffer(data[b:e], np.uint16).astype(np.uint32) << 16
            a = bits.view(np.float32)
        else:
            a = np.frombuffer(data[b:e], DTYPES[t["dtype"]]).copy()
        tensors[name] = a.reshape(t["shape"])
        dtypes[name] = t["dtype"]
    return tensors, meta, dtypes


def write(path, tensors, meta=None, dtypes=None):
    header, blobs, offset = {}, [], 0
    if meta is not None:
        header["__metadata__"] = meta
    for name, a in tensors.items():
        dtype = (dtypes or {}).get(name) or NAMES[np.asarray(a).dtype]
        if dtype == "BF16":
            bits = np.ascontiguousarray(a, np.float32).view(np.uint32)
            raw = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16).tobytes()
        else:
            raw = np.ascontiguousarray(a, DTYPES[dtype]).tobytes()
        header[name] = {"dtype": dtype, "shape": list(np.shape(a)),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
