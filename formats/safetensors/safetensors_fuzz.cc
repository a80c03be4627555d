// libFuzzer entry point for the safetensors parser: any input must give a status, never a crash,
// a sanitizer report or an allocation beyond the input's size. Build: tools/fuzz/safetensors.sh.
#include <cstddef>
#include <cstdint>

#include "formats/safetensors/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<tp::Checkpoint> ckpt = tp::ParseSafetensors(bytes, nullptr, "fuzz");
  if (ckpt.ok()) {
    // Touch every tensor byte so out-of-bounds views show up under ASan.
    volatile uint8_t sink = 0;
    for (const tp::NamedTensor& t : ckpt->tensors) {
      for (int64_t i = 0; i < t.tensor.nbytes(); ++i) sink ^= t.tensor.data()[i];
    }
    (void)sink;
  }
  return 0;
}
