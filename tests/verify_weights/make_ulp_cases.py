"""Cases for CountBeyondOneUlp: NumPy steps values by whole ulps (np.nextafter in the dtype).

Each line: dtype n expected_count then n expected values and n actual values (as float64 reprs).
usage: /usr/bin/python3 make_ulp_cases.py OUT.txt
"""
import sys

import numpy as np

rng = np.random.default_rng(7)
lines = []
for name, dt in (("f32", np.float32), ("f16", np.float16)):
    x = (rng.standard_normal(64) * np.float64(10.0) ** rng.integers(-3, 3, 64)).astype(dt)
    x[0] = 0
    x[1] = np.finfo(dt).tiny  # smallest normal
    steps = rng.integers(0, 3, 64)  # 0, 1 or 2 ulps up
    y = x.copy()
    for i, k in enumerate(steps):
        for _ in range(k):
            y[i] = np.nextafter(y[i], dt(np.inf))
    expected = int((steps >= 2).sum())
    vals = " ".join(repr(float(v)) for v in x) + " " + " ".join(repr(float(v)) for v in y)
    lines.append(f"{name} {len(x)} {expected} {vals}")
with open(sys.argv[1], "w") as f:
    f.write("\n".join(lines) + "\n")
