#!/usr/bin/env bash
# Runs the end-to-end tests of inspect with Debian's Python (NumPy/PyTorch live there).
# Usage: inspect_e2e_test.sh TEST_SCRIPT INSPECT_BINARY EXPECTED_JSON
set -euo pipefail
exec /usr/bin/python3 "$@"
