#!/usr/bin/env bash
# Installs the independent GGUF parser (@huggingface/gguf, pinned by package-lock.json) into
# tests/gguf_peer/node_modules for //tests/gguf_peer:gguf_peer_test. Needs the npm registry (or a
# warm npm cache: --prefer-offline uses it first). --ignore-scripts: the peer needs no install step.
set -euo pipefail
cd "$(dirname "$0")"
if [[ -f package-lock.json ]]; then
  npm ci --ignore-scripts --prefer-offline --no-audit --no-fund
else
  npm install --ignore-scripts --prefer-offline --no-audit --no-fund
fi
node -e 'import("@huggingface/gguf").then(() => console.log("gguf peer ready"))'
