"""Checks, with NumPy, files that tensorport wrote against the NumPy-written originals they came
from. Used by npy_test (run through popen).

Usage: /usr/bin/python3 npy_roundtrip_check.py ORIGINAL OURS [ORIGINAL OURS ...]

For .npy pairs: same shape, dtype equal to the original's little-endian form, identical bytes in
C order (so NaN payloads and signed zeros count). For .npz pairs: the same keys in the same order,
each array compared the same way. Prints "ok" per pair, or a reason, and exits 1 on any mismatch.
"""
import sys

import numpy as np


def same(orig, ours, what):
    want_dtype = orig.dtype.newbyteorder("<")
    if ours.dtype != want_dtype:
        return "%s: dtype %s, expected %s" % (what, ours.dtype.str, want_dtype.str)
    if ours.shape != orig.shape:
        return "%s: shape %s, expected %s" % (what, ours.shape, orig.shape)
    if ours.ndim > 1 and not ours.flags.c_contiguous:
        return "%s: not C-ordered" % what
    want = np.ascontiguousarray(orig).astype(want_dtype).tobytes()
    if np.ascontiguousarray(ours).tobytes() != want:
        return "%s: values differ" % what
    return None


failed = False
args = sys.argv[1:]
for orig_path, ours_path in zip(args[0::2], args[1::2]):
    if orig_path.endswith(".npz"):
        with np.load(orig_path) as a, np.load(ours_path) as b:
            if list(a.keys()) != list(b.keys()):
                err = "%s: keys %s, expected %s" % (ours_path, list(b.keys()), list(a.keys()))
            else:
                err = None
                for k in a.keys():
                    err = err or same(a[k], b[k], "%s[%s]" % (ours_path, k))
    else:
        err = same(np.load(orig_path), np.load(ours_path), ours_path)
    print(err or "ok")
    failed = failed or err is not None
sys.exit(1 if failed else 0)
