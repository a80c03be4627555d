#!/usr/bin/env bash
# Runs the core and format unit tests under AddressSanitizer + UndefinedBehaviorSanitizer
# (.bazelrc's `asan` config: gcc -fsanitize=address,undefined, UBSan errors fatal, leak checks on).
#
#   tools/asan_test.sh                       # //core/... and //formats/...
#   tools/asan_test.sh //formats/npy:all     # any other target patterns
#
# The sanitized objects go to their own output directory (--platform_suffix=asan), so switching
# between this and a normal build does not make either rebuild everything. Targets tagged
# "manual" (the libFuzzer binaries) are skipped by the patterns; fuzz them with tools/fuzz/*.sh.
# Exit status: bazel's (0 when every test passed).
set -euo pipefail
cd "$(dirname "$0")/.."

# Arguments that are not target patterns (flags) pass through; without a pattern, the default set.
has_pattern=0
for arg in "$@"; do
  case "$arg" in //* | :*) has_pattern=1 ;; esac
done
if [ "$has_pattern" -eq 0 ]; then
  set -- "$@" //core/... //formats/...
fi

# halt_on_error: the first report fails the test; detect_leaks is set by the config.
exec bazel test --config=asan --platform_suffix=asan \
  --test_env=UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  --test_output=errors "$@"
