#!/usr/bin/env bash
# Builds the .npy parser's libFuzzer target (formats/npy/npy_fuzz.cc) outside Bazel with clang-14
# (libFuzzer + ASan + UBSan) and runs it for ${FUZZ_SECONDS:-20} seconds from a seed corpus of
# the .npy fixtures (formats/npy/make_npy_fixtures.py, needs /usr/bin/python3 with NumPy).
#
#   tools/fuzz/npy.sh            (run from anywhere in the repository)
#   FUZZ_SECONDS=600 tools/fuzz/npy.sh
#
# Exit status: 0 when the run found nothing, non-zero on a crash, sanitizer report, leak, timeout
# or build error (the crashing input is left in the printed work dir).
set -euo pipefail
TARGET=npy_fuzz
TARGET_SRC=formats/npy/npy_fuzz.cc
SEED_GLOBS="*.npy"
SECONDS_TO_RUN="${FUZZ_SECONDS:-20}"
# shellcheck source=tools/fuzz/npy_zip_common.sh
source "$(dirname "$0")/npy_zip_common.sh"
fuzz_build
fuzz_seed
fuzz_run
