#!/bin/bash
# Times the cpu backend against ONNX Runtime (onnxruntime-node) on a HiFi-GAN-like vocoder (2 s of
# audio) and a DiT block over 500 frames, with 1 and 2 threads, and prints the ratios
# (tensorport time / ONNX Runtime time; below 1 means tensorport is faster). A script, not a test:
# timings on the shared 2-core machines are noisy, so each configuration runs RUNS times (median)
# in three alternating rounds (best median kept). ORT_NO_SPIN=1 turns off ONNX Runtime's
# spin-waiting worker threads (its default is on).
#
# Usage: runtime/benchmarks/bench_runtime.sh [RUNS]   (from anywhere in the repository)
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS="${1:-5}"
DIR="${BENCH_DIR:-/tmp/tensorport_bench}"
MODELS=vocoder,dit_block
THREADS=1,2

/usr/bin/python3 runtime/benchmarks/export_bench_models.py "$DIR"
bazel build //runtime/benchmarks:bench_runtime
# Not the bazel-bin symlink: another build with other flags may have moved it.
BIN="$(bazel info bazel-bin 2>/dev/null)/runtime/benchmarks/bench_runtime"
if [ ! -d runtime/benchmarks/node_modules/onnxruntime-node ]; then
  (cd runtime/benchmarks && npm ci --ignore-scripts --no-audit --no-fund)
fi

results=$(mktemp)
trap 'rm -f "$results"' EXIT
# Rounds alternate between the two runtimes so that a change in machine load hits both; each
# configuration keeps its best median over the rounds.
for round in 1 2 3; do
  "$BIN" --models_dir="$DIR" --models="$MODELS" \
      --threads="$THREADS" --runs="$RUNS" | tee -a "$results"
  node runtime/benchmarks/ort_bench.js "$DIR" "$MODELS" "$THREADS" "$RUNS" | tee -a "$results"
done

echo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "model       threads  tensorport_ms  ort_ms   ratio (tensorport / ort)"
awk '
  {
    split($3, t, "="); split($4, m, "="); key = $2 " " t[2]; id = $1 " " key;
    if (!(id in v) || m[2] + 0 < v[id] + 0) v[id] = m[2];
    keys[key] = 1;
  }
  END {
    for (k in keys) {
      split(k, p, " ");
      a = v["tensorport " k]; b = v["ort " k];
      printf "%-11s %-8s %-14s %-8s %.2f\n", p[1], p[2], a, b, (b > 0 ? a / b : 0);
    }
  }' "$results" | sort
