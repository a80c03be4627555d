// The format registry: every checkpoint/dump format registers an id, a magic-byte detector, a
// reader and (where the project emits it) a streaming writer. Linking a format's library is what
// registers it (its BUILD target is alwayslink), so tools depend on //formats:all_formats.
//
// Example (at the end of a format's .cc):
//   const FormatRegistration kNpyRegistration({
//       .id = "npy", .extensions = {".npy"}, .detect = &LooksLikeNpy,
//       .read = &ReadNpy, .write = &WriteNpy});
//
// Example (a tool):
//   ASSIGN_OR_RETURN(const FormatHandler* f, DetectFormat(path));
//   ASSIGN_OR_RETURN(Checkpoint ckpt, f->read(path, ReadOptions{}));
#ifndef TENSORPORT_FORMATS_REGISTRY_H_
#define TENSORPORT_FORMATS_REGISTRY_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/checkpoint.h"

namespace tp {

struct ReadOptions {
  // Dotted key of a sub-tree to keep (PyTorch containers: "model", "state_dict", "decoder").
  std::string select;
  // Compressed archives (.npz): refuse entries that declare more than this many inflated bytes
  // per compressed byte (unset: deflate's own bound, 1032:1; see formats/zip/zip.h).
  std::optional<double> max_inflate_ratio;
};

// What a streaming writer is told up front (names, types and shapes fix the file layout) before
// it asks for each tensor's data in order.
struct TensorSpec {
  std::string name;
  DType dtype;
  Shape shape;
};

using TensorProducer = std::function<absl::StatusOr<Tensor>(size_t index)>;

struct WriteOptions {
  // GGUF: general.alignment (a power of two).
  uint64_t alignment = 32;
  // npz: deflate entries (what np.savez_compressed writes) instead of storing them.
  bool compress = false;
};

struct FormatHandler {
  std::string id;
  std::string description;
  std::vector<std::string> extensions;  // lowercase, with the dot
  // Sees the first bytes of the file (up to 4096) and the whole file size.
  std::function<bool(absl::string_view head, uint64_t file_size)> detect;
  std::function<absl::StatusOr<Checkpoint>(const std::string& path, const ReadOptions&)> read;
  // Writes to `path` atomically; `produce(i)` returns tensor i with specs[i]'s dtype and shape.
  std::function<absl::Status(const std::string& path, const Metadata& metadata,
                             const std::vector<TensorSpec>& specs, const TensorProducer& produce,
                             const WriteOptions& options)>
      write;
};

class FormatRegistration {
 public:
  explicit FormatRegistration(FormatHandler handler);
};

// Known handlers sorted by id.
std::vector<const FormatHandler*> AllFormats();
// NotFound listing the known ids.
absl::StatusOr<const FormatHandler*> FindFormat(absl::string_view id);
// By magic bytes; InvalidArgument naming what the first bytes were when nothing matches.
absl::StatusOr<const FormatHandler*> DetectFormat(const std::string& path);
// By the output path's extension (".gguf", ".safetensors", ".npz", ...).
absl::StatusOr<const FormatHandler*> FormatForExtension(const std::string& path);

// Reads a file with the detected (or named, when `format_id` is non-empty) format.
absl::StatusOr<Checkpoint> ReadCheckpoint(const std::string& path, absl::string_view format_id = "",
                                          const ReadOptions& options = {});
// Writes a whole in-memory checkpoint with the named format.
absl::Status WriteCheckpoint(const std::string& path, absl::string_view format_id,
                             const Checkpoint& checkpoint, const WriteOptions& options = {});

}  // namespace tp

#endif  // TENSORPORT_FORMATS_REGISTRY_H_
