# Shared by tools/fuzz/npy.sh and tools/fuzz/zip.sh (sourced, not run): builds one of the
# npy / zip libFuzzer targets outside Bazel with clang-14 (libFuzzer + ASan + UBSan), makes a seed
# corpus from the formats' fixture scripts (Debian's /usr/bin/python3 with NumPy) and runs it.
#
# Inputs (set by the caller): TARGET (npy_fuzz or zip_fuzz), TARGET_SRC (its .cc), SEED_GLOBS
# (fixture file patterns to copy into the corpus), SECONDS_TO_RUN.
# Environment: FUZZ_SECONDS (default 20), FUZZ_WORK_DIR (default: a new /tmp dir), CXX_FUZZ
# (default clang++-14). One fuzzing process, so it fits the 2-core machines.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="${FUZZ_WORK_DIR:-$(mktemp -d "/tmp/${TARGET}.XXXXXX")}"
CXX="${CXX_FUZZ:-clang++-14}"
mkdir -p "$WORK/corpus" "$WORK/fixtures" "$WORK/tmp"

ABSL_LIBS="-labsl_statusor -labsl_status -labsl_strerror -labsl_str_format_internal \
  -labsl_cord -labsl_cordz_info -labsl_cord_internal -labsl_cordz_functions \
  -labsl_exponential_biased -labsl_cordz_handle -labsl_synchronization \
  -labsl_graphcycles_internal -labsl_stacktrace -labsl_symbolize -labsl_debugging_internal \
  -labsl_demangle_internal -labsl_malloc_internal -labsl_time -labsl_civil_time \
  -labsl_time_zone -labsl_bad_optional_access -labsl_strings -labsl_strings_internal \
  -labsl_base -labsl_spinlock_wait -labsl_int128 -labsl_throw_delegate \
  -labsl_raw_logging_internal -labsl_log_severity -lpthread"

# Everything the npy/npz/zip libraries link (they register with the format registry).
# The format folders contribute every library source (tests and fuzz drivers left out), so a file
# split out of one of their libraries is compiled here too.
library_sources() {
  local f
  for f in "$@"; do
    case "$f" in *_test.cc | *_fuzz*.cc) ;; *) echo "${f#"$ROOT"/}" ;; esac
  done
}
mapfile -t FORMAT_SRCS < <(library_sources "$ROOT"/formats/zip/*.cc "$ROOT"/formats/npy/*.cc \
  "$ROOT"/formats/json/*.cc)
LIB_SRCS=(
  core/dtype.cc core/tensor.cc core/tensor_reader.cc core/cast_kernels.cc core/byte_source.cc core/mapped_file.cc core/output_file.cc core/metadata.cc
  core/utf8.cc formats/registry.cc "${FORMAT_SRCS[@]}"
)

fuzz_build() {
  echo "== building $WORK/$TARGET with $CXX"
  local srcs=()
  for s in "${LIB_SRCS[@]}" "$TARGET_SRC"; do srcs+=("$ROOT/$s"); done
  # shellcheck disable=SC2086
  "$CXX" -std=c++17 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined -I"$ROOT" "${srcs[@]}" -o "$WORK/$TARGET" \
    $ABSL_LIBS -lz
}

fuzz_seed() {
  echo "== seed corpus"
  if /usr/bin/python3 -c "import numpy" 2>/dev/null; then
    /usr/bin/python3 "$ROOT/formats/npy/make_npy_fixtures.py" "$WORK/fixtures" >/dev/null
    /usr/bin/python3 "$ROOT/formats/zip/make_zip_fixtures.py" "$WORK/fixtures" >/dev/null
    local g
    for g in $SEED_GLOBS; do
      # shellcheck disable=SC2086
      cp $WORK/fixtures/$g "$WORK/corpus/" 2>/dev/null || true
    done
  else
    echo "(no /usr/bin/python3 with numpy: empty corpus)"
  fi
  echo "$(ls "$WORK/corpus" | wc -l) seeds"
}

fuzz_run() {
  echo "== fuzzing $TARGET for ${SECONDS_TO_RUN}s"
  set +e
  TMPDIR="$WORK/tmp" ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    "$WORK/$TARGET" -max_total_time="$SECONDS_TO_RUN" -rss_limit_mb=2048 -timeout=10 \
    -max_len=65536 -artifact_prefix="$WORK/" "$WORK/corpus" >"$WORK/fuzz.log" 2>&1
  local status=$?
  set -e
  tail -n 25 "$WORK/fuzz.log"
  echo "== $TARGET exit status $status (work dir $WORK; crash inputs: $WORK/crash-*)"
  return "$status"
}
