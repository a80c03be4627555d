#!/usr/bin/python3
"""End-to-end tests of `verify` on the bundled reference models (reference_dumps/).

Oracles, all independent of verify: reference_dumps/defects/defects.json (made by
tools/planted_defects.py with PyTorch: the expected first divergent layer of each planted defect,
null for the clean float64 recomputations), the manifests' dump entries, and the converted-weight
fixtures of make_weight_fixtures.py (each planted in one known module).

  1. dump vs dump: every defects.json case, exit code and first divergence (and the last matching
     layer before it);
  2. model mode (--model): every model on the reference and cpu backends passes against its
     reference.npz with every manifest entry matched (none missing);
  3. model mode against each planted-defect dump used as the reference: the first divergence is
     the oracle's layer; with --isolate the oracle's layer fails with the "defect is inside this
     layer" hint;
  4. mode 3 (--model --weights --source [--schema]): PyTorch-written safetensors (as is, fused)
     and the convert binary's outputs under the hifigan / mlx presets pass; weights with a planted
     defect fail at the module that uses them;
  5. usage and input errors exit 2.
usage: verify_model_test.py VERIFY CONVERT REFERENCE_DUMPS_DIR/defects/defects.json FIXTURE_DIR/any_file
"""
import json
import re
import os
import subprocess
import sys
import tempfile

VERIFY, CONVERT = sys.argv[1], sys.argv[2]
REF = os.path.dirname(os.path.dirname(sys.argv[3]))
FIX = os.path.dirname(sys.argv[4])
TMP = os.environ.get("TEST_TMPDIR") or tempfile.mkdtemp()
MODELS = ["vocoder", "encoder", "dit", "text_encoder"]
failures = []
checks = 0


def check(cond, what, detail=""):
    global checks
    checks += 1
    if cond:
        print("ok:", what)
    else:
        print("FAIL:", what, detail)
        failures.append(what)


def run(args, name):
    out = os.path.join(TMP, name + ".json")
    if os.path.exists(out):
        os.remove(out)
    p = subprocess.run([VERIFY] + args + ["--json", out, "--color", "never"],
                       capture_output=True, text=True)
    report = json.load(open(out)) if os.path.exists(out) else None
    return p, report


def model_args(m, reference=None):
    return ["--model", os.path.join(REF, m, "model.onnx"),
            "--inputs", os.path.join(REF, m, "inputs.npz"),
            "--reference", reference or os.path.join(REF, m, "reference.npz")]


cases = json.load(open(os.path.join(REF, "defects", "defects.json")))["cases"]
check(len(cases) == 11, "defects.json lists 11 cases", len(cases))

# 1. dump vs dump
for c in cases:
    p, r = run(["--layer-diff", "--reference", os.path.join(REF, c["reference"]),
                "--candidate", os.path.join(REF, c["candidate"])], "dump_" + c["name"])
    want = c["expected_first_divergence"]
    check(p.returncode == (0 if want is None else 1), "dump %s exit code" % c["name"],
          (p.returncode, p.stderr))
    check(r is not None and r["first_divergence"] == want,
          "dump %s first divergence %s" % (c["name"], want), r and r["first_divergence"])
    if want is not None and r is not None:
        check(r["last_match"] == c["last_matching_before"],
              "dump %s last match %s" % (c["name"], c["last_matching_before"]), r["last_match"])

# 2. model mode, clean
for m in MODELS:
    entries = [e["name"] for e in json.load(open(os.path.join(REF, m, "manifest.json")))["entries"]]
    for device in ["reference", "cpu"]:
        p, r = run(model_args(m) + ["--device", device], "model_%s_%s" % (m, device))
        check(p.returncode == 0, "model %s on %s passes" % (m, device), (p.returncode, p.stderr))
        if r is None:
            check(False, "model %s on %s wrote a report" % (m, device))
            continue
        names = [l["name"] for l in r["layers"]]
        check(names == entries and r["summary"]["missing"] == 0 and r["summary"]["passed"] == len(entries),
              "model %s on %s matches all %d manifest entries" % (m, device, len(entries)),
              r["summary"])

# 3. model mode against planted-defect dumps
for c in cases:
    want = c["expected_first_divergence"]
    if want is None:
        continue
    m = c["model"]
    p, r = run(model_args(m, os.path.join(REF, c["candidate"])), "model_defect_" + c["name"])
    check(p.returncode == 1 and r and r["first_divergence"] == want,
          "model vs %s diverges first at %s" % (c["name"], want), r and r["first_divergence"])
    p, r = run(model_args(m, os.path.join(REF, c["candidate"])) + ["--isolate"],
               "isolate_" + c["name"])
    layer = r and next((l for l in r["layers"] if l["name"] == want), None)
    check(p.returncode == 1 and r["first_divergence"] == want and layer["status"] == "fail" and
          "defect is inside this layer" in (layer["hint"] or ""),
          "isolate vs %s: %s fails with the inside-this-layer hint" % (c["name"], want),
          r and r["first_divergence"])
    # Isolation stops the error from spreading: fewer failing layers than without it.
    failing_isolated = sum(l["status"] != "pass" for l in r["layers"])
    _, r_plain = run(model_args(m, os.path.join(REF, c["candidate"])), "plain_" + c["name"])
    failing_plain = sum(l["status"] != "pass" for l in r_plain["layers"])
    check(failing_isolated < failing_plain,
          "isolate vs %s: %d failing layers < %d without --isolate" %
          (c["name"], failing_isolated, failing_plain))

# 4. mode 3: converted weights bound into the graph
weights_cases = [
    ("vocoder", "vocoder_asis.safetensors", None, None),
    ("vocoder", "vocoder_fused.safetensors", None, None),
    ("vocoder", "vocoder_bad_axis.safetensors", None, "ups.0"),
    ("dit", "dit_asis.safetensors", None, None),
    ("dit", "dit_qk_swapped.safetensors", None, "attn.qkv"),
    ("text_encoder", "text_encoder_asis.safetensors", None, None),
    ("text_encoder", "text_encoder_bad_lstm.safetensors", None, "lstm"),
]
converted = [
    ("vocoder", "hifigan", ["--fuse-weight-norm"], "gguf"),
    ("vocoder", "hifigan", [], "safetensors"),
    ("vocoder", "mlx", ["--conv-layout", "mlx", "--fuse-weight-norm", "--allow-unmapped"], "safetensors"),
    ("encoder", "mlx", ["--conv-layout", "mlx", "--fuse-weight-norm", "--allow-unmapped"], "gguf"),
    ("text_encoder", "mlx", ["--conv-layout", "mlx", "--allow-unmapped"], "safetensors"),
    ("dit", "mlx", [], "gguf"),
]
for m, preset, flags, ext in converted:
    out = os.path.join(TMP, "%s_%s_%d.%s" % (m, preset, len(flags), ext))
    p = subprocess.run([CONVERT, "--preset", preset, "--quiet"] + flags +
                       [os.path.join(REF, m, "checkpoint.pt"), out], capture_output=True, text=True)
    check(p.returncode == 0, "convert %s --preset %s %s" % (m, preset, " ".join(flags)), p.stderr)
    weights_cases.append((m, out, preset, None))
for m, w, schema, want in weights_cases:
    args = model_args(m) + ["--weights", os.path.join(FIX, w), "--source",
                            os.path.join(REF, m, "checkpoint.pt")]
    if schema:
        args += ["--schema", schema]
    p, r = run(args, "weights_" + os.path.basename(w))
    what = "mode 3 %s %s" % (m, os.path.basename(w))
    check(p.returncode == (0 if want is None else 1) and r and r["first_divergence"] == want,
          "%s: first divergence %s" % (what, want), (p.returncode, r and r["first_divergence"], p.stderr))
    m_ex = re.search(r"weights: (\d+) of (\d+) converted float tensors exercised", p.stdout)
    check("0 float constants left as exported" in p.stdout and m_ex and
          m_ex.group(1) == m_ex.group(2),
          what + ": every float initializer bound, every converted tensor exercised",
          p.stdout.splitlines()[:1])

# 5. errors
p, _ = run(["--model", os.path.join(REF, "dit", "model.onnx"), "--inputs",
            os.path.join(REF, "vocoder", "inputs.npz"), "--reference",
            os.path.join(REF, "vocoder", "inputs.npz")], "err_inputs")
check(p.returncode == 2 and 'graph input "x"' in p.stderr, "missing graph input exits 2", p.stderr)
p, _ = run(["--model", os.path.join(REF, "dit", "model.onnx")], "err_usage")
check(p.returncode == 2 and "--reference" in p.stderr, "--model without --reference exits 2", p.stderr)
p, _ = run(model_args("dit") + ["--device", "tpu"], "err_device")
check(p.returncode == 2 and "tpu" in p.stderr, "unknown --device exits 2", p.stderr)
p, _ = run(["--model", os.path.join(TMP, "nope.onnx"), "--reference",
            os.path.join(REF, "dit", "reference.npz")], "err_missing_model")
check(p.returncode == 2 and "nope.onnx" in p.stderr, "missing model file exits 2", p.stderr)

print("%d checks, %d failed" % (checks, len(failures)))
sys.exit(1 if failures else 0)
