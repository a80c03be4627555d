# Shared by tools/fuzz/gguf.sh, safetensors.sh and onnx.sh: builds a libFuzzer target with clang 14 (ASan + UBSan) outside
# Bazel and runs it for a short while. Usage (from a format script):
#   run_fuzzer NAME "SOURCES..." SEED_SCRIPT [SECONDS]
# FUZZ_EXTRA_FLAGS: more compile/link flags for the target (e.g. ONNX's defines and libraries).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CXX="${CXX:-clang++-14}"
ABSL_LIBS=(-labsl_statusor -labsl_status -labsl_strerror -labsl_str_format_internal -labsl_cord
  -labsl_cordz_info -labsl_cord_internal -labsl_cordz_functions -labsl_exponential_biased
  -labsl_cordz_handle -labsl_synchronization -labsl_graphcycles_internal -labsl_stacktrace
  -labsl_symbolize -labsl_debugging_internal -labsl_demangle_internal -labsl_malloc_internal
  -labsl_time -labsl_civil_time -labsl_time_zone -labsl_bad_optional_access -labsl_strings
  -labsl_strings_internal -labsl_base -labsl_spinlock_wait -labsl_int128 -labsl_throw_delegate
  -labsl_raw_logging_internal -labsl_log_severity -pthread)
# The project's core and registry, compiled with the target.
CORE_SOURCES=(core/dtype.cc core/tensor.cc core/tensor_reader.cc core/cast_kernels.cc core/byte_source.cc core/metadata.cc core/mapped_file.cc core/output_file.cc
  formats/registry.cc)

run_fuzzer() {
  local name="$1" sources="$2" seed_script="$3" seconds="${4:-${FUZZ_SECONDS:-20}}"
  local work="${FUZZ_WORKDIR:-/tmp/tensorport_fuzz}/${name}"
  mkdir -p "${work}/corpus" "${work}/seeds"
  cd "${ROOT}"
  echo "fuzz ${name}: building with ${CXX}" >&2
  # shellcheck disable=SC2086
  "${CXX}" -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I. ${FUZZ_EXTRA_FLAGS:-} ${sources} "${CORE_SOURCES[@]}" "${ABSL_LIBS[@]}" \
    ${FUZZ_EXTRA_LIBS:-} -o "${work}/${name}_fuzz"
  /usr/bin/python3 "${seed_script}" "${work}/seeds" >/dev/null
  echo "fuzz ${name}: running ${seconds} s" >&2
  # -rss_limit_mb: a parser must not allocate far beyond its input; -max_len keeps inputs small.
  "${work}/${name}_fuzz" "${work}/corpus" "${work}/seeds" -max_total_time="${seconds}" \
    -rss_limit_mb=1024 -malloc_limit_mb=512 -max_len=8192 -print_final_stats=1 \
    -artifact_prefix="${work}/"
}
