#!/usr/bin/env bash
# usage: verify_weights_test.sh CONVERT VERIFY CHECKER VOCODER_CHECKPOINT
set -euo pipefail
dumps="$(dirname "$(dirname "$4")")"
exec /usr/bin/python3 "$3" "$1" "$2" "${TEST_TMPDIR:-$(mktemp -d)}/work" "$dumps"
