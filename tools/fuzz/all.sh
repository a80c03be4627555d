#!/usr/bin/env bash
# Runs every libFuzzer target script in tools/fuzz/ (each builds its target with clang-14,
# libFuzzer + ASan + UBSan, outside Bazel, seeds it from its format's fixture script and fuzzes)
# for ${FUZZ_SECONDS:-15} seconds each, one after another (2-core machines).
#
#   tools/fuzz/all.sh                       (from anywhere in the repository)
#   FUZZ_SECONDS=300 tools/fuzz/all.sh      (a longer campaign)
#   tools/fuzz/all.sh onnx gguf             (only these targets)
#
# A target fails when its script exits non-zero (crash, sanitizer report, leak, timeout, out of
# memory, build error), when its log shows a sanitizer report, or when libFuzzer never reported
# "Done N runs" (it did not actually fuzz). Exit status: 0 when every target passed, 1 otherwise.
# Logs and crash inputs stay in the printed work folder (FUZZ_ALL_DIR to choose it).
# On a fresh machine clang-14, libclang-rt-14-dev (libFuzzer), the -dev libraries and the Python
# packages for the seed scripts come from tools/setup.sh, which is run first when any is missing.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "${HERE}/../.." && pwd)"
export FUZZ_SECONDS="${FUZZ_SECONDS:-15}"

# clang-14 with libFuzzer, the libraries the targets link, and the Python packages the seed
# scripts (the formats' fixture scripts) need.
have_toolchain() {
  command -v clang++-14 >/dev/null 2>&1 &&
    compgen -G "/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null &&
    [[ -f /usr/include/onnx/onnx_pb.h && -f /usr/include/absl/status/status.h ]] &&
    /usr/bin/python3 -c "import numpy, torch, onnx" >/dev/null 2>&1
}
if ! have_toolchain; then
  echo "fuzz: clang-14, libFuzzer, a -dev library or a Python package missing; running tools/setup.sh" >&2
  bash "${ROOT}/tools/setup.sh" || { echo "fuzz: tools/setup.sh failed" >&2; exit 1; }
  have_toolchain || { echo "fuzz: still missing a fuzzing prerequisite after setup" >&2; exit 1; }
fi

# Every runnable target script: *.sh here except this one and the sourced *_common.sh helpers.
targets=()
for script in "${HERE}"/*.sh; do
  name="$(basename "${script}" .sh)"
  case "${name}" in all | *_common) continue ;; esac
  targets+=("${name}")
done
if (($#)); then
  for want in "$@"; do
    [[ -f "${HERE}/${want}.sh" ]] || { echo "fuzz: no target script tools/fuzz/${want}.sh" >&2; exit 1; }
  done
  targets=("$@")
fi

WORK="${FUZZ_ALL_DIR:-$(mktemp -d /tmp/tensorport_fuzz_all.XXXXXX)}"
mkdir -p "${WORK}"
# Build + seed + fuzz: allow generous time for the build and fixture scripts on a cold machine.
LIMIT=$((FUZZ_SECONDS + 600))

passed=()
failed=()
for name in "${targets[@]}"; do
  log="${WORK}/${name}.log"
  dir="${WORK}/${name}"
  mkdir -p "${dir}"
  echo "== fuzz ${name}: ${FUZZ_SECONDS} s (log ${log})"
  start=${SECONDS}
  # The target scripts name their work folder FUZZ_WORK_DIR (npy, zip, pytorch_pickle) or
  # FUZZ_WORKDIR (gguf, safetensors, onnx: a parent folder); both point into WORK.
  FUZZ_WORK_DIR="${dir}" FUZZ_WORKDIR="${dir}" timeout --signal=KILL "${LIMIT}" \
    bash "${HERE}/${name}.sh" >"${log}" 2>&1 </dev/null
  status=$?
  why=""
  if ((status != 0)); then
    why="exit status ${status}"
  elif grep -qE "ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error:|deadly signal" "${log}"; then
    why="sanitizer or libFuzzer report in the log"
  elif ! grep -qE "^Done [0-9]+ runs" "${log}"; then
    why="libFuzzer did not report 'Done N runs'"
  fi
  runs="$(grep -oE "^Done [0-9]+ runs" "${log}" | tail -n 1)"
  if [[ -z "${why}" ]]; then
    passed+=("${name}")
    echo "   ok (${runs:-?}, $((SECONDS - start)) s)"
  else
    failed+=("${name}")
    echo "   FAILED: ${why}; last lines of ${log}:"
    tail -n 30 "${log}" | sed 's/^/   | /'
    find "${dir}" -maxdepth 2 -name 'crash-*' -o -maxdepth 2 -name 'leak-*' -o -maxdepth 2 \
      -name 'timeout-*' -o -maxdepth 2 -name 'oom-*' | sed 's/^/   input: /'
  fi
done

echo "fuzz: ${#passed[@]} passed, ${#failed[@]} failed${failed:+ (${failed[*]})}; work folder ${WORK}"
((${#failed[@]} == 0))
