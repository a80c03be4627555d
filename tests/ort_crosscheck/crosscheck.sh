#!/bin/bash
# Shared body of the ONNX Runtime cross-checks (//tests:ort_crosscheck_test,
# //tests/runtime_suite:suite_ort_test): each model runs through ONNX Runtime for Node (an
# independent peer) on its inputs, whose outputs become a conformance case that
# //tests:onnx_conformance then runs on the reference and cpu backends. Every model must pass on
# both; a skip (an unsupported op) fails too.
#
# Usage (from the runfiles root): crosscheck.sh WORK_NAME NAME MODEL.onnx INPUTS.npz [NAME ...]
set -euo pipefail

RTOL=1e-4
ATOL=1e-5

here="$(dirname "$(readlink -f tests/ort_crosscheck/run_ort.js)")"
if [[ ! -d "$here/node_modules/onnxruntime-node" ]]; then
  echo "FAIL: onnxruntime-node is not installed in $here/node_modules;" \
       "run tests/ort_crosscheck/setup.sh first (npm ci --ignore-scripts)" >&2
  exit 1
fi
export NODE_PATH="$here/node_modules"
tmp="${TEST_TMPDIR:-$(mktemp -d)}/$1"
shift
rm -rf "$tmp"
count=0
while (($# >= 3)); do
  m="$1" model="$2" inputs="$3"
  shift 3
  /usr/bin/python3 tests/ort_crosscheck/make_case.py inputs "$model" "$inputs" \
      "$tmp/npy_in/$m" "$tmp/cases/$m"
  node "$here/run_ort.js" "$model" "$tmp/npy_in/$m" "$tmp/npy_out/$m" 1
  /usr/bin/python3 tests/ort_crosscheck/make_case.py outputs "$model" "$tmp/npy_out/$m" \
      "$tmp/cases/$m"
  count=$((count + 1))
done
if (($# != 0 || count == 0)); then
  echo "FAIL: expected NAME MODEL INPUTS triples after the work folder name" >&2
  exit 2
fi

status=0
for backend in reference cpu; do
  echo "== backend $backend vs ONNX Runtime (rtol $RTOL, atol $ATOL)"
  log="$tmp/$backend.log"
  tests/onnx_conformance --data "$tmp/cases" --backend "$backend" --rtol "$RTOL" \
      --atol "$ATOL" --verbose | tee "$log" || true
  want="$count passed, 0 failed, 0 skipped"
  if [[ "$(tail -n 1 "$log")" != "$want" ]]; then
    echo "FAIL: backend $backend: expected \"$want\", got \"$(tail -n 1 "$log")\"" >&2
    status=1
  fi
done
exit $status
