"""End-to-end tests of the `inspect` binary.

Runs the real binary (//tools:inspect) on one file of every format and compares what it prints
with expected.json, which make_fixtures.py computed with NumPy/PyTorch (never with tensorport).
Also: format detection by magic under a misleading extension, --select on a nested training
checkpoint, BUILD_WORKING_DIRECTORY (what `bazel run` sets), a malicious pickle (warning printed,
command not run), and bad input: empty, garbage, oversized header fields and every truncation
length of small .npy/.npz/.safetensors/.gguf/PyTorch files -> exit code 2 and exactly one line on
stderr naming the file, never a crash.

Usage (from the sh_test //tools:inspect_e2e_test):
  /usr/bin/python3 inspect_e2e_test.py INSPECT_BINARY EXPECTED_JSON
"""
import concurrent.futures
import json
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

INSPECT = os.path.abspath(sys.argv[1])
EXPECTED_PATH = os.path.abspath(sys.argv[2])
FIXTURES = os.path.dirname(EXPECTED_PATH)
with open(EXPECTED_PATH) as f:
    EXPECTED = json.load(f)
TMP = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))

REL_TOL = 1e-6


def run(args, cwd=None, env=None):
    full_env = dict(os.environ)
    full_env.pop("BUILD_WORKING_DIRECTORY", None)
    full_env.update(env or {})
    p = subprocess.run([INSPECT] + args, capture_output=True, text=True, cwd=cwd, env=full_env,
                       timeout=60)
    return p.returncode, p.stdout, p.stderr


def fixture(name):
    return os.path.join(FIXTURES, name)


def close(got, want, rel):
    if got is None:  # inspect writes NaN/Inf statistics as null
        return False
    return abs(got - want) <= rel * max(abs(want), 1e-30) or got == want


def parse_table(stdout):
    """Tensor rows of the table: dicts keyed by the header row (columns are 2+ spaces apart)."""
    lines = stdout.splitlines()
    try:
        start = next(i for i, l in enumerate(lines) if re.match(r"^name\s{2,}dtype\s{2,}shape", l))
    except StopIteration:
        return None
    header = re.split(r"\s{2,}", lines[start].strip())
    rows = []
    for line in lines[start + 1:]:
        if not line.strip():
            break
        rows.append(dict(zip(header, re.split(r"\s{2,}", line.strip()))))
    return rows


def shape_text(shape):
    return "[" + ", ".join(str(d) for d in shape) + "]"


class InspectEndToEnd(unittest.TestCase):
    def check_ok_run(self, args, **kw):
        rc, out, err = run(args, **kw)
        self.assertEqual(rc, 0, "inspect %s: rc=%d stderr=%s" % (args, rc, err))
        return out

    def check_tensors_json(self, got, want, stats):
        self.assertEqual([t["name"] for t in got], [t["name"] for t in want])
        for g, w in zip(got, want):
            with self.subTest(tensor=w["name"]):
                self.assertEqual(g["dtype"], w["dtype"])
                self.assertEqual(g["shape"], w["shape"])
                self.assertEqual(g["bytes"], w["bytes"])
                if stats:
                    for k in ("nan", "inf"):
                        self.assertEqual(g[k], w[k], k)
                    for k in ("min", "max", "mean", "std"):
                        self.assertTrue(close(g[k], w[k], REL_TOL),
                                        "%s: %s=%r, NumPy says %r" % (w["name"], k, g[k], w[k]))

    def test_table_every_format(self):
        for name, want in EXPECTED.items():
            if "@" in name or "tensors" not in want:
                continue
            with self.subTest(file=name):
                out = self.check_ok_run([fixture(name)])
                first = out.splitlines()[0]
                self.assertIn(fixture(name), first)
                self.assertIn(": %s," % want["format"], first)
                self.assertIn("%d tensors" % len(want["tensors"]), first)
                rows = parse_table(out)
                self.assertIsNotNone(rows, out)
                self.assertEqual([r["name"] for r in rows], [t["name"] for t in want["tensors"]])
                for r, t in zip(rows, want["tensors"]):
                    self.assertEqual(r["dtype"], t["dtype"])
                    self.assertEqual(r["shape"], shape_text(t["shape"]))
                    self.assertEqual(int(r["bytes"]), t["bytes"])

    def test_table_stats(self):
        # The table prints 6 significant digits: rounding leaves at most 5e-6 relative.
        for name, want in EXPECTED.items():
            if "@" in name or "tensors" not in want:
                continue
            with self.subTest(file=name):
                rows = parse_table(self.check_ok_run([fixture(name), "--stats"]))
                for r, t in zip(rows, want["tensors"]):
                    self.assertEqual(int(r["nan"]), t["nan"])
                    self.assertEqual(int(r["inf"]), t["inf"])
                    for k in ("min", "max", "mean", "std"):
                        self.assertTrue(close(float(r[k]), t[k], 5e-6) or abs(t[k]) < 1e-300,
                                        "%s %s: %s vs NumPy %r" % (name, k, r[k], t[k]))

    def test_json_with_stats_every_format(self):
        for name, want in EXPECTED.items():
            if "@" in name or "tensors" not in want:
                continue
            with self.subTest(file=name):
                doc = json.loads(self.check_ok_run([fixture(name), "--json", "--stats"]))
                self.assertEqual(doc["format"], want["format"])
                self.assertIsInstance(doc["metadata"], dict)
                self.check_tensors_json(doc["tensors"], want["tensors"], stats=True)
                for k, v in want["metadata"].items():
                    self.assertIn(k, doc["metadata"])
                    if isinstance(v, float):
                        self.assertTrue(close(doc["metadata"][k], v, REL_TOL))
                    else:
                        self.assertEqual(doc["metadata"][k], v)

    def test_json_without_stats(self):
        doc = json.loads(self.check_ok_run([fixture("arrays.npz"), "--json"]))
        self.check_tensors_json(doc["tensors"], EXPECTED["arrays.npz"]["tensors"], stats=False)
        for t in doc["tensors"]:
            self.assertEqual(sorted(t), ["bytes", "dtype", "name", "shape"])
        self.assertEqual(doc["metadata"], {})

    def test_detects_format_by_magic_not_extension(self):
        for src, fake in (("weights.safetensors", "x.pt"), ("weights.gguf", "x.npy"),
                          ("model.pt", "x.safetensors"), ("arrays.npy", "x.gguf"),
                          ("arrays.npz", "x.onnx"), ("model_legacy.pt", "x.npz")):
            with self.subTest(src=src, named=fake):
                dst = os.path.join(TMP, fake)
                shutil.copyfile(fixture(src), dst)
                doc = json.loads(self.check_ok_run([dst, "--json"]))
                self.assertEqual(doc["format"], EXPECTED[src]["format"])
                want = [dict(t) for t in EXPECTED[src]["tensors"]]
                if src.endswith(".npy"):  # a lone .npy's tensor is named after the file
                    want[0]["name"] = doc["tensors"][0]["name"]
                    self.assertTrue(doc["tensors"][0]["name"].startswith("x"))
                self.check_tensors_json(doc["tensors"], want, stats=False)

    def test_training_checkpoint_whole(self):
        want = EXPECTED["training.pt"]
        doc = json.loads(self.check_ok_run([fixture("training.pt"), "--json"]))
        self.assertEqual(sorted(t["name"] for t in doc["tensors"]), sorted(want["tensor_names"]))
        for k, v in want["metadata"].items():
            self.assertEqual(doc["metadata"].get(k), v, k)

    def test_select_model_of_training_checkpoint(self):
        want = EXPECTED["training.pt@model"]
        doc = json.loads(self.check_ok_run([fixture("training.pt"), "--select", "model",
                                            "--json", "--stats"]))
        self.check_tensors_json(doc["tensors"], want["tensors"], stats=True)
        self.assertNotIn("step", doc["metadata"])
        rows = parse_table(self.check_ok_run([fixture("training.pt"), "--select=model"]))
        self.assertEqual([r["name"] for r in rows], [t["name"] for t in want["tensors"]])

    def test_select_missing_key_is_one_line_error(self):
        self.check_bad([fixture("training.pt"), "--select", "generator"], fixture("training.pt"),
                       "generator")

    def test_bazel_run_working_directory(self):
        # `bazel run` starts the binary in its runfiles tree and says where the user was in
        # BUILD_WORKING_DIRECTORY; a relative FILE must be resolved against that.
        elsewhere = os.path.join(TMP, "elsewhere")
        os.makedirs(elsewhere, exist_ok=True)
        doc = json.loads(self.check_ok_run(["arrays.npy", "--json"], cwd=elsewhere,
                                           env={"BUILD_WORKING_DIRECTORY": FIXTURES}))
        self.check_tensors_json(doc["tensors"], EXPECTED["arrays.npy"]["tensors"], stats=False)
        # Without it, a relative path is relative to the current directory.
        doc = json.loads(self.check_ok_run(["arrays.npy", "--json"], cwd=FIXTURES))
        self.assertEqual(doc["tensors"][0]["name"], "arrays")
        # An absolute path is left alone.
        self.check_ok_run([fixture("arrays.npy")], cwd=elsewhere,
                          env={"BUILD_WORKING_DIRECTORY": "/nonexistent"})

    def test_malicious_pickle_warns_and_runs_nothing(self):
        marker = os.path.join(TMP, "MARKER_malicious_ran")
        script = (
            "import os, sys, torch\n"
            "class Evil:\n"
            "    def __reduce__(self):\n"
            "        return (os.system, ('touch ' + sys.argv[2],))\n"
            "obj = {'weight': torch.tensor([1.0, 2.0]), 'payload': Evil()}\n"
            "torch.save(obj, sys.argv[1] + '.pt')\n"
            "torch.save(obj, sys.argv[1] + '_legacy.pt', _use_new_zipfile_serialization=False)\n")
        base = os.path.join(TMP, "malicious")
        subprocess.run(["/usr/bin/python3", "-c", script, base, marker], check=True)
        self.assertFalse(os.path.exists(marker), "saving must not run the payload")
        for path in (base + ".pt", base + "_legacy.pt"):
            with self.subTest(file=path):
                for args in ([path], [path, "--stats"]):
                    out = self.check_ok_run(args)
                    warnings = [l for l in out.splitlines() if l.startswith("WARNING")]
                    self.assertTrue(warnings, out)
                    self.assertTrue(any("posix.system" in w or "os.system" in w for w in warnings),
                                    warnings)
                    self.assertIn("weight", out)
                doc = json.loads(self.check_ok_run([path, "--json"]))
                self.assertTrue(any("system" in w for w in doc["warnings"]), doc["warnings"])
                self.assertFalse(os.path.exists(marker), "inspect ran the pickle's command")

    # ---- bad input ----

    def check_bad(self, args, path, *parts):
        rc, out, err = run(args)
        self.assertEqual(rc, 2, "%s: rc=%d stderr=%r" % (args, rc, err[-500:]))
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, "%s: stderr %r" % (args, err[-2000:]))
        self.assertIn(path, lines[0])
        for p in parts:
            self.assertIn(p, lines[0])
        self.assertEqual(out, "", "%s: nothing on stdout on error" % args)

    def test_empty_garbage_missing(self):
        empty = os.path.join(TMP, "empty.pt")
        open(empty, "wb").close()
        self.check_bad([empty], empty, "empty")
        garbage = os.path.join(TMP, "garbage.safetensors")
        with open(garbage, "wb") as f:
            f.write(bytes((i * 37 + 11) % 256 for i in range(300)))
        self.check_bad([garbage], garbage)
        text = os.path.join(TMP, "text.npy")
        with open(text, "w") as f:
            f.write("hello, this is not a checkpoint\n")
        self.check_bad([text], text)
        missing = os.path.join(TMP, "does_not_exist.pt")
        self.check_bad([missing], missing)
        self.check_bad([TMP], TMP)
        self.check_bad([fixture("arrays.npy"), "--format", "ggml"], fixture("arrays.npy"), "ggml")

    def test_usage_errors_exit_2(self):
        # Unknown flags and malformed values are usage errors (exit 2, one line), not Abseil's 1.
        self.check_bad([fixture("arrays.npy"), "--bogus"], "--bogus", "unknown flag")
        self.check_bad([fixture("arrays.npy"), "--stats=maybe"], "--stats", "maybe")
        self.check_bad([fixture("arrays.npy"), fixture("arrays.npy")], "exactly one FILE")

    def test_oversized_header_fields(self):
        cases = {}
        # .npy claiming 10^12 elements in a 200-byte file.
        hdr = b"{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }"
        hdr += b" " * (-(10 + len(hdr) + 1) % 64) + b"\n"
        cases["huge.npy"] = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr + b"\0" * 64
        # safetensors header length 2^62.
        cases["huge_header.safetensors"] = struct.pack("<Q", 2**62) + b'{"a": 1}'
        # safetensors tensor claiming far more data than present.
        h = json.dumps({"w": {"dtype": "F32", "shape": [100000, 100000],
                              "data_offsets": [0, 40000000000]}}).encode()
        h += b" " * (-len(h) % 8)
        cases["huge_tensor.safetensors"] = struct.pack("<Q", len(h)) + h + b"\0" * 16
        # GGUF with 2^60 tensors and 2^60 key/values.
        cases["huge_count.gguf"] = b"GGUF" + struct.pack("<IQQ", 3, 2**60, 2**60) + b"\0" * 64
        # GGUF with a 2^62-byte string key.
        cases["huge_string.gguf"] = b"GGUF" + struct.pack("<IQQQ", 3, 0, 1, 2**62) + b"k" * 32
        # GGUF general.alignment = 2^64 - 1 as u64 (found by tools/fuzz/gguf.sh: it used to go
        # through a double and overflow the cast back) and 2^63 (a power of two past any file).
        for label, value in (("max", 2**64 - 1), ("2p63", 2**63)):
            key = b"general.alignment"
            cases["alignment_%s.gguf" % label] = (
                b"GGUF" + struct.pack("<IQQ", 3, 1, 1) + struct.pack("<Q", len(key)) + key +
                struct.pack("<IQ", 10, value) +
                # one f32 tensor "w" of 4 elements at offset 0 (its data would start at 2^63)
                struct.pack("<Q", 1) + b"w" + struct.pack("<IQIQ", 1, 4, 0, 0) + b"\0" * 64)
        for name, blob in cases.items():
            with self.subTest(case=name):
                p = os.path.join(TMP, name)
                with open(p, "wb") as f:
                    f.write(blob)
                self.check_bad([p], p)

    def test_compressed_archives_and_zip_bombs(self):
        import io
        import zipfile
        import numpy as np
        # An all-zero array deflates about 1000:1, deflate's own limit: listed and summarized by
        # default (values from NumPy), refused below a lower --max-inflate-ratio.
        zeros = os.path.join(TMP, "zeros.npz")
        np.savez_compressed(zeros, z=np.zeros((256, 4096), dtype=np.float32),
                            r=np.arange(12, dtype=np.float64).reshape(3, 4))
        rc, out, err = run([zeros, "--stats", "--json"])
        self.assertEqual(rc, 0, err)
        got = {t["name"]: t for t in json.loads(out)["tensors"]}
        self.assertEqual(got["z"]["shape"], [256, 4096])
        self.assertEqual((got["z"]["min"], got["z"]["max"], got["z"]["std"]), (0, 0, 0))
        self.assertEqual(got["r"]["mean"], float(np.arange(12).mean()))
        self.check_bad([zeros, "--max-inflate-ratio", "100"], zeros, '"z.npy"', "ratio",
                       "--max-inflate-ratio")
        # Overlapping entries (one compressed stream referenced twice, the classic zip bomb).
        one = io.BytesIO()
        with zipfile.ZipFile(one, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("a.npy", open(os.path.join(FIXTURES, "arrays.npy"), "rb").read())
        blob = bytearray(one.getvalue())
        cd = blob.rfind(b"PK\x01\x02")
        eocd = blob.rfind(b"PK\x05\x06")
        central = bytes(blob[cd:eocd])
        central2 = central.replace(b"a.npy", b"b.npy")
        end = bytearray(blob[eocd:])
        struct.pack_into("<HHII", end, 8, 2, 2, len(central) * 2, cd)
        bomb = os.path.join(TMP, "overlap.npz")
        with open(bomb, "wb") as f:
            f.write(bytes(blob[:cd]) + central + central2 + bytes(end))
        self.check_bad([bomb], bomb, "overlaps")
        # An entry that inflates to more than its headers declare stops there.
        liar = bytearray(one.getvalue())
        lh_usize = 22  # local header: uncompressed size field
        real = struct.unpack_from("<I", liar, lh_usize)[0]
        struct.pack_into("<I", liar, lh_usize, real - 8)
        cd = liar.rfind(b"PK\x01\x02")
        struct.pack_into("<I", liar, cd + 24, real - 8)
        path = os.path.join(TMP, "liar.npz")
        with open(path, "wb") as f:
            f.write(bytes(liar))
        rc, out, err = run([path, "--stats"])
        self.assertEqual(rc, 2, err)
        self.assertIn(path, err)

    def test_every_truncation(self):
        # Bazel shards this test (shard_count in tools/BUILD.bazel): each shard takes every
        # TOTAL-th truncation, so the sanitizer run stays well inside its timeout on 2 cores.
        shards = int(os.environ.get("TEST_TOTAL_SHARDS", "1"))
        shard = int(os.environ.get("TEST_SHARD_INDEX", "0"))
        jobs = []
        for src in ("arrays.npy", "arrays.npz", "weights.safetensors", "weights.gguf", "tiny.pt",
                    "model_legacy.pt"):
            with open(fixture(src), "rb") as f:
                blob = f.read()
            d = os.path.join(TMP, "trunc_" + src.replace(".", "_"))
            os.makedirs(d, exist_ok=True)
            for n in range(len(blob)):
                p = os.path.join(d, "cut%05d_%s" % (n, src))
                with open(p, "wb") as f:
                    f.write(blob[:n])
                jobs.append(p)

        def one(p):
            rc, out, err = run([p])
            lines = err.splitlines()
            ok = rc == 2 and len(lines) == 1 and p in lines[0] and out == ""
            return None if ok else "%s: rc=%d stdout=%r stderr=%r" % (p, rc, out[:200], err[-600:])

        self.assertGreater(len(jobs), 3000)
        jobs = jobs[shard::shards]
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            failures = [r for r in pool.map(one, jobs) if r]
        self.assertEqual(failures[:10], [], "%d of %d truncations failed" % (len(failures),
                                                                            len(jobs)))


if __name__ == "__main__":
    if os.environ.get("TEST_SHARD_STATUS_FILE"):
        open(os.environ["TEST_SHARD_STATUS_FILE"], "w").close()  # this test understands sharding
    argv = [sys.argv[0], "-v"]
    if int(os.environ.get("TEST_SHARD_INDEX", "0")) > 0:
        argv.append("InspectEndToEnd.test_every_truncation")  # the other checks run in shard 0
    unittest.main(argv=argv)
