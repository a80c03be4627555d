"""Writes GGUF fixtures with a GGUF writer written here by hand from the specification (struct +
numpy; the `gguf` Python package is not available), for gguf_test and tests/gguf_peer.

Outputs in OUT_DIR:
  indie.gguf / indie_expected.json   v3, alignment 64, every metadata value type (nested arrays
                                     too) and every supported tensor type (Q8_0 quantized here)
  indie_v2.gguf                      the same content as version 2 with the default alignment
  bad_*.gguf, bad_cases.txt          invalid variants: file, status code, message part
Expected JSON: {"metadata": [{"key", "type", "element_type", "value"}], "tensors": [{"name",
"dtype", "ggml_type", "shape", "values", "hex"}]} where values are float64 (Q8_0 dequantized by
NumPy) and "value" is the canonical rendering shared with the C++ test and the Node peer:
integers in decimal, floats as "f" + the 16 hex digits of the float64 bits, bools true/false,
strings "s" + hex of the UTF-8 bytes, arrays "[a,b]".
Usage: /usr/bin/python3 make_fixtures.py OUT_DIR
"""
import json
import os
import struct
import sys

import numpy as np
import torch

OUT = sys.argv[1]

# gguf value types
U8, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64 = range(13)
TYPE_NAMES = ["u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64",
              "i64", "f64"]
PACK = {U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i", F32: "<f", BOOL: "<?",
        U64: "<Q", I64: "<q", F64: "<d"}


def gstr(s):
    b = s.encode("utf-8") if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


def encode_value(t, v, sub=None):
    if t == STRING:
        return gstr(v)
    if t == ARRAY:
        et, items = sub, v
        out = struct.pack("<IQ", et, len(items))
        for item in items:
            if et == ARRAY:
                out += encode_value(ARRAY, item[1], item[0])
            else:
                out += encode_value(et, item)
        return out
    return struct.pack(PACK[t], v)


def render(t, v, sub=None):
    if t == ARRAY:
        if sub == ARRAY:
            return "[" + ",".join(render(ARRAY, item[1], item[0]) for item in v) + "]"
        return "[" + ",".join(render(sub, x) for x in v) + "]"
    if t == STRING:
        return "s" + v.encode("utf-8").hex()
    if t == BOOL:
        return "true" if v else "false"
    if t in (F32, F64):
        f = float(np.float32(v)) if t == F32 else float(v)
        return "f%016x" % struct.unpack("<Q", struct.pack("<d", f))[0]
    return str(int(v))


def metadata(alignment):
    m = [
        ("general.architecture", STRING, "hifigan", None),
        ("general.name", STRING, "tiny h\u00e9 \u4e2d", None),
        ("a.u8", U8, 250, None), ("a.i8", I8, -100, None), ("a.u16", U16, 65000, None),
        ("a.i16", I16, -32000, None), ("a.u32", U32, 4000000000, None), ("a.i32", I32, -2000000000, None),
        ("a.f32", F32, 0.1, None), ("a.bool", BOOL, True, None), ("a.false", BOOL, False, None),
        ("a.u64", U64, 2**64 - 1, None), ("a.i64", I64, -(2**63), None), ("a.f64", F64, -1.0 / 3.0, None),
        ("a.empty_string", STRING, "", None),
        ("arr.i32", ARRAY, [8, 8, 2, 2], I32),
        ("arr.f32", ARRAY, [0.5, -1.25, 3.0e-8], F32),
        ("arr.strings", ARRAY, ["<pad>", "a", "\u00e9t\u00e9", ""], STRING),
        ("arr.empty", ARRAY, [], U8),
        ("arr.nested", ARRAY, [(I16, [1, -2]), (I16, []), (I16, [3])], ARRAY),
        ("arr.nested2", ARRAY, [(ARRAY, [(STRING, ["x"]), (STRING, [])])], ARRAY),
        ("arr.bool", ARRAY, [True, False, True], BOOL),
    ]
    if alignment != 32:
        m.insert(1, ("general.alignment", U32, alignment, None))
    return m


def q8_0(x):
    """Quantizes rows of 32 as ggml's reference quantize_row_q8_0 does; returns bytes and the
    dequantized values."""
    blocks = x.reshape(-1, 32).astype(np.float32)
    amax = np.abs(blocks).max(axis=1)
    d = amax / 127.0
    inv = np.where(d != 0, 1.0 / np.where(d != 0, d, 1), 0).astype(np.float32)
    q = np.round(blocks * inv[:, None]).astype(np.int8)
    d16 = d.astype(np.float16)
    raw = b"".join(d16[i].tobytes() + q[i].tobytes() for i in range(len(blocks)))
    deq = (q.astype(np.float32) * d16.astype(np.float32)[:, None]).astype(np.float64).ravel()
    return raw, deq


def tensors():
    rng = np.random.default_rng(5)
    f32 = rng.standard_normal((2, 3, 4)).astype(np.float32)
    f16 = rng.standard_normal((4, 2)).astype(np.float16)
    bsrc = rng.standard_normal((3,)).astype(np.float32)
    bbits = torch.from_numpy(bsrc).to(torch.bfloat16).view(torch.int16).numpy()
    bvals = torch.from_numpy(bbits).view(torch.bfloat16).to(torch.float64).numpy()
    qsrc = rng.standard_normal((2, 64)).astype(np.float32)
    qraw, qvals = q8_0(qsrc)
    ints8 = np.array([-128, 5, 127], np.int8)
    ints16 = np.array([[-300], [300]], np.int16)
    ints32 = np.array([70000, -70000], np.int32)
    ints64 = np.array([2**40, -(2**40)], np.int64)
    f64 = np.array([1.0 / 3.0, -2.5], np.float64)
    # name, ggml type, our dtype, numpy shape, raw bytes, values
    return [
        ("dec.conv_pre.weight", 0, "f32", f32.shape, f32.tobytes(), f32.astype(np.float64).ravel()),
        ("dec.half", 1, "f16", f16.shape, f16.tobytes(), f16.astype(np.float64).ravel()),
        ("dec.bf16", 30, "bf16", (3,), bbits.tobytes(), bvals),
        ("dec.q8", 8, "q8_0", (2, 64), qraw, qvals),
        ("i8", 24, "i8", (3,), ints8.tobytes(), ints8.astype(np.float64)),
        ("i16", 25, "i16", (2, 1), ints16.tobytes(), ints16.astype(np.float64).ravel()),
        ("i32", 26, "i32", (2,), ints32.tobytes(), ints32.astype(np.float64)),
        ("i64", 27, "i64", (2,), ints64.tobytes(), ints64.astype(np.float64)),
        ("f64", 28, "f64", (2,), f64.tobytes(), f64),
        ("scalar", 0, "f32", (), np.float32(2.5).tobytes(), np.array([2.5])),
        ("empty", 0, "f32", (0, 4), b"", np.zeros(0)),
    ]


def align(n, a):
    return (n + a - 1) // a * a


def build(meta, ts, version=3, alignment=32, magic=b"GGUF", kv_count=None, tensor_count=None,
          offsets=None, dims_override=None, type_override=None, truncate_data=0):
    out = magic + struct.pack("<I", version)
    out += struct.pack("<QQ", len(ts) if tensor_count is None else tensor_count,
                       len(meta) if kv_count is None else kv_count)
    for key, t, v, sub in meta:
        out += gstr(key) + struct.pack("<I", t) + encode_value(t, v, sub)
    off = 0
    offs = []
    for i, (name, gt, _, shape, raw, _) in enumerate(ts):
        ne = list(reversed(shape))
        if dims_override and name in dims_override:
            ne = dims_override[name]
        o = offsets[i] if offsets else off
        offs.append(o)
        out += gstr(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", d) for d in ne)
        out += struct.pack("<I", (type_override or {}).get(name, gt)) + struct.pack("<Q", o)
        off = align(off + len(raw), alignment)
    out += b"\0" * (align(len(out), alignment) - len(out))
    data = b""
    for name, gt, _, shape, raw, _ in ts:
        data += raw + b"\0" * (align(len(raw), alignment) - len(raw))
    if truncate_data:
        data = data[:-truncate_data]
    return out + data


def expected(meta, ts):
    return {
        "metadata": [{"key": k, "type": TYPE_NAMES[t], "element_type": TYPE_NAMES[sub] if sub is not None else "",
                      "value": render(t, v, sub)} for k, t, v, sub in meta],
        "tensors": [{"name": n, "ggml_type": gt, "dtype": dt, "shape": list(shape),
                     "values": [float(x) for x in vals], "hex": raw.hex()}
                    for n, gt, dt, shape, raw, vals in ts],
    }


def write(name, blob):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(blob)


def main():
    ts = tensors()
    meta64 = metadata(64)
    write("indie.gguf", build(meta64, ts, alignment=64))
    with open(os.path.join(OUT, "indie_expected.json"), "w") as f:
        json.dump(expected(meta64, ts), f)
    meta32 = metadata(32)
    write("indie_v2.gguf", build(meta32, ts, version=2))
    with open(os.path.join(OUT, "indie_v2_expected.json"), "w") as f:
        json.dump(expected(meta32, ts), f)

    small_meta = [("general.architecture", STRING, "x", None)]
    small_ts = [("w", 0, "f32", (2,), np.array([1, 2], np.float32).tobytes(), None)]
    cases = []

    def bad(name, blob, code, part):
        write(name, blob)
        cases.append((name, code, part))

    bad("bad_magic.gguf", build(small_meta, small_ts, magic=b"GGUX"), "INVALID_ARGUMENT",
        "invalid magic 'GGUX', expected 'GGUF'")
    bad("bad_version.gguf", build(small_meta, small_ts, version=1), "UNIMPLEMENTED",
        "GGUF version 1, expected 2 or 3")
    bad("bad_kv_count.gguf", build(small_meta, small_ts, kv_count=2**62), "OUT_OF_RANGE",
        "metadata key/value count 4611686018427387904 needs at least 13 bytes each")
    bad("bad_tensor_count.gguf", build(small_meta, small_ts, tensor_count=2**40), "OUT_OF_RANGE",
        "tensor info count 1099511627776")
    bad("bad_string_length.gguf",
        build([("general.architecture", STRING, "x", None)], small_ts)[:24] + struct.pack("<Q", 2**63) + b"general" + b"\0" * 64,
        "OUT_OF_RANGE", "metadata key 0 at offset 32 needs 9223372036854775808 bytes")
    big_array = b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + gstr("arr") + struct.pack("<IIQ", ARRAY, U32, 2**61)
    bad("bad_array_count.gguf", big_array, "OUT_OF_RANGE", 'metadata "arr" array count 2305843009213693952')
    bad("bad_value_type.gguf", b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + gstr("k") + struct.pack("<I", 13) + b"\0" * 8,
        "INVALID_ARGUMENT", 'metadata "k" has value type 13, expected 0..12')
    bad("bad_ggml_type.gguf", build(small_meta, small_ts, type_override={"w": 12}), "UNIMPLEMENTED",
        'tensor "w": ggml type Q4_K (12) is not supported')
    bad("bad_n_dims.gguf", build(small_meta, small_ts, dims_override={"w": [1] * 9}), "INVALID_ARGUMENT",
        'tensor "w" has 9 dimensions, expected at most 8')
    bad("bad_offset_alignment.gguf", build(small_meta, small_ts, offsets=[4]), "INVALID_ARGUMENT",
        'tensor "w" offset 4 is not a multiple of the alignment 32')
    bad("bad_overrun.gguf", build(small_meta, small_ts, offsets=[64]), "OUT_OF_RANGE",
        'tensor "w" data [64, +8)')
    bad("bad_truncated_data.gguf", build(small_meta, small_ts, truncate_data=28), "OUT_OF_RANGE",
        "runs past the end of the file")
    bad("bad_duplicate_key.gguf", build(small_meta * 2, small_ts), "INVALID_ARGUMENT",
        'metadata "general.architecture" appears twice')
    bad("bad_duplicate_tensor.gguf", build(small_meta, small_ts * 2), "INVALID_ARGUMENT",
        'tensor "w" appears twice')
    bad("bad_alignment.gguf", build([("general.alignment", U32, 48, None)] + small_meta, small_ts),
        "INVALID_ARGUMENT", "general.alignment is 48 (u32), expected a power of two")
    bad("bad_q8_0_row.gguf",
        build(small_meta, [("q", 8, "q8_0", (2, 16), b"\0" * 34, None)]), "INVALID_ARGUMENT",
        'tensor "q" is Q8_0 with shape [2, 16], expected the fastest dimension to be a multiple of 32')
    bad("bad_dim_overflow.gguf", build(small_meta, small_ts, dims_override={"w": [2**32, 2**32]}),
        "INVALID_ARGUMENT", 'tensor "w" ne[1] = 4294967296 makes the element count overflow')
    deep = b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + gstr("deep") + struct.pack("<I", ARRAY)
    deep += struct.pack("<IQ", ARRAY, 1) * 40 + struct.pack("<IQ", U8, 0)
    bad("bad_deep_array.gguf", deep, "INVALID_ARGUMENT", 'metadata "deep" nests arrays deeper than 16')
    bad("bad_bool.gguf", b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + gstr("b") + struct.pack("<IB", BOOL, 7),
        "INVALID_ARGUMENT", 'metadata "b" is a bool holding 7, expected 0 or 1')
    with open(os.path.join(OUT, "bad_cases.txt"), "w") as f:
        for c in cases:
            f.write("\t".join(c) + "\n")


if __name__ == "__main__":
    main()
