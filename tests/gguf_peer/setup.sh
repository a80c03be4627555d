#!/usr/bin/env bash
# Installs the independent GGUF readers (@huggingface/gguf, and ggml's own reader in
# @node-llama-cpp/linux-x64, pinned by package-lock.json) into tests/gguf_peer/node_modules for
# //tests/gguf_peer:all and the convert preset tests. Needs the npm registry (or a
# warm npm cache: --prefer-offline uses it first). --ignore-scripts: the peer needs no install step.
set -euo pipefail
cd "$(dirname "$0")"
if [[ -f package-lock.json ]]; then
  npm ci --ignore-scripts --prefer-offline --no-audit --no-fund
else
  npm install --ignore-scripts --prefer-offline --no-audit --no-fund
fi
node -e 'import("@huggingface/gguf").then(() => console.log("gguf peer ready"))'
test -f node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/libggml-base.so
echo "ggml reader ready"
