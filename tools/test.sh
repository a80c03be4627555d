#!/usr/bin/env bash
# README command 2: set everything up, then build and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
bazel test --color=no --curses=no //... "$@"
