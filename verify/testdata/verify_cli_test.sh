#!/bin/bash
# End-to-end test of the verify command on dumps made by make_cli_fixtures.py (PyTorch/NumPy).
# Checks exit codes (0 pass, 1 failure, 2 usage/input error), the first divergence against the
# NumPy-computed expectation, and the JSON report parsed by Python's json module.
set -u
VERIFY="$1"
D="$(dirname "$2")"   # any fixture file: its directory holds them all
OUT="${TEST_TMPDIR:-/tmp}/verify_cli"
mkdir -p "$OUT"
fails=0

expect_rc() {  # expect_rc WANT DESCRIPTION -- command...
  local want="$1" what="$2"
  shift 3
  "$@" >"$OUT/stdout" 2>"$OUT/stderr"
  local rc=$?
  if [[ $rc -ne $want ]]; then
    echo "FAIL: $what: exit $rc, expected $want"
    cat "$OUT/stdout" "$OUT/stderr"
    fails=$((fails + 1))
  else
    echo "ok: $what (exit $rc)"
  fi
}

json_check() {  # json_check FILE PYTHON-EXPRESSION-ON-r
  if ! /usr/bin/python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert $2, r.get('first_divergence')" "$1"; then
    echo "FAIL: $1: $2"
    fails=$((fails + 1))
  fi
}

expect_rc 0 "clean float32 vs float64 passes" -- \
  "$VERIFY" --layer-diff --reference "$D/ref.npz" --candidate "$D/clean.npz" --json "$OUT/clean.json"
json_check "$OUT/clean.json" "r['passed'] is True and r['first_divergence'] is None and len(r['layers']) > 10"

first="$(cat "$D/expected.txt")"
expect_rc 1 "tanh-GELU fails" -- \
  "$VERIFY" --layer-diff --reference "$D/ref.npz" --candidate "$D/gelu_tanh.npz" \
  --json "$OUT/gelu.json" --junit "$OUT/gelu.xml" --html "$OUT/gelu.html"
json_check "$OUT/gelu.json" "r['passed'] is False and r['first_divergence'] == '$first'"
json_check "$OUT/gelu.json" "all(set(['name','status','shape','max_abs','mean_abs','rmse','max_rel','cosine','sqnr_db','mismatch_fraction','nan','inf','hint']) <= set(l) for l in r['layers'])"
grep -q "First divergence: $first" "$OUT/stdout" || { echo "FAIL: terminal report lacks the first divergence"; fails=$((fails + 1)); }
grep -q "<failure" "$OUT/gelu.xml" || { echo "FAIL: junit has no failure"; fails=$((fails + 1)); }
/usr/bin/python3 -c "import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])" "$OUT/gelu.xml" || { echo "FAIL: junit is not XML"; fails=$((fails + 1)); }
grep -q "<svg" "$OUT/gelu.html" || { echo "FAIL: html has no svg"; fails=$((fails + 1)); }

expect_rc 0 "renamed and re-laid-out dump without a map aligns by order and shape" -- \
  "$VERIFY" --layer-diff --reference "$D/ref.npz" --candidate "$D/renamed.npz" --json "$OUT/aligned.json"
grep -q "alignment: the candidate's names differ" "$OUT/stdout" || { echo "FAIL: the automatic alignment is not shown"; fails=$((fails + 1)); }
json_check "$OUT/aligned.json" "r['passed'] and r['summary']['missing'] == 0 and r['summary']['extra'] == 0"
expect_rc 2 "renamed dump with --no-align: no layer in common is an input error" -- \
  "$VERIFY" --layer-diff --reference "$D/ref.npz" --candidate "$D/renamed.npz" --no-align
grep -q -- "--map" "$OUT/stderr" || { echo "FAIL: no-common-layer error does not suggest --map"; fails=$((fails + 1)); }
expect_rc 0 "renamed and re-laid-out dump passes with the map" -- \
  "$VERIFY" --layer-diff --reference "$D/ref.npz" --candidate "$D/renamed.npz" --map "$D/map.textproto"
expect_rc 0 "directory dump with manifest.json passes" -- \
  "$VERIFY" --layer-diff --reference "$D/ref.npz" --candidate "$D/dir_dump" --json "$OUT/dir.json"
json_check "$OUT/dir.json" "r['passed'] and r['layers'][0]['name'] == 'inp'"
expect_rc 0 "loose tolerances pass tanh-GELU" -- \
  "$VERIFY" --layer-diff --reference "$D/ref.npz" --candidate "$D/gelu_tanh.npz" --min-sqnr-db 40 \
  --min-cosine 0.999 --max-mismatch 0.5

expect_rc 0 "weights: npz conversion of a safetensors source" -- \
  "$VERIFY" --weights "$D/weights.npz" --source "$D/weights.safetensors"
expect_rc 1 "weights: a source tensor not accounted for" -- \
  "$VERIFY" --weights "$D/weights_missing.npz" --source "$D/weights.safetensors" --json "$OUT/w.json"
json_check "$OUT/w.json" "not r['passed'] and r['summary']['missing'] == 1"

expect_rc 2 "no arguments" -- "$VERIFY"
expect_rc 2 "unknown flag" -- "$VERIFY" --layer-diff --bogus 1
expect_rc 2 "missing candidate flag" -- "$VERIFY" --layer-diff --reference "$D/ref.npz"
expect_rc 2 "missing file" -- "$VERIFY" --layer-diff --reference "$D/ref.npz" --candidate "$D/nope.npz"
expect_rc 2 "bad number" -- "$VERIFY" --layer-diff --reference "$D/ref.npz" --candidate "$D/clean.npz" --atol x
printf 'rule { pattern: "(" }\n' > "$OUT/bad.textproto"
expect_rc 2 "bad tolerance file" -- \
  "$VERIFY" --layer-diff --reference "$D/ref.npz" --candidate "$D/clean.npz" --tolerances "$OUT/bad.textproto"
grep -q "bad.textproto" "$OUT/stderr" || { echo "FAIL: error does not name the file"; fails=$((fails + 1)); }

if [[ $fails -ne 0 ]]; then
  echo "$fails check(s) failed"
  exit 1
fi
echo "all checks passed"
