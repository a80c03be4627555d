#!/bin/bash
# Cross-checks the runtime against ONNX Runtime on every bundled model
# (reference_dumps/*/model.onnx + inputs.npz); see ort_crosscheck/crosscheck.sh.
set -euo pipefail

args=()
for m in vocoder encoder dit text_encoder; do
  args+=("$m" "reference_dumps/$m/model.onnx" "reference_dumps/$m/inputs.npz")
done
exec tests/ort_crosscheck/crosscheck.sh ort_crosscheck "${args[@]}"
