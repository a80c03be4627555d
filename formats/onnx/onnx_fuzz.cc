// libFuzzer entry point for the ONNX model reader: any bytes must give a status, never a crash, a
// sanitizer report or an allocation beyond what the input can hold. External data is refused
// (empty model folder), so the fuzzer never opens files. Build and run: tools/fuzz/onnx.sh.
#include <cstddef>
#include <cstdint>

#include "formats/onnx/onnx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<tp::Checkpoint> ckpt = tp::ParseOnnxModel(bytes, "", "fuzz");
  if (ckpt.ok()) {
    // Materialize and touch every tensor byte so out-of-bounds views show up under ASan.
    volatile uint8_t sink = 0;
    for (const tp::NamedTensor& t : ckpt->tensors) {
      absl::StatusOr<tp::Tensor> c = t.tensor.Contiguous();
      if (!c.ok()) continue;
      for (int64_t i = 0; i < c->nbytes(); ++i) sink ^= c->data()[i];
    }
    (void)sink;
  }
  return 0;
}
