#!/usr/bin/env bash
# README command 2: set everything up, then run the whole test suite:
#   1. bazel test //...            every unit, integration and end-to-end test
#   2. tools/asan_test.sh //...    the whole suite again under ASan + UBSan
#   3. tools/fuzz/all.sh           a short libFuzzer smoke run of every parser
#   4. tools/cuda_test.sh          builds the CUDA backend (--config=cuda) so it cannot rot; runs its
#                                  tests where a GPU is visible, says "skipped" where none is
# Extra arguments go to step 1 (e.g. a narrower target pattern).
set -uo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh || exit 2

status=0
bazel test --color=no --curses=no --test_summary=short //... "$@" || status=1
bash tools/asan_test.sh --color=no --curses=no --test_summary=short //... || status=1
FUZZ_SECONDS="${FUZZ_SECONDS:-10}" bash tools/fuzz/all.sh || status=1
bash tools/cuda_test.sh || status=1
exit $status
