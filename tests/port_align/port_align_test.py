#!/usr/bin/python3
"""verify on port-style dumps with no name map (make_port_dumps.py): the automatic alignment.

For each model:
  - the clean port fails without a coverage flag, naming exactly the layers it did not dump;
  - with --min-coverage 0.75 it passes, at least 75% of the reference layers compared, every
    layer the port dumped compared and passing, only layers it did not dump excused;
  - each planted bug fails with its first divergence at the module the bug is in (or a reference
    entry with byte-identical values next to it: a wrapper and the module it wraps, told apart by
    nothing in the data), every layer before it passing;
  - --write-map, then --map with --no-align, reproduces the same report.

Usage: port_align_test.py EXPECTED_JSON VERIFY
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

FAILS = []


def check(ok, what):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        FAILS.append(what)


def run(verify, *args):
    p = subprocess.run([verify, "--layer-diff"] + list(args), capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def report(verify, tmp, name, *args):
    path = os.path.join(tmp, name + ".json")
    rc, out = run(verify, *args, "--json", path)
    with open(path) as f:
        return rc, out, json.load(f)


def identical_neighbours(ref, names, name):
    """`name` and the consecutive reference entries holding the same values as it."""
    i = names.index(name)
    group = {name}
    for step in (-1, 1):
        j = i + step
        while 0 <= j < len(names) and np.array_equal(ref[names[j]], ref[name]) and \
                ref[names[j]].shape == ref[name].shape:
            group.add(names[j])
            j += step
    return group


def comparable(r):
    """The report without the notes that say how layers were paired."""
    return [(l["name"], l["candidate"], l["status"], l["max_abs"], l["sqnr_db"], l["reason"])
            for l in r["layers"]], r["passed"], r["first_divergence"], r["summary"]


def test_model(verify, root, model, exp, tmp):
    d = os.path.join(root, model)
    ref_path = os.path.join(d, "reference.npz")
    ref = np.load(ref_path)
    names = list(ref.files)
    clean = os.path.join(d, "port_clean.npz")

    rc, out, r = report(verify, tmp, model + "_strict", "--reference", ref_path,
                        "--candidate", clean)
    missing = {l["name"] for l in r["layers"] if l["status"] == "missing"}
    check(rc == 1 and not r["passed"], f"{model}: clean port without a coverage flag fails")
    check(missing and missing <= set(exp["skipped"]),
          f"{model}: only layers the port did not dump are missing ({sorted(missing)[:4]}...)")
    check("alignment: the candidate's names differ" in out,
          f"{model}: the alignment is printed")
    check(any(l["status"] == "missing" and l["name"] in out for l in r["layers"]),
          f"{model}: the output names a layer that was not dumped")

    rc, out, r = report(verify, tmp, model + "_clean", "--reference", ref_path,
                        "--candidate", clean, "--min-coverage", "0.75")
    clean_report = r
    by_name = {l["name"]: l for l in r["layers"]}
    compared = r["summary"]["passed"] + r["summary"]["failed"]
    check(rc == 0 and r["passed"], f"{model}: clean port passes with --min-coverage 0.75")
    check(compared >= 0.75 * r["summary"]["reference_layers"],
          f"{model}: {compared} of {r['summary']['reference_layers']} reference layers compared")
    check(r["summary"]["extra"] == 0, f"{model}: every port entry aligned")
    check(all(by_name[n]["status"] == "pass" for n in exp["dumped"]),
          f"{model}: every dumped layer compared and passing")
    check(all(l["name"] in exp["skipped"] for l in r["layers"] if l["status"] == "excused"),
          f"{model}: only layers the port did not dump are excused")

    for bug, where in exp["bugs"].items():
        cand = os.path.join(d, f"port_{bug}.npz")
        rc, out, r = report(verify, tmp, f"{model}_{bug}", "--reference", ref_path,
                            "--candidate", cand, "--min-coverage", "0.75")
        first = r["first_divergence"]
        allowed = identical_neighbours(ref, names, where)
        check(rc == 1 and first in allowed,
              f"{model}: {bug} localized to {first} (expected {sorted(allowed)})")
        if first in names:
            before = [l for l in r["layers"][:names.index(first)] if l["status"] == "fail"]
            check(not before, f"{model}: {bug}: no layer before {first} fails")

    # A safetensors dump (tensors sorted by name) with its execution order in the metadata.
    rc, out, r_st = report(verify, tmp, model + "_st", "--reference", ref_path, "--candidate",
                           os.path.join(d, "port_clean.safetensors"), "--min-coverage", "0.75")
    statuses = [(l["name"], l["status"]) for l in clean_report["layers"]]
    check(rc == 0 and [(l["name"], l["status"]) for l in r_st["layers"]] == statuses,
          f"{model}: the safetensors port (order in its metadata) gives the npz port's report")

    # The alignment kept as a map reproduces the same report.
    for cand_name in ["port_clean.npz", f"port_{next(iter(exp['bugs']))}.npz"]:
        cand = os.path.join(d, cand_name)
        map_path = os.path.join(tmp, f"{model}_{cand_name}.map")
        rc1, out1, r1 = report(verify, tmp, f"{model}_align", "--reference", ref_path,
                               "--candidate", cand, "--min-coverage", "0.75",
                               "--write-map", map_path)
        rc2, out2, r2 = report(verify, tmp, f"{model}_map", "--reference", ref_path,
                               "--candidate", cand, "--min-coverage", "0.75", "--map", map_path,
                               "--no-align")
        check(os.path.exists(map_path) and "alignment:" not in out2,
              f"{model}: {cand_name}: --write-map wrote the map, --map used it without aligning")
        check(rc1 == rc2 and comparable(r1) == comparable(r2),
              f"{model}: {cand_name}: --map reproduces the aligned report")


def main():
    expected_path, verify = sys.argv[1], sys.argv[2]
    root = os.path.dirname(expected_path)
    with open(expected_path) as f:
        expected = json.load(f)
    with tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR")) as tmp:
        for model, exp in expected.items():
            test_model(verify, root, model, exp, tmp)
    if FAILS:
        print(f"{len(FAILS)} check(s) failed")
        sys.exit(1)


if __name__ == "__main__":
    main()
