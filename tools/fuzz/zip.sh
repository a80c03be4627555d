#!/usr/bin/env bash
# Builds the ZIP reader's libFuzzer target (formats/zip/zip_fuzz.cc: ZipReader and, on the same
# bytes, the .npz reader) outside Bazel with clang-14 (libFuzzer + ASan + UBSan) and runs it for
# ${FUZZ_SECONDS:-20} seconds from a seed corpus of the ZIP and .npz fixtures
# (formats/zip/make_zip_fixtures.py, formats/npy/make_npy_fixtures.py; /usr/bin/python3 + NumPy).
#
#   tools/fuzz/zip.sh            (run from anywhere in the repository)
#   FUZZ_SECONDS=600 tools/fuzz/zip.sh
#
# Exit status: 0 when the run found nothing, non-zero on a crash, sanitizer report, leak, timeout
# or build error (the crashing input is left in the printed work dir).
set -euo pipefail
TARGET=zip_fuzz
TARGET_SRC=formats/zip/zip_fuzz.cc
SEED_GLOBS="*.zip *.npz"
SECONDS_TO_RUN="${FUZZ_SECONDS:-20}"
# shellcheck source=tools/fuzz/npy_zip_common.sh
source "$(dirname "$0")/npy_zip_common.sh"
fuzz_build
fuzz_seed
fuzz_run
