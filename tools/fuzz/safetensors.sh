#!/usr/bin/env bash
# Builds formats/safetensors/safetensors_fuzz.cc with libFuzzer + ASan + UBSan (clang 14) and runs
# it ~20 s, seeded with the safetensors fixtures. FUZZ_SECONDS overrides the duration.
source "$(dirname "$0")/gguf_safetensors_common.sh"
run_fuzzer safetensors \
  "formats/safetensors/safetensors_fuzz.cc formats/safetensors/safetensors.cc formats/json/json.cc core/utf8.cc" \
  formats/safetensors/make_fixtures.py "$@"
