#!/usr/bin/env bash
# Builds the cuda backend (--define=cuda=1: nvcc + cuBLAS from /usr/local/cuda) and runs its tests.
#
#   tools/cuda_test.sh [extra bazel flags]
#
# Always: builds //runtime/cuda/... (kernels, test binaries, bench). Then probes for a GPU:
#   - none visible: runs the host-side table checks quietly (their log is shown only if they
#     fail), prints "skipped: no visible CUDA GPU (<reason>)" and exits 0; no GPU test is
#     reported as passed;
#   - a GPU: runs the differential op tests and the bundled-model tests through bazel test
#     (--define=cuda_gpu=1 makes them compatible), prints each failure, and ends with
#     "N passed, M failed" (gtest test cases, plus `verify --device cuda` on each bundled model);
#     exits 1 if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."

FLAGS=(--define=cuda=1 "$@")
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

if ! bazel build --color=no --curses=no "${FLAGS[@]}" //runtime/cuda/... >"$log" 2>&1; then
  cat "$log"
  echo "cuda build failed"
  exit 1
fi
bin="$(bazel info "${FLAGS[@]}" bazel-bin 2>/dev/null)"
reason="$("$bin/runtime/cuda/cuda_probe")"
if [[ $? -ne 0 ]]; then
  # The host-side table checks need no GPU; their output is shown only when they fail.
  if ! bazel test --color=no --curses=no "${FLAGS[@]}" --test_output=errors \
      //runtime/cuda:kernel_table_test >"$log" 2>&1; then
    cat "$log"
    echo "cuda kernel table checks failed"
    exit 1
  fi
  echo "skipped: no visible CUDA GPU (${reason})"
  exit 0
fi

GPU_TESTS=(//runtime/cuda:kernel_table_test //runtime/cuda:cuda_differential_test
           //runtime/cuda:cuda_models_test)
bazel test --color=no --curses=no "${FLAGS[@]}" --define=cuda_gpu=1 --test_output=errors \
  "${GPU_TESTS[@]}" >"$log" 2>&1
bazel_rc=$?
logs="$(bazel info "${FLAGS[@]}" --define=cuda_gpu=1 bazel-testlogs 2>/dev/null)"
passed=0
failed=0
for t in kernel_table_test cuda_differential_test cuda_models_test; do
  f="$logs/runtime/cuda/$t/test.log"
  if [[ ! -f "$f" ]]; then
    echo "$t: no test log (build or run failure)"
    failed=$((failed + 1))
    continue
  fi
  p=$(grep -c '^\[       OK \]' "$f")
  m=$(grep -c '^\[  FAILED  \] .*([0-9]* ms)$' "$f")
  s=$(grep -c '^\[  SKIPPED \] .*([0-9]* ms)$' "$f")
  grep -B30 '^\[  FAILED  \] .*([0-9]* ms)$' "$f" | grep -v '^\[ RUN\|^\[       OK' || true
  [[ $s -gt 0 ]] && echo "$t: $s skipped: $(grep -m1 -A1 'Skipped$' "$f" | tail -1)"
  passed=$((passed + p))
  failed=$((failed + m))
done
# verify --device cuda end to end: every bundled model against its PyTorch reference dump.
if bazel build --color=no --curses=no "${FLAGS[@]}" //verify:verify >"$log" 2>&1; then
  for m in vocoder encoder dit text_encoder; do
    d=reference_dumps/$m
    if "$bin/verify/verify" --layer-diff --model "$d/model.onnx" --inputs "$d/inputs.npz" \
        --reference "$d/reference.npz" --device cuda --color never >"$log" 2>&1; then
      passed=$((passed + 1))
    else
      echo "verify --device cuda on $m failed:"
      tail -n 20 "$log"
      failed=$((failed + 1))
    fi
  done
else
  cat "$log"
  echo "verify build with cuda failed"
  failed=$((failed + 1))
fi
if [[ $bazel_rc -ne 0 && $failed -eq 0 ]]; then
  cat "$log"
  failed=1
fi
echo "${passed} passed, ${failed} failed"
[[ $failed -eq 0 ]]
