#!/usr/bin/env bash
# cuda vs cpu backend timings on the bundled reference models at realistic sizes, through the
# runtime Session (runtime/cuda/cuda_bench_main.cc). Needs a visible CUDA GPU; without one it
# prints "skipped: no visible CUDA GPU (<reason>)" and exits 0.
#
#   tools/cuda_bench.sh [--iters=N] [--cpu_threads=T]
set -uo pipefail
cd "$(dirname "$0")/.."
FLAGS=(--define=cuda=1)
if ! bazel build --color=no --curses=no "${FLAGS[@]}" //runtime/cuda:cuda_bench >/dev/null 2>&1; then
  bazel build --color=no --curses=no "${FLAGS[@]}" //runtime/cuda:cuda_bench
  exit 1
fi
bin="$(bazel info "${FLAGS[@]}" bazel-bin 2>/dev/null)"
"$bin/runtime/cuda/cuda_bench" --dumps="$PWD/reference_dumps" "$@"
rc=$?
# 2 with the "skipped" line: no GPU, not a failure of the benchmark.
if [[ $rc -eq 2 ]] && ! "$bin/runtime/cuda/cuda_probe" >/dev/null; then exit 0; fi
exit $rc
