#!/usr/bin/env bash
# Builds formats/gguf/gguf_fuzz.cc with libFuzzer + ASan + UBSan (clang 14) and runs it ~20 s,
# seeded with the GGUF fixtures (valid and invalid). FUZZ_SECONDS overrides the duration.
source "$(dirname "$0")/gguf_safetensors_common.sh"
run_fuzzer gguf "formats/gguf/gguf_fuzz.cc formats/gguf/gguf.cc" formats/gguf/make_fixtures.py "$@"
