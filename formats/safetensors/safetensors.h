// safetensors (Hugging Face): an 8-byte little-endian header length N, N bytes of JSON header,
// then the data section. The header maps each tensor name to {"dtype", "shape", "data_offsets":
// [begin, end]} (offsets relative to the data section) and may hold a "__metadata__" object of
// string values.
//
// The reader maps the file and returns tensors as views into the mapping (no copy). It validates
// as the reference implementation does: header length at most 100 MB and inside the file, the
// header a JSON object, known dtype strings, data offsets that tile the data section exactly
// (sorted by begin: no gap, no overlap, no overrun, last end == data size), numel * element size
// == end - begin, and a string-to-string __metadata__. Tensors come back in file (data offset)
// order; __metadata__ entries become string metadata in header order.
//
// The writer streams: it lays out offsets from the specs, writes the header (tensors in the given
// order, __metadata__ from the metadata with non-string values rendered to strings, padded with
// spaces so the data section starts at a multiple of 8), then asks for each tensor in turn. Output
// goes through OutputFile, so a failure leaves no partial file. Q8_0 is refused (no safetensors
// dtype).
//
// Example:
//   ASSIGN_OR_RETURN(Checkpoint ckpt, ReadSafetensors("model.safetensors", {}));
//   RETURN_IF_ERROR(WriteCheckpoint("copy.safetensors", "safetensors", ckpt));
#ifndef TENSORPORT_FORMATS_SAFETENSORS_SAFETENSORS_H_
#define TENSORPORT_FORMATS_SAFETENSORS_SAFETENSORS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/checkpoint.h"
#include "formats/registry.h"

namespace tp {

inline constexpr uint64_t kSafetensorsMaxHeaderBytes = 100'000'000;
// JSON values in a header (about 8 per tensor), bounding the parse's memory on hostile input.
inline constexpr uint64_t kSafetensorsMaxHeaderValues = 4'000'000;

// Reads from already mapped bytes; tensors keep `keep_alive` alive. `source` names the file in
// messages. Used by ReadSafetensors and by the fuzz target.
absl::StatusOr<Checkpoint> ParseSafetensors(absl::string_view bytes,
                                            std::shared_ptr<const void> keep_alive,
                                            const std::string& source);

absl::StatusOr<Checkpoint> ReadSafetensors(const std::string& path, const ReadOptions& options);

absl::Status WriteSafetensors(const std::string& path, const Metadata& metadata,
                              const std::vector<TensorSpec>& specs, const TensorProducer& produce,
                              const WriteOptions& options);

// True when `head` starts with a plausible header length followed by '{'.
bool LooksLikeSafetensors(absl::string_view head, uint64_t file_size);

}  // namespace tp

#endif  // TENSORPORT_FORMATS_SAFETENSORS_SAFETENSORS_H_
