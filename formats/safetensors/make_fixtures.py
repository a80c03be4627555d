"""Writes safetensors fixtures by hand (json + struct + numpy, following the format's
specification; the `safetensors` Python package is not installed) for safetensors_test.

Outputs in OUT_DIR:
  basic.safetensors      every supported dtype, a scalar, an empty tensor, __metadata__; the
                         header lists tensors in a different order from their data
  basic_expected.json    what NumPy/PyTorch hold: names in data order, dtype, shape, values
  bad_*.safetensors      invalid variants; bad_cases.txt lists file, status code, message part
Usage: /usr/bin/python3 make_fixtures.py OUT_DIR
"""
import json
import os
import struct
import sys

import numpy as np
import torch

OUT = sys.argv[1]


def bf16_bits(values):
    # PyTorch rounds to bfloat16; its bit pattern is what a BF16 safetensors entry stores.
    return torch.tensor(values, dtype=torch.float32).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)


def tensors():
    rng = np.random.default_rng(3)
    f32 = rng.standard_normal((2, 3)).astype(np.float32)
    f16 = rng.standard_normal((3, 2)).astype(np.float16)
    bf_src = rng.standard_normal((4,)).astype(np.float32)
    bf_bits = bf16_bits(bf_src)
    bf_values = torch.from_numpy(bf_bits.view(np.int16)).view(torch.bfloat16).to(torch.float64).numpy()
    out = [
        # name, safetensors dtype, our dtype, shape, raw bytes, values (float64 list)
        ("dec.conv.weight", "F32", "f32", f32.shape, f32.tobytes(), f32.astype(np.float64)),
        ("dec.half", "F16", "f16", f16.shape, f16.tobytes(), f16.astype(np.float64)),
        ("dec.bf16", "BF16", "bf16", bf_bits.shape, bf_bits.tobytes(), bf_values),
        ("f64", "F64", "f64", (2,), np.array([1.5, -2.25]).tobytes(), np.array([1.5, -2.25])),
        ("i8", "I8", "i8", (3,), np.array([-128, 0, 127], np.int8).tobytes(), [-128, 0, 127]),
        ("i16", "I16", "i16", (2,), np.array([-300, 300], np.int16).tobytes(), [-300, 300]),
        ("i32", "I32", "i32", (1, 2), np.array([[-70000, 70000]], np.int32).tobytes(), [-70000, 70000]),
        ("i64", "I64", "i64", (2,), np.array([-(2**40), 2**40], np.int64).tobytes(), [-(2**40), 2**40]),
        ("u8", "U8", "u8", (2,), np.array([0, 255], np.uint8).tobytes(), [0, 255]),
        ("mask", "BOOL", "bool", (3,), np.array([True, False, True]).tobytes(), [1, 0, 1]),
        ("scalar", "F32", "f32", (), np.array(3.5, np.float32).tobytes(), [3.5]),
        ("empty", "F32", "f32", (0, 3), b"", []),
        ("step", "I64", "i64", (), np.array(1200, np.int64).tobytes(), [1200]),
    ]
    return out


def build(entries, metadata=None, header_order=None, pad=True, mutate_header=None, data_extra=b"",
          offsets_override=None):
    """entries: list of (name, st_dtype, shape, raw). Data laid out in list order."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset = 0
    infos = {}
    for name, st, shape, raw in entries:
        infos[name] = {"dtype": st, "shape": list(shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    if offsets_override:
        for name, offs in offsets_override.items():
            infos[name]["data_offsets"] = offs
    order = header_order or [e[0] for e in entries]
    for name in order:
        header[name] = infos[name]
    if mutate_header:
        mutate_header(header)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    if pad:
        text += b" " * ((8 - len(text) % 8) % 8)
    data = b"".join(e[3] for e in entries) + data_extra
    return struct.pack("<Q", len(text)) + text + data


def write(name, blob):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(blob)


def main():
    ts = tensors()
    entries = [(t[0], t[1], t[3], t[4]) for t in ts]
    order = [e[0] for e in entries]
    header_order = order[::2] + order[1::2]  # deliberately not the data order
    metadata = {"format": "pt", "note": "h\u00e9llo \"quoted\"", "empty": ""}
    write("basic.safetensors", build(entries, metadata, header_order))
    expected = {
        "metadata": [[k, v] for k, v in metadata.items()],
        "tensors": [{"name": t[0], "dtype": t[2], "shape": list(t[3]),
                     "values": [float(v) for v in np.asarray(t[5], dtype=np.float64).ravel()]}
                    for t in ts],
    }
    with open(os.path.join(OUT, "basic_expected.json"), "w") as f:
        json.dump(expected, f)

    a = ("a", "F32", (2,), np.array([1, 2], np.float32).tobytes())
    b = ("b", "F32", (2,), np.array([3, 4], np.float32).tobytes())
    cases = []

    def bad(name, blob, code, part):
        write(name, blob)
        cases.append((name, code, part))

    bad("bad_gap.safetensors", build([a, b], offsets_override={"b": [12, 20]}, data_extra=b"\0" * 4),
        "INVALID_ARGUMENT", 'tensor "b": data_offsets [12, 20] leave a gap')
    bad("bad_overlap.safetensors", build([a, b], offsets_override={"b": [4, 12]}, data_extra=b""),
        "INVALID_ARGUMENT", "overlap")
    bad("bad_overrun.safetensors", build([a, b], offsets_override={"b": [8, 24]}),
        "OUT_OF_RANGE", "run past the data section (16 bytes)")
    bad("bad_trailing.safetensors", build([a, b], data_extra=b"\0" * 8),
        "INVALID_ARGUMENT", "tensors cover 16 bytes of the data section, which holds 24")
    bad("bad_dtype.safetensors", build([("a", "F8_E4M3", (2,), b"\0\0")]),
        "UNIMPLEMENTED", 'tensor "a": dtype "F8_E4M3" is not supported')
    bad("bad_dtype_unknown.safetensors", build([("a", "Q4", (2,), b"\0\0")]),
        "UNIMPLEMENTED", 'dtype "Q4"')
    bad("bad_numel.safetensors", build([("a", "F32", (3,), b"\0" * 8)]),
        "INVALID_ARGUMENT", "F32 [3] needs 3 x 4 bytes, data_offsets [0, 8] hold 8")
    bad("bad_end_before_begin.safetensors", build([a], offsets_override={"a": [8, 0]}),
        "INVALID_ARGUMENT", "end before they begin")
    huge = struct.pack("<Q", 100_000_001) + b"{}"
    bad("bad_header_too_long.safetensors", huge, "INVALID_ARGUMENT", "header length 100000001 exceeds")
    bad("bad_header_past_end.safetensors", struct.pack("<Q", 64) + b"{}      ",
        "OUT_OF_RANGE", "header at offset 8 needs 64 bytes")
    bad("bad_not_object.safetensors", struct.pack("<Q", 8) + b"[]      ",
        "INVALID_ARGUMENT", "expected '{'")
    bad("bad_json.safetensors", struct.pack("<Q", 8) + b'{"a":,} ',
        "INVALID_ARGUMENT", "header: JSON at byte 5")
    bad("bad_metadata_value.safetensors", build([a], metadata={"step": 3}),
        "INVALID_ARGUMENT", '__metadata__ "step" is a number, expected a string')
    bad("bad_negative_dim.safetensors", build([a], mutate_header=lambda h: h["a"].update(shape=[-2])),
        "INVALID_ARGUMENT", "shape[0] is -2")
    bad("bad_offsets_shape.safetensors", build([a], mutate_header=lambda h: h["a"].update(data_offsets=[0])),
        "INVALID_ARGUMENT", "data_offsets is an array of 1, expected [begin, end]")
    bad("bad_missing_dtype.safetensors", build([a], mutate_header=lambda h: h["a"].pop("dtype")),
        "INVALID_ARGUMENT", 'lacks "dtype"')
    dup_text = b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}'
    bad("bad_duplicate.safetensors", struct.pack("<Q", len(dup_text)) + dup_text + b"\0" * 8,
        "INVALID_ARGUMENT", 'header names "a" twice')
    bad("bad_short.safetensors", b"\x10\0\0", "OUT_OF_RANGE", "header length at offset 0 needs 8 bytes")
    big_dim = build([a], mutate_header=lambda h: h["a"].update(shape=[2**62, 2**62]))
    bad("bad_shape_overflow.safetensors", big_dim, "INVALID_ARGUMENT", "overflows 64 bits")
    with open(os.path.join(OUT, "bad_cases.txt"), "w") as f:
        for c in cases:
            f.write("\t".join(c) + "\n")


if __name__ == "__main__":
    main()
