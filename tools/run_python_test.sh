#!/usr/bin/env bash
# Runs a Python test script with Debian's interpreter (NumPy, PyTorch and ONNX live there, not in
# whatever python3 comes first on PATH). Usage: run_python_test.sh SCRIPT [ARGS...]
set -euo pipefail
exec /usr/bin/python3 "$@"
