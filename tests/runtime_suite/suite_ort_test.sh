#!/bin/bash
# The benchmark suite's models at test size through ONNX Runtime for Node (an independent peer):
# its outputs become conformance cases that //tests:onnx_conformance runs on the reference and
# cpu backends (the cpu backend rewrites the graphs, as runs without capture do). Every model must
# pass on both; a skip (an unsupported op) fails too. Needs tests/ort_crosscheck/setup.sh.
set -euo pipefail

MODELS=(mbv3_det resnet50 wav2vec2 hifigan dit_block rnn)
RTOL=1e-4
ATOL=1e-5

here="$(dirname "$(readlink -f tests/ort_crosscheck/run_ort.js)")"
if [[ ! -d "$here/node_modules/onnxruntime-node" ]]; then
  echo "FAIL: onnxruntime-node is not installed in $here/node_modules;" \
       "run tests/ort_crosscheck/setup.sh first (npm ci --ignore-scripts)" >&2
  exit 1
fi
export NODE_PATH="$here/node_modules"
tmp="${TEST_TMPDIR:-$(mktemp -d)}/suite_ort"
rm -rf "$tmp"
for m in "${MODELS[@]}"; do
  model="tests/runtime_suite/models/$m.onnx"
  /usr/bin/python3 tests/ort_crosscheck/make_case.py inputs "$model" \
      "tests/runtime_suite/models/$m.inputs.npz" "$tmp/npy_in/$m" "$tmp/cases/$m"
  node "$here/run_ort.js" "$model" "$tmp/npy_in/$m" "$tmp/npy_out/$m" 1
  /usr/bin/python3 tests/ort_crosscheck/make_case.py outputs "$model" "$tmp/npy_out/$m" \
      "$tmp/cases/$m"
done

status=0
for backend in reference cpu; do
  echo "== backend $backend vs ONNX Runtime (rtol $RTOL, atol $ATOL)"
  log="$tmp/$backend.log"
  tests/onnx_conformance --data "$tmp/cases" --backend "$backend" --rtol "$RTOL" \
      --atol "$ATOL" --verbose | tee "$log" || true
  want="${#MODELS[@]} passed, 0 failed, 0 skipped"
  if [[ "$(tail -n 1 "$log")" != "$want" ]]; then
    echo "FAIL: backend $backend: expected \"$want\", got \"$(tail -n 1 "$log")\"" >&2
    status=1
  fi
done
exit $status
