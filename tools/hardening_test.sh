#!/usr/bin/env bash
# The checks of README command 2 that come after `bazel test //...`:
#   1. tools/asan_test.sh //...    the whole suite again under ASan + UBSan
#   2. tools/fuzz/all.sh           a short libFuzzer smoke run of every parser
#   3. tools/cuda_test.sh          builds the CUDA backend (--config=cuda) so it cannot rot; runs its
#                                  tests where a GPU is visible, says "skipped" where none is
# All three run even when one fails; the exit status is 1 if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."

status=0
bash tools/asan_test.sh --color=no --curses=no --test_summary=short //... || status=1
FUZZ_SECONDS="${FUZZ_SECONDS:-10}" bash tools/fuzz/all.sh || status=1
bash tools/cuda_test.sh || status=1
exit $status
