#!/usr/bin/python3
"""Checks reference_dumps/ with NumPy alone (no PyTorch, no tensorport code).

For every case of defects/defects.json it compares the candidate dump with the reference dump entry
by entry, in reference order, and checks:
  * both dumps hold the same names in the same order, with the same shapes, and no NaN/Inf;
  * clean cases (expected_first_divergence null, the float64 recomputation): every entry agrees
    within the rounding bound below;
  * defect cases: every entry before the expected one agrees within the rounding bound, and the
    expected entry differs by more than the defect bound.
It also checks that each <model>/manifest.json lists the reference entries in file order and that
every file is under 1 MB.

The comparison is the scale-normalised max error  e = max|cand - ref| / max(max|ref|, 1e-6).
Rounding (float32 vs float64 of the same model) must stay below ROUNDING_BOUND; a defect must reach
DEFECT_BOUND. The gap between the two is what verify's default tolerances have to fit into; the
script prints the observed numbers.

Usage: /usr/bin/python3 reference_dumps/check_reference_dumps.py [--root reference_dumps] [-v]
Exit status 0 when every check holds, 1 otherwise.
"""

import argparse
import json
import os
import sys
import zipfile

import numpy as np

ROUNDING_BOUND = 1e-5
DEFECT_BOUND = 5e-5
MAX_FILE_BYTES = 1 << 20


def load_ordered(path):
  """Entries of an .npz in file order (np.load's .files follows the zip directory order)."""
  with zipfile.ZipFile(path) as z:
    order = [n[:-4] for n in z.namelist() if n.endswith(".npy")]
  with np.load(path, allow_pickle=False) as data:
    return [(k, data[k]) for k in order]


def scaled_error(cand, ref):
  ref64 = ref.astype(np.float64)
  scale = max(float(np.max(np.abs(ref64))) if ref.size else 0.0, 1e-6)
  return float(np.max(np.abs(cand.astype(np.float64) - ref64))) / scale if ref.size else 0.0


def check_case(root, case, verbose, out):
  errors = []
  ref = load_ordered(os.path.join(root, case["reference"]))
  cand = load_ordered(os.path.join(root, case["candidate"]))
  if [k for k, _ in ref] != [k for k, _ in cand]:
    return ["%s: entry names/order differ from %s" % (case["candidate"], case["reference"])], None
  expected = case["expected_first_divergence"]
  names = [k for k, _ in ref]
  if expected is not None and expected not in names:
    return ["%s: expected entry %r is not in the dump" % (case["name"], expected)], None
  worst_before = 0.0
  at_expected = None
  for (name, r), (_, c) in zip(ref, cand):
    if r.shape != c.shape:
      errors.append("%s: entry %s: shape %s, expected %s" % (case["candidate"], name, c.shape,
                                                             r.shape))
      break
    if not np.issubdtype(r.dtype, np.floating):
      if not np.array_equal(r, c):
        errors.append("%s: integer entry %s differs" % (case["candidate"], name))
      continue
    if not (np.all(np.isfinite(r)) and np.all(np.isfinite(c))):
      errors.append("%s: entry %s holds NaN or Inf" % (case["candidate"], name))
    e = scaled_error(c, r)
    if verbose:
      out.write("    %-40s e=%.3g\n" % (name, e))
    if name == expected:
      at_expected = e
      if e <= DEFECT_BOUND:
        errors.append("%s: expected first divergence %s has e=%.3g, not above %g"
                      % (case["name"], name, e, DEFECT_BOUND))
      break
    worst_before = max(worst_before, e)
    if e >= ROUNDING_BOUND:
      errors.append("%s: entry %s differs (e=%.3g >= %g) before the expected first divergence %s"
                    % (case["name"], name, e, ROUNDING_BOUND, expected))
      break
  return errors, (worst_before, at_expected)


def check_manifest(root, model, errors):
  with open(os.path.join(root, model, "manifest.json")) as f:
    manifest = json.load(f)
  ref = load_ordered(os.path.join(root, model, "reference.npz"))
  listed = [(e["name"], tuple(e["shape"])) for e in manifest["entries"]]
  if listed != [(k, v.shape) for k, v in ref]:
    errors.append("%s/manifest.json: entries differ from reference.npz" % model)
  inputs = load_ordered(os.path.join(root, model, "inputs.npz"))
  if [k for k, _ in inputs] != [e["name"] for e in manifest["inputs"]]:
    errors.append("%s/manifest.json: inputs differ from inputs.npz" % model)
  if [k for k, _ in ref[:len(inputs)]] != [k for k, _ in inputs]:
    errors.append("%s/reference.npz: does not start with the graph inputs" % model)
  for k, v in inputs:
    if not np.array_equal(dict(ref)[k], v):
      errors.append("%s/reference.npz: input %s differs from inputs.npz" % (model, k))


def main(argv=None):
  p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  p.add_argument("--root", default=os.path.dirname(os.path.abspath(__file__)))
  p.add_argument("-v", "--verbose", action="store_true")
  a = p.parse_args(argv)
  out = sys.stdout
  with open(os.path.join(a.root, "defects", "defects.json")) as f:
    cases = json.load(f)["cases"]
  errors = []
  models = sorted({c["model"] for c in cases})
  if len(models) != 4:
    errors.append("defects.json: %d models, expected 4" % len(models))
  for model in models:
    check_manifest(a.root, model, errors)
  for dirpath, _, files in os.walk(a.root):
    for fname in files:
      path = os.path.join(dirpath, fname)
      if os.path.getsize(path) >= MAX_FILE_BYTES:
        errors.append("%s: %d bytes, limit %d" % (path, os.path.getsize(path), MAX_FILE_BYTES))
  clean_worst = 0.0
  for case in cases:
    if a.verbose:
      out.write("  %s\n" % case["name"])
    errs, stats = check_case(a.root, case, a.verbose, out)
    errors += errs
    if stats:
      worst_before, at_expected = stats
      if case["expected_first_divergence"] is None:
        clean_worst = max(clean_worst, worst_before)
        out.write("%-40s clean: worst e=%.3g\n" % (case["name"], worst_before))
      else:
        out.write("%-40s first divergence %-28s e=%.3g (before it: worst e=%.3g)\n"
                  % (case["name"], case["expected_first_divergence"], at_expected or 0.0,
                     worst_before))
  for e in errors:
    out.write("FAIL: %s\n" % e)
  out.write("%d cases, %d failures; worst clean e=%.3g (bound %g), defect bound %g\n"
            % (len(cases), len(errors), clean_worst, ROUNDING_BOUND, DEFECT_BOUND))
  return 1 if errors else 0


if __name__ == "__main__":
  sys.exit(main())
