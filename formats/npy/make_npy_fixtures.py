"""Builds the .npy/.npz fixtures for npy_test with NumPy, plus the expected values in a form that
does not need a .npy parser: each array's elements as raw little-endian, C-order bytes.

Usage: /usr/bin/python3 make_npy_fixtures.py OUT_DIR

Writes every .npy in ARRAYS, unaligned_f64.npy, stored.npz and compressed.npz (np.savez /
np.savez_compressed of NPZ, keys deliberately not sorted), the bad_*.npy files (headers that are
well formed but claim more data than the file holds, overflow, or use unsupported dtypes), and
  npy_expected.txt  one line per array: file entry dtype shape offset length
                    (entry is "-" for a .npy file; dtype is the tensorport dtype name the NumPy
                    dtype maps to; shape like [3,4], [] for 0-d)
  npy_expected.bin  the arrays' bytes (little-endian, C order), concatenated
"""
import os
import struct
import sys

import numpy as np
from numpy.lib import format as npformat

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20240501)

# NumPy kind+size -> tensorport dtype name (the mapping the npy format defines).
TP_NAME = {"f4": "f32", "f2": "f16", "f8": "f64", "i1": "i8", "i2": "i16", "i4": "i32",
           "i8": "i64", "u1": "u8", "b1": "bool"}


def specials(dtype):
    a = (rng.standard_normal(12) * 100).astype(dtype)
    a[0], a[1], a[2], a[3] = np.nan, np.inf, -np.inf, -0.0
    if np.dtype(dtype).itemsize == 2:
        a[4] = np.float16(6e-8)  # f16 subnormal
    return a.reshape(3, 4)


def ints(dtype, shape=(2, 5)):
    info = np.iinfo(dtype)
    n = int(np.prod(shape))
    a = rng.integers(info.min, info.max, size=n, dtype=dtype, endpoint=True)
    a[0], a[1] = info.min, info.max
    return a.reshape(shape)


ARRAYS = {
    "f32.npy": (specials(np.float32), {}),
    "f16.npy": (specials(np.float16), {}),
    "f64.npy": (specials(np.float64), {}),
    "i8.npy": (ints(np.int8), {}),
    "i16.npy": (ints(np.int16), {}),
    "i32.npy": (ints(np.int32), {}),
    "i64.npy": (ints(np.int64), {}),
    "u8.npy": (ints(np.uint8), {}),
    "bool.npy": (rng.integers(0, 2, size=(4, 3)).astype(np.bool_), {}),
    "be_f32.npy": (specials(np.float32).astype(">f4"), {}),
    "be_f16.npy": (specials(np.float16).astype(">f2"), {}),
    "be_f64.npy": (specials(np.float64).astype(">f8"), {}),
    "be_i16.npy": (ints(np.int16).astype(">i2"), {}),
    "be_i32.npy": (ints(np.int32).astype(">i4"), {}),
    "be_i64.npy": (ints(np.int64).astype(">i8"), {}),
    "v2_f32.npy": (specials(np.float32), {"version": (2, 0)}),
    "v3_i16.npy": (ints(np.int16, (3, 2)), {"version": (3, 0)}),
    "fortran_f32.npy": (np.asfortranarray(specials(np.float32)), {}),
    "fortran_i16_3d.npy": (np.asfortranarray(ints(np.int16, (2, 3, 4))), {}),
    "fortran_be_f64.npy": (np.asfortranarray(rng.standard_normal((3, 2)).astype(">f8")), {}),
    "scalar_f32.npy": (np.array(3.25, dtype=np.float32), {}),
    "scalar_bool.npy": (np.array(True), {}),
    "vector_f16.npy": (np.arange(5, dtype=np.float16) / 3, {}),
    "empty_f32.npy": (np.zeros((0,), dtype=np.float32), {}),
    "empty_i64_3d.npy": (np.zeros((2, 0, 3), dtype=np.int64), {}),
}

lines = []
blob = bytearray()


def record(file, entry, arr):
    dt = arr.dtype
    name = TP_NAME[dt.kind + str(dt.itemsize)]
    raw = np.ascontiguousarray(arr).astype(dt.newbyteorder("<")).tobytes(order="C")
    shape = "[" + ",".join(str(d) for d in arr.shape) + "]"
    lines.append("%s %s %s %s %d %d" % (file, entry, name, shape, len(blob), len(raw)))
    blob.extend(raw)


for fname, (arr, kw) in ARRAYS.items():
    with open(os.path.join(out, fname), "wb") as f:
        npformat.write_array(f, arr, allow_pickle=False, **kw)
    back = np.load(os.path.join(out, fname))
    assert back.dtype == arr.dtype and back.shape == arr.shape
    assert np.array_equal(back, arr, equal_nan=back.dtype.kind == "f")
    assert back.flags.f_contiguous == arr.flags.f_contiguous or arr.ndim < 2
    record(fname, "-", back)

# Version 1.0 header padded so the data starts at an odd offset (NumPy itself aligns to 64, but
# readers accept any header length): exercises the unaligned path.
odd = rng.standard_normal(5)
header = "{'descr': '<f8', 'fortran_order': False, 'shape': (5,), }"
header += " " * ((11 - (10 + len(header) + 1) % 2) % 2 + 2) + "\n"
assert (10 + len(header)) % 2 == 1
with open(os.path.join(out, "unaligned_f64.npy"), "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    f.write(odd.astype("<f8").tobytes())
assert np.array_equal(np.load(os.path.join(out, "unaligned_f64.npy")), odd)
record("unaligned_f64.npy", "-", odd)

# .npz: entry order is the keyword order (not sorted), stored and deflated.
NPZ = {
    "zeta": specials(np.float32),
    "alpha": ints(np.int64, (3,)),
    "mid.layer": np.asfortranarray(ints(np.int16, (2, 3))),
    "flag": np.array(False),
    "half": specials(np.float16).astype(">f2"),
}
np.savez(os.path.join(out, "stored.npz"), **NPZ)
np.savez_compressed(os.path.join(out, "compressed.npz"), **NPZ)
for fname in ["stored.npz", "compressed.npz"]:
    with np.load(os.path.join(out, fname)) as z:
        assert list(z.keys()) == list(NPZ.keys()), z.keys()
        for k in z.keys():
            record(fname, k, z[k])

with open(os.path.join(out, "npy_expected.txt"), "w") as f:
    f.write("\n".join(lines) + "\n")
with open(os.path.join(out, "npy_expected.bin"), "wb") as f:
    f.write(bytes(blob))


# Files whose header is well formed but wrong or unsupported.
def write_header(fname, d, payload=b"", version=(1, 0)):
    with open(os.path.join(out, fname), "wb") as f:
        if version == (1, 0):
            npformat.write_array_header_1_0(f, d)
        else:
            npformat.write_array_header_2_0(f, d)
        f.write(payload)


write_header("bad_huge.npy", {"descr": "<f4", "fortran_order": False, "shape": (1000000000,)},
             b"\0" * 16)
write_header("bad_huge_v2.npy", {"descr": "<f8", "fortran_order": True,
                                 "shape": (1 << 20, 1 << 20)}, b"\0" * 16, version=(2, 0))
write_header("bad_overflow.npy", {"descr": "<f4", "fortran_order": False,
                                  "shape": (1 << 40, 1 << 40)}, b"\0" * 16)
write_header("bad_complex.npy", {"descr": "<c8", "fortran_order": False, "shape": (2,)},
             b"\0" * 16)
write_header("bad_u16.npy", {"descr": "<u2", "fortran_order": False, "shape": (2,)}, b"\0" * 4)
with open(os.path.join(out, "bad_structured.npy"), "wb") as f:
    npformat.write_array(f, np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")]))
