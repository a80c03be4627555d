#!/bin/bash
# The benchmark suite's models at test size through ONNX Runtime for Node, then on the reference
# and cpu backends (the cpu backend rewrites the graphs, as runs without capture do); see
# tests/ort_crosscheck/crosscheck.sh. Needs tests/ort_crosscheck/setup.sh.
set -euo pipefail

args=()
for m in mbv3_det resnet50 wav2vec2 hifigan dit_block rnn; do
  args+=("$m" "tests/runtime_suite/models/$m.onnx" "tests/runtime_suite/models/$m.inputs.npz")
done
exec tests/ort_crosscheck/crosscheck.sh suite_ort "${args[@]}"
