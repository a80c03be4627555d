#!/usr/bin/env bash
# Builds the pickle machine's libFuzzer target outside Bazel with clang-14 (libFuzzer + ASan +
# UBSan) and runs it for a short smoke run (default 20 s) from a seed corpus of real pickles.
#
#   tools/fuzz/pytorch_pickle.sh [seconds]        (run from anywhere in the repository)
#   FUZZ_SECONDS=600 tools/fuzz/pytorch_pickle.sh
#
# Exit status: 0 when the run found nothing, non-zero on a crash, leak, timeout or build error.
# Seeds: the .pkl fixtures and the data.pkl of each .pt fixture from
# tests/fixtures/pytorch/make_fixtures.py (needs /usr/bin/python3 with torch; without it the
# fuzzer starts from an empty corpus).
set -euo pipefail

SECONDS_TO_RUN="${1:-${FUZZ_SECONDS:-20}}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="${FUZZ_WORK_DIR:-$(mktemp -d /tmp/pytorch_pickle_fuzz.XXXXXX)}"
CXX="${CXX_FUZZ:-clang++-14}"
mkdir -p "$WORK/corpus" "$WORK/fixtures"

ABSL_LIBS="-labsl_statusor -labsl_status -labsl_strerror -labsl_str_format_internal \
  -labsl_cord -labsl_cordz_info -labsl_cord_internal -labsl_cordz_functions \
  -labsl_exponential_biased -labsl_cordz_handle -labsl_synchronization \
  -labsl_graphcycles_internal -labsl_stacktrace -labsl_symbolize -labsl_debugging_internal \
  -labsl_demangle_internal -labsl_malloc_internal -labsl_time -labsl_civil_time \
  -labsl_time_zone -labsl_bad_optional_access -labsl_strings -labsl_strings_internal \
  -labsl_base -labsl_spinlock_wait -labsl_int128 -labsl_throw_delegate \
  -labsl_raw_logging_internal -labsl_log_severity -lpthread"

echo "== building $WORK/pickle_fuzz with $CXX"
# shellcheck disable=SC2086
"$CXX" -std=c++17 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
  -fno-sanitize-recover=undefined -I"$ROOT" \
  "$ROOT"/formats/pytorch/pickle.cc "$ROOT"/formats/pytorch/pickle_values*.cc "$ROOT/formats/pytorch/pickle_fuzz.cc" "$ROOT/core/utf8.cc" \
  -o "$WORK/pickle_fuzz" $ABSL_LIBS

echo "== seed corpus"
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
  /usr/bin/python3 "$ROOT/tests/fixtures/pytorch/make_fixtures.py" "$WORK/fixtures" >/dev/null
  cp "$WORK"/fixtures/*.pkl "$WORK/corpus/"
  /usr/bin/python3 - "$WORK/fixtures" "$WORK/corpus" <<'PY'
import os, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
for name in sorted(os.listdir(src)):
    path = os.path.join(src, name)
    if name.endswith(".pt") and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            for e in z.namelist():
                if e.endswith("data.pkl"):
                    open(os.path.join(dst, name + ".data.pkl"), "wb").write(z.read(e))
    elif name.endswith(".pt"):
        open(os.path.join(dst, name + ".legacy"), "wb").write(open(path, "rb").read()[:4096])
PY
else
  echo "(no /usr/bin/python3 with torch: empty corpus)"
fi
ls "$WORK/corpus" | wc -l

echo "== fuzzing for ${SECONDS_TO_RUN}s"
ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
  "$WORK/pickle_fuzz" -max_total_time="$SECONDS_TO_RUN" -rss_limit_mb=2048 -timeout=10 \
  -max_len=65536 -artifact_prefix="$WORK/" "$WORK/corpus" 2>&1 | tail -n 25
status=${PIPESTATUS[0]}
echo "== pickle_fuzz exit status $status (work dir $WORK)"
exit "$status"
