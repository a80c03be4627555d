#!/bin/bash
# Runs verify for a layer_diff_test (verify/defs.bzl); reports go to the test's undeclared outputs.
set -u
verify="$1"
shift
out="${TEST_UNDECLARED_OUTPUTS_DIR:-${TEST_TMPDIR:-/tmp}}"
exec "$verify" "$@" --color=never --json="$out/layer_diff.json" --junit="$out/layer_diff.xml" \
  --html="$out/layer_diff.html"
