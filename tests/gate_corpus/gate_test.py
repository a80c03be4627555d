"""verify as a gate on real exports: never PASS what was not checked, never FAIL a clean export.

The corpus (make_corpus.py, built at test time: real architectures from public model definitions,
seeded random weights, PyTorch 1.13 exports) is run through the `verify` and `convert` binaries:

  1. model mode on the reference and cpu backends: every clean export PASSES with 0 failed and
     0 missing layers (BatchNorm folded into Conv, moved transposes, tuple-returning blocks,
     eval-mode Dropout/Identity are all handled, and said so);
  2. mode 3: the checkpoint converted (`convert`, safetensors) and bound back into the graph
     PASSES with every converted float tensor exercised;
  3. planted defects: one converted float tensor (not all zeros) scaled by 1.05 makes the run FAIL
     at the module that owns the tensor (or the layer it was folded into, as the report says):
     every such tensor for the architectures in ALL_TENSORS, a seeded sample of 5 for the rest;
  4. coverage: a dump with a layer removed fails (missing), and passes with --excuse;
     a corrupted converted tensor that the graph does not read (a converted file with an extra
     tensor) fails with "not exercised".
Expected values come from PyTorch (the reference dumps); nothing is computed by tensorport here.

Bazel shards this test: each shard takes every TOTAL-th architecture.
Usage: gate_test.py CORPUS_DIR/corpus.json VERIFY CONVERT
"""
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import unittest

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "testing"))
import safetensors_io  # noqa: E402

CORPUS = os.path.dirname(os.path.abspath(sys.argv[1]))
VERIFY = os.path.abspath(sys.argv[2])
CONVERT = os.path.abspath(sys.argv[3])
del sys.argv[1:4]
TMP = os.environ.get("TEST_TMPDIR") or tempfile.mkdtemp()
ALL_TENSORS = {"vocoder", "gru", "attention", "tied_lm", "shared_constants"}

with open(os.path.join(CORPUS, "corpus.json")) as f:
    ARCHS = [a["name"] for a in json.load(f)]
SHARDS = int(os.environ.get("TEST_TOTAL_SHARDS", "1"))
SHARD = int(os.environ.get("TEST_SHARD_INDEX", "0"))
MINE = ARCHS[SHARD::SHARDS]


def verify(arch, *extra, device="cpu", reference=None):
    d = os.path.join(CORPUS, arch)
    report = os.path.join(TMP, "%s_report.json" % arch)
    args = [VERIFY, "--layer-diff", "--model", os.path.join(d, "model.onnx"),
            "--inputs", os.path.join(d, "inputs.npz"),
            "--reference", reference or os.path.join(d, "reference.npz"),
            "--device", device, "--json", report, "--color", "never"] + list(extra)
    p = subprocess.run(args, capture_output=True, text=True, timeout=600)
    rep = json.load(open(report)) if os.path.exists(report) and p.returncode in (0, 1) else None
    if os.path.exists(report):
        os.remove(report)
    return p.returncode, p.stdout + p.stderr, rep


def converted(arch):
    out = os.path.join(TMP, "%s.safetensors" % arch)
    if not os.path.exists(out):
        subprocess.run([CONVERT, "--quiet", os.path.join(CORPUS, arch, "checkpoint.pt"), out],
                       check=True)
    return out


def owner_ok(tensor, report):
    """The first divergence is the tensor's module (the nearest enclosing module the dump has: an
    attention's out_proj is applied functionally inside it), a layer inside it, or the layer that
    module was folded into (the report says which)."""
    first = report["first_divergence"]
    if first is None:
        return False
    owner = tensor.rsplit(".", 1)[0] if "." in tensor else ""
    owner = re.sub(r"\.parametrizations\.weight$", "", owner)
    layers = {l["name"].split("#")[0] for l in report["layers"]}
    while owner and owner not in layers and not any(n.startswith(owner + ".") for n in layers):
        owner = owner.rsplit(".", 1)[0] if "." in owner else ""
    first_base = first.split("#")[0]
    if owner == "" or first_base == owner or first_base.startswith(owner + "."):
        return True
    for l in report["layers"]:
        if l["name"] == owner and l["status"] == "excused" and ('"%s"' % first) in (l["reason"] or ""):
            return True
    return False


class Gate(unittest.TestCase):
    def test_clean_exports_pass_model_mode_on_both_backends(self):
        for arch in MINE:
            for device in ("reference", "cpu"):
                with self.subTest(arch=arch, device=device):
                    rc, out, rep = verify(arch, device=device)
                    self.assertEqual(rc, 0, out[-3000:])
                    self.assertTrue(rep["passed"])
                    s = rep["summary"]
                    self.assertEqual((s["failed"], s["missing"]), (0, 0))
                    self.assertEqual(s["passed"] + s["excused"], s["reference_layers"])

    def test_converted_weights_bound_back_pass_with_every_tensor_exercised(self):
        for arch in MINE:
            with self.subTest(arch=arch):
                d = os.path.join(CORPUS, arch)
                rc, out, rep = verify(arch, "--weights", converted(arch),
                                      "--source", os.path.join(d, "checkpoint.pt"))
                self.assertEqual(rc, 0, out[-3000:])
                m = re.search(r"weights: (\d+) of (\d+) converted float tensors exercised", out)
                self.assertIsNotNone(m, out[:2000])
                self.assertEqual(m.group(1), m.group(2), out[:2000])
                self.assertIn("provenance record", out)

    def test_a_scaled_converted_tensor_fails_at_its_module(self):
        for arch in MINE:
            tensors, meta, dtypes = safetensors_io.read(converted(arch))
            names = [n for n, a in tensors.items()
                     if a.dtype.kind == "f" and np.any(a != 0)]
            if arch not in ALL_TENSORS:
                names = random.Random(arch).sample(names, min(5, len(names)))
            d = os.path.join(CORPUS, arch)
            for name in names:
                with self.subTest(arch=arch, tensor=name):
                    bad = dict(tensors)
                    a = tensors[name].copy()
                    if name.endswith(("weight_v", "original1")):
                        # Weight norm g*v/||v|| does not change when v is scaled as a whole: scale
                        # the first half of its last axis, which changes the direction.
                        a[..., : max(1, a.shape[-1] // 2)] *= np.array(1.05, dtype=a.dtype)
                    else:
                        a = a * np.array(1.05, dtype=a.dtype)
                    bad[name] = a
                    path = os.path.join(TMP, "%s_bad.safetensors" % arch)
                    safetensors_io.write(path, bad, meta, dtypes)
                    rc, out, rep = verify(arch, "--weights", path,
                                          "--source", os.path.join(d, "checkpoint.pt"))
                    self.assertEqual(rc, 1, out[-2000:])
                    self.assertFalse(rep["passed"])
                    self.assertTrue(owner_ok(name, rep),
                                    "first divergence %r for %r" % (rep["first_divergence"], name))

    def test_weights_mode_reads_the_provenance_record(self):
        for arch in MINE[:1]:
            d = os.path.join(CORPUS, arch)
            p = subprocess.run([VERIFY, "--weights", converted(arch), "--source",
                                os.path.join(d, "checkpoint.pt"), "--color", "never"],
                               capture_output=True, text=True, timeout=600)
            self.assertEqual(p.returncode, 0, p.stdout[-2000:] + p.stderr)
            self.assertIn("plan: the provenance record", p.stdout)
            # Another checkpoint given as the source does not reproduce the record: exit 2.
            other = [a for a in ARCHS if a != arch][0]
            p = subprocess.run([VERIFY, "--weights", converted(arch), "--source",
                                os.path.join(CORPUS, other, "checkpoint.pt")],
                               capture_output=True, text=True, timeout=600)
            self.assertEqual(p.returncode, 2, p.stdout[-2000:] + p.stderr)
            self.assertIn("does not reproduce the recorded conversion", p.stderr)

    def test_coverage_is_part_of_the_verdict(self):
        for arch in MINE[:1]:
            ref = dict(np.load(os.path.join(CORPUS, arch, "reference.npz")))
            # A reference layer the graph has no trace of (a module the export lacks, with values
            # of its own) is missing, which fails unless excused.
            keys = list(ref)
            renamed = {}
            for i, k in enumerate(keys):
                if i == len(keys) // 2:
                    renamed["no_such_module.x"] = np.random.default_rng(0).standard_normal(
                        (1, 7, 3)).astype(np.float32)
                renamed[k] = ref[k]
            path = os.path.join(TMP, "%s_renamed.npz" % arch)
            np.savez(path, **renamed)
            rc, out, rep = verify(arch, reference=path)
            self.assertEqual(rc, 1, out[-2000:])
            self.assertEqual(rep["summary"]["missing"], 1)
            self.assertEqual(rep["first_divergence"], "no_such_module.x")
            rc, out, rep = verify(arch, "--excuse", r"no_such_module\..*", reference=path)
            self.assertEqual(rc, 0, out[-2000:])
            self.assertEqual(rep["summary"]["excused"] >= 1, True)

    def test_a_converted_tensor_the_graph_never_reads_fails(self):
        for arch in MINE[:1]:
            tensors, meta, dtypes = safetensors_io.read(converted(arch))
            tensors = dict(tensors)
            tensors["unused.extra"] = np.ones(7, np.float32)
            dtypes["unused.extra"] = "F32"
            path = os.path.join(TMP, "%s_extra.safetensors" % arch)
            safetensors_io.write(path, tensors, meta, dtypes)
            d = os.path.join(CORPUS, arch)
            rc, out, rep = verify(arch, "--weights", path, "--source",
                                  os.path.join(d, "checkpoint.pt"))
            self.assertEqual(rc, 1, out[-2000:])
            self.assertIn("not exercised", out)
            self.assertIn("unused.extra", out)
            rc, out, rep = verify(arch, "--weights", path, "--source",
                                  os.path.join(d, "checkpoint.pt"), "--allow-unexercised")
            self.assertEqual(rc, 0, out[-2000:])


if __name__ == "__main__":
    if os.environ.get("TEST_SHARD_STATUS_FILE"):
        open(os.environ["TEST_SHARD_STATUS_FILE"], "w").close()
    unittest.main(argv=[sys.argv[0], "-v"])
