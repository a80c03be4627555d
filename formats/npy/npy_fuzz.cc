// libFuzzer entry point for the .npy parser: any input must give a status, never a crash, a
// sanitizer report or an allocation sized by an unchecked header field. Build and run:
// tools/fuzz/npy.sh (clang, outside Bazel).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/tensor.h"
#include "formats/npy/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A heap copy of exactly `size` bytes, so ASan sees any read past the input.
  auto owned = std::make_shared<std::string>(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<tp::Tensor> t = tp::ParseNpy(*owned, owned, "fuzz.npy");
  if (!t.ok()) return 0;
  // Materialize (misaligned, big-endian and Fortran paths) and touch every element.
  absl::StatusOr<tp::Tensor> c = t->Contiguous();
  if (!c.ok()) return 0;
  volatile uint8_t sink = 0;
  for (int64_t i = 0; i < c->nbytes(); ++i) sink ^= c->data()[i];
  absl::StatusOr<std::vector<double>> values = tp::ToDoubleVector(*t);
  if (values.ok() && !values->empty()) sink ^= static_cast<uint8_t>((*values)[0] != 0);
  (void)sink;
  t->ReleasePages();
  return 0;
}
