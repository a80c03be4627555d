#!/usr/bin/env bash
# Builds formats/onnx/onnx_fuzz.cc (the ONNX initializer reader over serialized ModelProto bytes)
# with libFuzzer + ASan + UBSan (clang 14) and runs it ~20 s, seeded with the ONNX fixtures
# (formats/onnx/make_fixtures.py: torch.onnx.export and onnx.helper models, valid and invalid).
# FUZZ_SECONDS or the first argument overrides the duration.
export FUZZ_EXTRA_FLAGS="-DONNX_ML=1 -DONNX_NAMESPACE=onnx"
export FUZZ_EXTRA_LIBS="-lonnx -lonnx_proto -lprotobuf"
source "$(dirname "$0")/gguf_safetensors_common.sh"
run_fuzzer onnx "formats/onnx/onnx_fuzz.cc formats/onnx/onnx.cc" formats/onnx/make_fixtures.py "$@"
