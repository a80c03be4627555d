// NumPy .npz archives: a ZIP whose entries are .npy files, as np.savez (stored) and
// np.savez_compressed (deflated) write them.
//
// Reading keeps the archive's entry order (for a dump, its layer order) and names each array by
// its entry name without ".npy". Arrays in stored entries are views into the mapped archive when
// their data is little-endian and C-ordered, even at the misaligned offsets np.savez leaves (such
// a view is not packed; Contiguous() copies it), and they can drop their pages once used
// (Tensor::ReleasePages), so a pass over a large dump stays near one tensor of memory. Deflated
// entries become streamed tensors (Tensor::Streamed): only their .npy header is inflated when the
// archive is read, the data is inflated a block at a time by whoever reads it (size and CRC-32
// checked at the end), so listing, statistics and diffs of a 2 GiB compressed layer hold one
// block. Entries that are not .npy files are skipped with a warning. Writing streams one entry per tensor through ZipWriter (ZIP64 when needed), stored by
// default with the array data aligned to 64 bytes, or deflated on request.
//
// Example:
//   ASSIGN_OR_RETURN(Checkpoint dump, ReadNpzFile("layers.npz"));
//   for (const NamedTensor& t : dump.tensors) {
//     ASSIGN_OR_RETURN(Tensor c, t.tensor.Contiguous());
//     ... t.name, c.data_as<float>() ...
//     t.tensor.ReleasePages();
//   }
//   RETURN_IF_ERROR(WriteNpzFile("copy.npz", dump.tensors, {.compress = true}));
#ifndef TENSORPORT_FORMATS_NPY_NPZ_H_
#define TENSORPORT_FORMATS_NPY_NPZ_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/checkpoint.h"
#include "formats/registry.h"

namespace tp {

struct NpzWriteOptions {
  bool compress = false;  // deflate entries (np.savez_compressed) instead of storing them
};

// True when `head` is a ZIP whose first entry's name ends in ".npy" (or an empty ZIP).
bool LooksLikeNpz(absl::string_view head);

struct NpzReadOptions {
  // Refuse deflated entries declaring more than this many bytes per compressed byte (unset: the
  // zip reader's default, deflate's own limit kDefaultMaxInflateRatio).
  std::optional<double> max_inflate_ratio;
};

// Metadata an .npz cannot hold lives in a sidecar, "OUT.npz.json":
//   {"record": "tensorport.npz-metadata", "metadata": {"key": "string value", ...}}
// The checkpoint reader and writer of the registry read and write it (string values).
inline constexpr char kNpzMetadataRecord[] = "tensorport.npz-metadata";
std::string NpzMetadataPath(const std::string& npz_path);
absl::Status WriteNpzMetadata(const std::string& npz_path, const Metadata& metadata);
// Empty when there is no sidecar (or the file of that name is not one).
absl::StatusOr<Metadata> ReadNpzMetadata(const std::string& npz_path);

absl::StatusOr<Checkpoint> ReadNpzFile(const std::string& path, const NpzReadOptions& options = {});

// Streaming: tensor i comes from `produce(i)` and must match specs[i]'s dtype and shape.
absl::Status WriteNpzStreaming(const std::string& path, const std::vector<TensorSpec>& specs,
                               const TensorProducer& produce, const NpzWriteOptions& options = {});
absl::Status WriteNpzFile(const std::string& path, const std::vector<NamedTensor>& tensors,
                          const NpzWriteOptions& options = {});

}  // namespace tp

#endif  // TENSORPORT_FORMATS_NPY_NPZ_H_
