// libFuzzer entry point for the ZIP reader (and the .npz reader on top of it): any input must give
// a status, never a crash, a sanitizer report or an allocation sized by an unchecked field (a
// declared inflated size, an entry count). The reader maps files, so each input is written to a
// temporary file first. Build and run: tools/fuzz/zip.sh (clang, outside Bazel).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "formats/npy/npz.h"
#include "formats/zip/zip.h"

namespace {

const std::string& InputPath() {
  static const std::string* path = [] {
    const char* dir = std::getenv("TMPDIR");
    return new std::string(std::string(dir != nullptr ? dir : "/tmp") + "/zip_fuzz_input." +
                           std::to_string(::getpid()) + ".zip");
  }();
  return *path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = InputPath();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) std::abort();  // the harness itself is broken; say so loudly
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);

  absl::StatusOr<std::unique_ptr<tp::ZipReader>> zip = tp::ZipReader::Open(path);
  if (zip.ok()) {
    volatile uint8_t sink = 0;
    for (const tp::ZipEntry& e : (*zip)->entries()) {
      absl::StatusOr<tp::ZipData> d = (*zip)->Read(e, /*verify_crc=*/true);
      if (!d.ok()) continue;
      for (char c : d->bytes()) sink ^= static_cast<uint8_t>(c);
    }
    (void)sink;
  }
  // The same bytes as a .npz: entries parsed as .npy, views into the mapping.
  absl::StatusOr<tp::Checkpoint> npz = tp::ReadNpzFile(path);
  if (npz.ok()) {
    for (const tp::NamedTensor& t : npz->tensors) {
      absl::StatusOr<tp::Tensor> c = t.tensor.Contiguous();
      if (c.ok()) {
        volatile uint8_t sink = 0;
        for (int64_t i = 0; i < c->nbytes(); ++i) sink ^= c->data()[i];
        (void)sink;
      }
      t.tensor.ReleasePages();
    }
  }
  std::remove(path.c_str());
  return 0;
}
