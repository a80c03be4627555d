#!/usr/bin/python3
"""Benchmark: verify --layer-diff against NumPy computing the same metrics on two dumps.

Usage: /usr/bin/python3 tools/verify_benchmark.py [--mib 1024] [--layers 64] [--dir /tmp/vbench]
       [--format npz|npydir|both]   (build first: bazel build //verify:verify)

Writes two .npz dumps (and/or two directories of .npy files with a manifest.json) of about --mib MiB each (float32 layers, the candidate = reference + noise),
then times (1) bazel-bin/verify/verify and (2) a NumPy script that loads each layer pair and
computes the same metrics (max/mean abs, RMSE, max rel, cosine, SQNR, NMSE, mismatch fraction,
NaN/Inf counts, mean/std/min/max of both sides) in float64, one layer at a time. Prints wall time
and peak RSS (GNU time's %M for each command) for both and the ratios; the floors are 3x faster than NumPy
and peak memory under two layers' worth.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

NUMPY_SCRIPT = r'''
import sys, numpy as np
ref = np.load(sys.argv[1], mmap_mode="r"); cand = np.load(sys.argv[2], mmap_mode="r")
for k in ref.files:
    x = ref[k].astype(np.float64); y = cand[k].astype(np.float64)
    d = y - x; ad = np.abs(d); ax = np.abs(x)
    m = (ad.max(), ad.mean(), np.sqrt(np.mean(d * d)), np.max(ad / (ax + 1e-8)),
         np.sum(x * y) / np.sqrt(np.sum(x * x) * np.sum(y * y)),
         10 * np.log10(np.sum(x * x) / np.sum(d * d)), np.sum(d * d) / np.sum(x * x),
         np.mean(ad > 1e-4 + 1e-3 * np.maximum(ax, np.sqrt(np.mean(x * x)))), np.isnan(x).sum(), np.isinf(y).sum(),
         x.mean(), x.std(), x.min(), x.max(), y.mean(), y.std(), y.min(), y.max())
'''


NUMPY_DIR_SCRIPT = r'''
import json, os, sys, numpy as np
order = json.load(open(os.path.join(sys.argv[1], "manifest.json")))["order"]
for k in order:
    x = np.load(os.path.join(sys.argv[1], k + ".npy"), mmap_mode="r").astype(np.float64)
    y = np.load(os.path.join(sys.argv[2], k + ".npy"), mmap_mode="r").astype(np.float64)
    d = y - x; ad = np.abs(d); ax = np.abs(x)
    m = (ad.max(), ad.mean(), np.sqrt(np.mean(d * d)), np.max(ad / (ax + 1e-8)),
         np.sum(x * y) / np.sqrt(np.sum(x * x) * np.sum(y * y)),
         10 * np.log10(np.sum(x * x) / np.sum(d * d)), np.sum(d * d) / np.sum(x * x),
         np.mean(ad > 1e-4 + 1e-3 * np.maximum(ax, np.sqrt(np.mean(x * x)))), np.isnan(x).sum(), np.isinf(y).sum(),
         x.mean(), x.std(), x.min(), x.max(), y.mean(), y.std(), y.min(), y.max())
'''


def run(cmd):
    """Wall seconds, peak RSS (KiB) of this command alone, exit code, stderr tail.

    Peak memory comes from GNU time (/usr/bin/time -f %M). The child's own ru_maxrss is not used:
    Linux carries the high-water mark across exec, so a child forked from this Python process
    would report at least this process's resident size.
    """
    rss_file = os.path.join(os.environ.get("TMPDIR", "/tmp"), "verify_benchmark_rss.%d" % os.getpid())
    t = time.time()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file] + list(cmd),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.time() - t
    with open(rss_file) as f:
        rss = int(f.read().strip().splitlines()[-1])
    os.remove(rss_file)
    return wall, rss, p.returncode, ""


def write_dumps(a, fmt, per):
    """Writes the reference and candidate dumps (once) and returns their paths."""
    rng = np.random.default_rng(0)
    if fmt == "npz":
        ref_p, cand_p = os.path.join(a.dir, "ref.npz"), os.path.join(a.dir, "cand.npz")
    else:
        ref_p, cand_p = os.path.join(a.dir, "ref_npy"), os.path.join(a.dir, "cand_npy")
    if os.path.exists(os.path.join(a.dir, fmt + ".done")):
        return ref_p, cand_p
    ref, cand = {}, {}
    for i in range(a.layers):
        x = rng.standard_normal(per, dtype=np.float32)
        ref[f"layer{i}"] = x
        cand[f"layer{i}"] = x + np.float32(1e-7) * x
    if fmt == "npz":
        np.savez(ref_p, **ref)
        np.savez(cand_p, **cand)
    else:
        for path, d in ((ref_p, ref), (cand_p, cand)):
            os.makedirs(path, exist_ok=True)
            for k, v in d.items():
                np.save(os.path.join(path, k + ".npy"), v)
            with open(os.path.join(path, "manifest.json"), "w") as f:
                json.dump({"order": list(d)}, f)
    open(os.path.join(a.dir, fmt + ".done"), "w").close()
    return ref_p, cand_p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=1024)
    ap.add_argument("--layers", type=int, default=64)
    ap.add_argument("--dir", default="/tmp/vbench")
    ap.add_argument("--format", choices=["npz", "npydir", "both"], default="both")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    per = a.mib * 2**20 // 4 // a.layers
    layer_mib = per * 4 / 2**20
    verify = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "bazel-bin", "verify", "verify")
    for fmt in (["npz", "npydir"] if a.format == "both" else [a.format]):
        ref_p, cand_p = write_dumps(a, fmt, per)
        w_v, m_v, rc, err = run([verify, "--layer-diff", "--reference", ref_p, "--candidate", cand_p])
        if rc not in (0, 1):
            sys.exit("verify failed: exit %d" % rc)
        script = NUMPY_SCRIPT if fmt == "npz" else NUMPY_DIR_SCRIPT
        w_n, m_n, rc, err = run([sys.executable, "-c", script, ref_p, cand_p])
        if rc != 0:
            sys.exit("numpy failed: exit %d" % rc)
        print(f"[{fmt}] dumps: 2 x {a.mib} MiB, {a.layers} layers of {layer_mib:.1f} MiB")
        print(f"[{fmt}] verify: {w_v:.2f} s, peak RSS {m_v / 1024:.0f} MiB")
        print(f"[{fmt}] numpy:  {w_n:.2f} s, peak RSS {m_n / 1024:.0f} MiB")
        print(f"[{fmt}] speedup {w_n / w_v:.1f}x (floor 3x); verify peak / (2 layers = "
              f"{2 * layer_mib:.0f} MiB) = {m_v / 1024 / (2 * layer_mib):.2f} (floor < 1)")


if __name__ == "__main__":
    main()
