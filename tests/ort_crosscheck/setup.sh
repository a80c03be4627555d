#!/bin/sh
# Installs ONNX Runtime for Node (the independent peer of //tests:ort_crosscheck_test) into
# tests/ort_crosscheck/node_modules, at the version pinned in package-lock.json.
# --ignore-scripts: the package's install script tries a download; the npm tarball already holds
# the native CPU library (bin/napi-v*/linux/x64/libonnxruntime.so.1).
set -eu
cd "$(dirname "$0")"
npm ci --ignore-scripts --no-audit --no-fund
node -e "require('onnxruntime-node'); console.log('onnxruntime-node', require('onnxruntime-node/package.json').version, 'ready')"
