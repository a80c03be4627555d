#!/usr/bin/python3
"""The control-flow corpus (make_corpus.py) end to end, on the reference and cpu backends.

Oracles, all independent of the runtime: ONNX Runtime 1.30 for Node (graph outputs), PyTorch's
per-module dumps (tools/dump_reference.py), and the defect planted by make_corpus.py (inside the
loop body, module step.act, iteration 2 only).

  1. every model runs through ONNX Runtime; its outputs become a conformance case that
     //tests:onnx_conformance runs on both backends (rtol 1e-4, atol 1e-5): all pass, none skipped;
  2. verify --layer-diff --model on both backends passes at its default gate with every dump
     entry matched, modules inside the Loop body (step, step.lin, step.act, 4 calls each) and the
     If branch (frontend.enc16) included;
  3. the planted defect: the first divergence is step.act#2 (last match step.lin#2) on both
     backends; with --isolate step.act#2 fails with the inside-this-layer hint and the later
     iterations pass.
usage: corpus_test.py VERIFY CONFORMANCE CORPUS_DIR/loop_net/model.onnx
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

VERIFY, CONFORMANCE = sys.argv[1], sys.argv[2]
CORPUS = os.path.dirname(os.path.dirname(sys.argv[3]))
TMP = os.environ.get("TEST_TMPDIR") or tempfile.mkdtemp()
MODELS = ["loop_net", "stateful_vad", "stretch", "rnn_asr", "old_opset9", "old_opset11"]
HERE = os.path.join("tests", "ort_crosscheck")
failures = []
checks = 0


def check(cond, what, detail=""):
    global checks
    checks += 1
    print("ok:" if cond else "FAIL:", what, "" if cond else detail)
    if not cond:
        failures.append(what)


# 1. ONNX Runtime's outputs as conformance cases.
node_modules = os.path.join(os.path.dirname(os.path.realpath(os.path.join(HERE, "run_ort.js"))),
                            "node_modules")
if not os.path.isdir(os.path.join(node_modules, "onnxruntime-node")):
    print("FAIL: onnxruntime-node is not installed; run tests/ort_crosscheck/setup.sh first")
    sys.exit(1)
env = dict(os.environ, NODE_PATH=node_modules)
cases = os.path.join(TMP, "cases")
for m in MODELS:
    model = os.path.join(CORPUS, m, "model.onnx")
    npy_in, npy_out = os.path.join(TMP, "in", m), os.path.join(TMP, "out", m)
    steps = [
        ["/usr/bin/python3", os.path.join(HERE, "make_case.py"), "inputs", model,
         os.path.join(CORPUS, m, "inputs.npz"), npy_in, os.path.join(cases, m)],
        ["node", os.path.join(HERE, "run_ort.js"), model, npy_in, npy_out, "1"],
        ["/usr/bin/python3", os.path.join(HERE, "make_case.py"), "outputs", model, npy_out,
         os.path.join(cases, m)],
    ]
    for cmd in steps:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env)
        check(p.returncode == 0, "%s: %s" % (m, os.path.basename(cmd[1])), p.stderr[-2000:])
for backend in ["reference", "cpu"]:
    p = subprocess.run([CONFORMANCE, "--data", cases, "--backend", backend, "--rtol", "1e-4",
                        "--atol", "1e-5", "--verbose"], capture_output=True, text=True)
    last = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else p.stderr
    check(last == "%d passed, 0 failed, 0 skipped" % len(MODELS),
          "backend %s matches ONNX Runtime on all %d models" % (backend, len(MODELS)), p.stdout)


def verify(model, reference, name, extra=()):
    out = os.path.join(TMP, name + ".json")
    if os.path.exists(out):
        os.remove(out)
    p = subprocess.run([VERIFY, "--layer-diff", "--model", model, "--inputs", reference[0],
                        "--reference", reference[1], "--json", out, "--color", "never"] +
                       list(extra), capture_output=True, text=True)
    return p, (json.load(open(out)) if os.path.exists(out) else None)


# 2. PyTorch per module, at verify's default gate.
for m in MODELS:
    entries = list(np.load(os.path.join(CORPUS, m, "reference.npz")).files)
    ref = (os.path.join(CORPUS, m, "inputs.npz"), os.path.join(CORPUS, m, "reference.npz"))
    for device in ["reference", "cpu"]:
        p, r = verify(os.path.join(CORPUS, m, "model.onnx"), ref, "%s_%s" % (m, device),
                      ["--device", device])
        names = [l["name"] for l in r["layers"]] if r else []
        check(p.returncode == 0 and r and names == entries and r["summary"]["missing"] == 0 and
              r["summary"]["passed"] == len(entries),
              "%s on %s: all %d entries matched and passing" % (m, device, len(entries)),
              (p.returncode, r and r["summary"], p.stderr[-500:]))
loop_entries = list(np.load(os.path.join(CORPUS, "loop_net", "reference.npz")).files)
check(all(("step.act#%d" % k) in loop_entries for k in range(1, 4)),
      "the loop_net dump holds step.act for 4 iterations", loop_entries)
check("frontend.enc16" in np.load(os.path.join(CORPUS, "stateful_vad", "reference.npz")).files,
      "the stateful_vad dump holds the If branch's module frontend.enc16")

# 3. The defect planted inside the loop body at iteration 2.
ref = (os.path.join(CORPUS, "loop_net", "inputs.npz"),
       os.path.join(CORPUS, "loop_net", "reference.npz"))
defect = os.path.join(CORPUS, "loop_net_defect", "model.onnx")
for device in ["reference", "cpu"]:
    p, r = verify(defect, ref, "defect_" + device, ["--device", device])
    check(p.returncode == 1 and r and r["first_divergence"] == "step.act#2" and
          r["last_match"] == "step.lin#2",
          "defect on %s: first divergence step.act#2 after step.lin#2" % device,
          r and (r["first_divergence"], r["last_match"]))
    p, r = verify(defect, ref, "isolate_" + device, ["--device", device, "--isolate"])
    layers = {l["name"]: l for l in r["layers"]} if r else {}
    check(p.returncode == 1 and r["first_divergence"] == "step.act#2" and
          "defect is inside this layer" in (layers["step.act#2"]["hint"] or "") and
          all(layers[n]["status"] == "pass" for n in ("step.lin#3", "step.act#3", "out")),
          "defect --isolate on %s: step.act#2 holds the defect, iteration 3 passes" % device,
          r and {n: l["status"] for n, l in layers.items()})

print("%d checks, %d failed" % (checks, len(failures)))
sys.exit(1 if failures else 0)
