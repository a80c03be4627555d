#!/usr/bin/env bash
# Installs every system package the project, its tests and its fixture scripts need.
# Idempotent: packages already present are left alone; apt is only asked when one is missing.
set -euo pipefail

PACKAGES=(
  bazel-bootstrap
  g++
  libabsl-dev
  libprotobuf-dev
  protobuf-compiler
  libonnx-dev
  libre2-dev
  libssl-dev
  zlib1g-dev
  libgtest-dev
  libgmock-dev
  libbenchmark-dev
  libeigen3-dev
  libdnnl-dev
  libxnnpack-dev
  libpthreadpool-dev
  time
  clang-14
  libclang-rt-14-dev
  python3-torch
  python3-numpy
  python3-onnx
  python3-torchvision
  chromium
)
# Node.js (for the independent peers: ONNX Runtime for Node, a GGUF parser). A machine may already
# carry a Node.js build that bundles npm; Debian's npm conflicts with it, so only ask for it when absent.
if ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Independent peers the tests compare against (npm registry): the GGUF parser @huggingface/gguf,
# ggml's own GGUF reader (@node-llama-cpp/linux-x64) and ONNX Runtime for Node. Each folder pins
# its versions in package-lock.json; node_modules is installed again only when that lock changed
# since the last install (a copy of it is kept as node_modules/.tensorport-lock.json).
root="$(cd "$(dirname "$0")/.." && pwd)"
for peer in tests/gguf_peer tests/ort_crosscheck; do
  dir="$root/$peer"
  [[ -f "$dir/setup.sh" ]] || continue
  if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.tensorport-lock.json"; then
    echo "setup: installing npm peer in $peer" >&2
    bash "$dir/setup.sh"
    cp "$dir/package-lock.json" "$dir/node_modules/.tensorport-lock.json"
  fi
done
