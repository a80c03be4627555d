#!/usr/bin/env bash
# README command 1: set up, then run the main job on a bundled example: inspect a small PyTorch
# vocoder checkpoint, convert it to GGUF with the hifigan preset, check the converted weights, then
# run the model with them and diff every layer against the PyTorch reference dump.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
bazel build --color=no --curses=no //tools:inspect //convert:convert //verify:verify 2>&1 | tail -n 1

model=reference_dumps/vocoder
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
bold=""; plain=""
if [[ -t 1 ]]; then bold=$'\033[1m'; plain=$'\033[0m'; fi
step() { printf '\n%s== %s%s\n$ %s\n' "$bold" "$1" "$plain" "${*:2}"; "${@:2}"; }

step "1. What the checkpoint holds" \
  bazel-bin/tools/inspect "$model/checkpoint.pt"
step "2. Convert to GGUF (weight norm fused, declared by the hifigan preset)" \
  bazel-bin/convert/convert --preset hifigan --out-type f32 "$model/checkpoint.pt" "$out/vocoder.gguf"
step "3. Check every converted tensor against its source (the plan comes from the file's provenance record)" \
  bazel-bin/verify/verify --weights "$out/vocoder.gguf" --source "$model/checkpoint.pt"
step "4. Run the ONNX export with the converted weights and diff every layer against PyTorch's dump" \
  bazel-bin/verify/verify --layer-diff --model "$model/model.onnx" --inputs "$model/inputs.npz" \
  --reference "$model/reference.npz" --weights "$out/vocoder.gguf" --source "$model/checkpoint.pt" \
  --device cpu
# What a broken port looks like: its ConvTranspose weight norm was taken over the wrong axis.
printf '\n%s== 5. A port with a planted bug: the report names the first layer that diverges (exit 1)%s\n' "$bold" "$plain"
printf '$ bazel-bin/verify/verify --layer-diff --reference %s --candidate %s\n' \
  "$model/reference.npz" reference_dumps/defects/vocoder_convtranspose_weightnorm_axis.npz
set +e
bazel-bin/verify/verify --layer-diff --reference "$model/reference.npz" \
  --candidate reference_dumps/defects/vocoder_convtranspose_weightnorm_axis.npz
code=$?
set -e
if [[ $code -ne 1 ]]; then
  echo "example: expected the planted bug to fail the diff (exit 1), got exit $code" >&2
  exit 1
fi
printf '\n(exit code %d, as a CI job gating on it would see)\n' "$code"
