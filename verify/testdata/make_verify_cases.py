#!/usr/bin/python3
"""Writes verify's unit-test cases; every expected value is computed here with NumPy.

Usage: make_verify_cases.py OUTDIR

Outputs (raw little-endian arrays + one text index):
  metrics_case{0..5}_{x,y}.bin  metrics_cases.txt  - metric values NumPy computes
  hint_case{0..15}_{x,y}.bin    hint_cases.txt     - planted defects and a word the hint must contain
  audio_{x,y}.bin               audio_cases.txt    - STFT distances from np.fft.rfft

Index lines: name dtype_x dtype_y shape_x shape_y atol rtol key=value...
"""
import os
import sys

import numpy as np

REL_EPS = 1e-8
OUT = sys.argv[1]
NP_DTYPE = {"f32": np.float32, "f64": np.float64, "f16": np.float16}


def shape_str(s):
    return ",".join(str(d) for d in s) if len(s) else "-"


def write(prefix, x, y):
    x.astype(x.dtype.newbyteorder("<")).tofile(os.path.join(OUT, prefix + "_x.bin"))
    y.astype(y.dtype.newbyteorder("<")).tofile(os.path.join(OUT, prefix + "_y.bin"))


def side(v):
    v = v.astype(np.float64).ravel()
    f = v[np.isfinite(v)]
    return {"finite": f.size, "nan": int(np.isnan(v).sum()), "inf": int(np.isinf(v).sum()),
            "mean": f.mean() if f.size else 0.0, "std": f.std() if f.size else 0.0,
            "min": f.min() if f.size else 0.0, "max": f.max() if f.size else 0.0}


def metrics(x, y, atol, rtol):
    x = x.astype(np.float64).ravel()
    y = y.astype(np.float64).ravel()
    both = np.isfinite(x) & np.isfinite(y)
    a, b = x[both], y[both]
    d = b - a
    ad = np.abs(d)
    agree = (np.isnan(x) & np.isnan(y)) | (np.isinf(x) & (x == y))
    nonfinite_mis = int((~both & ~agree).sum())
    sxx, syy, sdd = np.sum(a * a), np.sum(b * b), np.sum(d * d)
    # The band is relative to the larger of |x| and the reference's RMS over compared elements.
    rms = np.sqrt(sxx / max(a.size, 1))
    mism = int((ad > atol + rtol * np.maximum(np.abs(a), rms)).sum()) + nonfinite_mis
    out = {
        "compared": a.size,
        "max_abs": ad.max(),
        "mean_abs": ad.mean(),
        "rmse": np.sqrt(np.mean(d * d)),
        "max_rel": np.max(ad / (np.abs(a) + REL_EPS)),
        "cosine": np.sum(a * b) / np.sqrt(sxx * syy),
        "sqnr_db": 10 * np.log10(sxx / sdd) if sdd > 0 else np.inf,
        "nmse": sdd / sxx,
        "mismatches": mism,
        "per_element_mismatches": int((ad > atol + rtol * np.abs(a)).sum()),
        "mismatch_fraction": mism / x.size,
        "nonfinite_mismatches": nonfinite_mis,
    }
    for k, v in side(x).items():
        out["ref_" + k] = v
    for k, v in side(y).items():
        out["cand_" + k] = v
    return out


def line(name, x, y, atol, rtol, values, dx=None, dy=None):
    dx = dx or {np.float32: "f32", np.float64: "f64", np.float16: "f16"}[x.dtype.type]
    dy = dy or {np.float32: "f32", np.float64: "f64", np.float16: "f16"}[y.dtype.type]
    kv = " ".join(f"{k}={v!r}" if not isinstance(v, str) else f"{k}={v}" for k, v in values.items())
    return f"{name} {dx} {dy} {shape_str(x.shape)} {shape_str(y.shape)} {atol!r} {rtol!r} {kv}\n"


def metrics_cases(rng):
    lines = []
    cases = []
    x = rng.standard_normal(100003).astype(np.float32)
    cases.append((x, (x + 1e-3 * rng.standard_normal(x.size)).astype(np.float32), 1e-4, 1e-3))
    x = rng.standard_normal(9000)
    y = x + 1e-6 * rng.standard_normal(x.size)
    x[[5, 17, 4100]] = np.nan
    y[[5, 18]] = np.nan
    x[[30, 31]] = np.inf
    y[30] = np.inf
    y[31] = -np.inf
    y[8000] = np.inf
    cases.append((x, y, 1e-4, 1e-3))
    x = rng.standard_normal((3, 5000)).astype(np.float16)
    cases.append((x, (x.astype(np.float32) * 1.001).astype(np.float32), 1e-3, 1e-3))
    x = rng.standard_normal(5000).astype(np.float32)
    cases.append((x, x.copy(), 1e-4, 1e-3))
    x = 1e4 + rng.standard_normal(70000)
    cases.append((x, x + 1e-9 * rng.standard_normal(x.size), 1e-4, 1e-3))
    x = rng.standard_normal((64, 300)).astype(np.float32)
    cases.append((x, np.tanh(x).astype(np.float32), 1e-2, 1e-2))
    # A large-scale tensor (RMS 2^16, as int16-scaled audio) with float32-rounding-sized errors
    # (3e-6 RMS, tests/verify_calibrate_large.py): per element, values near zero would be outside
    # rtol * |x|; against the RMS-floored band none is.
    x = 65536.0 * rng.standard_normal(50000)
    cases.append((x, x + 3e-6 * 65536.0 * rng.standard_normal(x.size), 1e-4, 1e-3))
    for i, (x, y, atol, rtol) in enumerate(cases):
        write(f"metrics_case{i}", x, y)
        lines.append(line(f"metrics_case{i}", x, y, atol, rtol, metrics(x, y, atol, rtol)))
    with open(os.path.join(OUT, "metrics_cases.txt"), "w") as f:
        f.writelines(lines)


def shift_frames(x, k):
    """x delayed by k frames along the last axis, zeros shifted in (a padding mistake)."""
    y = np.zeros_like(x)
    y[..., k:] = x[..., :-k]
    return y


def eps_case(rng):
    """LayerNorm over the last axis with epsilon 1e-5 against 1e-6, rows of small variance."""
    x = rng.standard_normal((12, 64)) * np.logspace(-2, 0, 12)[:, None]
    def ln(eps):
        return (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + eps)
    return ln(1e-5), ln(1e-6), "another epsilon"


def groupnorm_vs_layernorm_case(rng):
    """[B, C, T]: GroupNorm with one group (over C and T) against LayerNorm over C per frame."""
    x = rng.standard_normal((2, 16, 40)) * (1 + rng.random((1, 1, 40)))
    gn = (x - x.mean((1, 2), keepdims=True)) / np.sqrt(x.var((1, 2), keepdims=True) + 1e-5)
    ln = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-5)
    return gn, ln, "slices along axis 2"


def modulation_case(rng):
    """[B, T, C] adaLN: x*(1+scale)+shift against x*scale+shift."""
    x = rng.standard_normal((1, 40, 16))
    shift, scale = rng.standard_normal((2, 1, 1, 16))
    return x * (1 + scale) + shift, x * scale + shift, "per-channel affine or modulation"


def hint_cases(rng):
    lines = []
    x3 = rng.standard_normal((2, 16, 40))
    x2 = rng.standard_normal((24, 30))
    x4 = rng.standard_normal((2, 3, 4, 5))
    cases = [
        (x3, np.transpose(x3, (0, 2, 1)).copy(), "(0, 2, 1)"),
        (x4, np.transpose(x4, (0, 2, 3, 1)).copy(), "(0, 2, 3, 1)"),
        (x2, np.concatenate([x2[:, 15:], x2[:, :15]], axis=1), "halves swapped"),
        (x3, np.concatenate([x3[:, 8:], x3[:, :8]], axis=1), "axis 1 in order (1, 0)"),
        (x2, np.concatenate([x2[16:], x2[:8], x2[8:16]], axis=0), "order (2, 0, 1)"),
        (x3, -x3, "sign flipped"),
        (x3, 0.5 * x3, "scaled by 0.5"),
        (x3, x3 + 0.25, "offset by 0.25"),
        (x3, np.zeros_like(x3), "all zeros"),
        (x3, np.full_like(x3, 3.0), "constant"),
        (x3, x3 + 0.1 * rng.standard_normal(x3.shape), "NONE"),
        (x3, 2.0 * x3, "+6.02 dB"),
        (x3, shift_frames(x3, 3), "shifted by 3 frames"),
        eps_case(rng),
        groupnorm_vs_layernorm_case(rng),
        modulation_case(rng),
    ]
    for i, (x, y, word) in enumerate(cases):
        write(f"hint_case{i}", x, y)
        lines.append(line(f"hint_case{i}", x, y, 1e-4, 1e-3, {"expect": word.replace(" ", "_")}))
    with open(os.path.join(OUT, "hint_cases.txt"), "w") as f:
        f.writelines(lines)


def stft_mag(sig, n_fft, hop):
    win = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    if sig.size >= n_fft:
        frames = 1 + (sig.size - n_fft) // hop
        fr = np.stack([sig[f * hop:f * hop + n_fft] for f in range(frames)])
    else:
        fr = np.zeros((1, n_fft))
        fr[0, :sig.size] = sig
    return np.abs(np.fft.rfft(fr * win, axis=-1))


def audio_case(rng):
    t = np.arange(3000) / 16000.0
    x = np.stack([np.sin(2 * np.pi * 440 * t), 0.3 * np.sin(2 * np.pi * 1234 * t)])
    x = x + 0.01 * rng.standard_normal(x.shape)
    y = x + 0.02 * rng.standard_normal(x.shape)
    res = [(2048, 512), (1024, 256), (512, 128)]
    vals = []
    for n_fft, hop in res:
        mx = np.concatenate([stft_mag(r, n_fft, hop) for r in x])
        my = np.concatenate([stft_mag(r, n_fft, hop) for r in y])
        sc = np.linalg.norm(mx - my) / np.linalg.norm(mx)
        lg = np.mean(np.abs(np.log(np.maximum(mx, 1e-7)) - np.log(np.maximum(my, 1e-7))))
        vals.append((sc, lg))
    write("audio", x, y)
    with open(os.path.join(OUT, "audio_cases.txt"), "w") as f:
        f.write(line("audio", x, y, 1e-4, 1e-3, {
            "spectral_convergence": vals[0][0], "log_stft_distance": vals[0][1],
            "mr_stft_distance": float(np.mean([a + b for a, b in vals]))}))


def main():
    rng = np.random.default_rng(1234)
    os.makedirs(OUT, exist_ok=True)
    metrics_cases(rng)
    hint_cases(rng)
    audio_case(rng)


if __name__ == "__main__":
    main()
