#!/bin/bash
# Times the cpu backend against ONNX Runtime 1.30 (onnxruntime-node) on the benchmark suite
# (suite_models.py: MobileNetV3 text detector, ResNet-50, wav2vec2-base encoder, HiFi-GAN V1,
# DiT block, recurrent model) with 1 and 2 threads, and prints tensorport / ONNX Runtime time
# ratios (below 1: tensorport is faster), their geometric mean per thread count, and the peak
# memory of each runtime on each model.
#
# A script, not a test: the machines are shared, so both runtimes stay loaded in two server
# processes and the driver alternates between them every RUNS runs (which one goes first flips each
# round), ROUNDS rounds per model and thread count; each time is the median over all its runs.
# Peak memory (GNU time's maximum resident set size) comes from a separate process per runtime and
# model: load, one warm-up run and three timed runs at 1 thread. ORT runs with its defaults (all
# graph optimizations, spinning worker threads; ORT_NO_SPIN=1 turns spinning off).
#
# Usage: runtime/benchmarks/bench_runtime.sh [ROUNDS] [RUNS]   (from anywhere in the repository)
#   MODELS=a,b  THREADS=1,2  BENCH_DIR=folder for the exported models (default /tmp/tensorport_bench)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS="${1:-5}"
RUNS="${2:-3}"
DIR="${BENCH_DIR:-/tmp/tensorport_bench}"
MODELS="${MODELS:-mbv3_det,resnet50,wav2vec2,hifigan,dit_block,rnn}"
THREADS="${THREADS:-1,2}"

# The models are exported again when the script that makes them changed.
stamp="$DIR/.suite_models.sha256"
want="$(sha256sum runtime/benchmarks/suite_models.py | cut -d' ' -f1)"
if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  echo "exporting the suite into $DIR" >&2
  /usr/bin/python3 runtime/benchmarks/suite_models.py "$DIR" 2> "$DIR.export.log" ||
    { cat "$DIR.export.log" >&2; exit 2; }
  echo "$want" > "$stamp"
fi
bazel build //runtime/benchmarks:bench_runtime >&2
# Not the bazel-bin symlink: another build with other flags may have moved it.
BIN="$(bazel info bazel-bin 2>/dev/null)/runtime/benchmarks/bench_runtime"
if [[ ! -d runtime/benchmarks/node_modules/onnxruntime-node ]]; then
  (cd runtime/benchmarks && npm ci --ignore-scripts --no-audit --no-fund >&2)
fi

results="$(mktemp)"
trap 'rm -f "$results"' EXIT
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$results"

coproc TP { "$BIN" --models_dir="$DIR" --serve; }
coproc ORT { node runtime/benchmarks/ort_bench.js "$DIR" --serve; }
ask() {  # ask RUNTIME "MODEL THREADS RUNS"
  local line
  if [[ "$1" == tp ]]; then
    echo "$2" >&"${TP[1]}"
    read -r line <&"${TP[0]}"
  else
    echo "$2" >&"${ORT[1]}"
    read -r line <&"${ORT[0]}"
  fi
  echo "$line" | tee -a "$results" >&2
}
IFS=, read -r -a model_list <<< "$MODELS"
IFS=, read -r -a thread_list <<< "$THREADS"
for ((round = 1; round <= ROUNDS; ++round)); do
  for m in "${model_list[@]}"; do
    for t in "${thread_list[@]}"; do
      if ((round % 2)); then
        ask tp "$m $t $RUNS"; ask ort "$m $t $RUNS"
      else
        ask ort "$m $t $RUNS"; ask tp "$m $t $RUNS"
      fi
    done
  done
done
exec {TP[1]}>&- {ORT[1]}>&-
wait
echo "load average after timing: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$results"

for m in "${model_list[@]}"; do
  kb=$( { /usr/bin/time -f "%M" "$BIN" --models_dir="$DIR" --models="$m" --threads=1 \
            --runs=3 > /dev/null; } 2>&1 | tail -n 1)
  echo "memory tensorport $m max_rss_kb=$kb" | tee -a "$results"
  kb=$( { /usr/bin/time -f "%M" node runtime/benchmarks/ort_bench.js "$DIR" "$m" 1 3 \
            > /dev/null; } 2>&1 | tail -n 1)
  echo "memory ort $m max_rss_kb=$kb" | tee -a "$results"
done

/usr/bin/python3 runtime/benchmarks/bench_summary.py "$results"
