// GGUF (ggml's single-file model format), versions 2 and 3, little-endian.
//
// Layout:
//   u32 magic "GGUF" | u32 version | u64 tensor_count | u64 kv_count
//   kv_count x { string key | u32 value_type | value }
//   tensor_count x { string name | u32 n_dims | n_dims x u64 ne (fastest first) | u32 ggml_type
//                    | u64 offset (relative to the data section) }
//   zero padding to general.alignment (default 32) | data section
// where string = u64 length + bytes, and value types are 0 u8, 1 i8, 2 u16, 3 i16, 4 u32, 5 i32,
// 6 f32, 7 bool, 8 string, 9 array (u32 element type, u64 count, elements; arrays may nest),
// 10 u64, 11 i64, 12 f64. ggml's ne[] lists the fastest-varying dimension first, so the NumPy
// shape is ne reversed.
//
// Reader: every count and length is checked against the bytes left before anything is reserved;
// tensors (F32 0, F16 1, Q8_0 8, I8 24, I16 25, I32 26, I64 27, F64 28, BF16 30; any other ggml type
// is Unimplemented naming it) are views into the mapping, each range checked against the file.
// Metadata keeps GGUF's value types (MetaValue::Type), in file order. At most 8 dimensions and
// 2^22 metadata array elements in total (a tokenizer has a few hundred thousand).
//
// Writer (streaming, through OutputFile): header, metadata, tensor infos with offsets computed
// from the specs (each aligned), padding, then each tensor's data in turn with zero padding after
// every tensor including the last. Decisions:
//   * general.architecture must be present in the metadata as a string (InvalidArgument
//     otherwise: no reader can load a GGUF without it and a guessed value would be wrong);
//   * general.alignment comes from WriteOptions::alignment (a power of two); it is written only
//     when it is not 32, and a general.alignment in the metadata is replaced by it;
//   * tensor names longer than 63 bytes are refused with one message listing all of them;
//   * Q8_0 tensors need the last (fastest) dimension to be a multiple of 32;
//   * U8 and BOOL have no ggml type and are refused (cast them first);
//   * a 0-dim tensor is written with n_dims = 0 (ggml reads it as a single element).
//
// Example:
//   ASSIGN_OR_RETURN(Checkpoint ckpt, ReadGguf("model.gguf", {}));
//   const MetaValue* arch = FindMeta(ckpt.metadata, "general.architecture");
#ifndef TENSORPORT_FORMATS_GGUF_GGUF_H_
#define TENSORPORT_FORMATS_GGUF_GGUF_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/checkpoint.h"
#include "formats/registry.h"

namespace tp {

inline constexpr uint32_t kGgufMagic = 0x46554747;  // "GGUF" read as little-endian u32
inline constexpr uint64_t kGgufDefaultAlignment = 32;
inline constexpr uint64_t kGgufMaxNameBytes = 63;
inline constexpr uint32_t kGgufMaxDims = 8;
inline constexpr uint64_t kGgufMaxArrayElements = uint64_t{1} << 22;

// ggml type id for a DType, or Unimplemented (u8, bool).
absl::StatusOr<uint32_t> GgmlTypeFor(DType dtype);
// DType for a ggml type id; Unimplemented naming the type ("Q4_K (12)") when unsupported.
absl::StatusOr<DType> DTypeForGgml(uint32_t ggml_type);

// Parses already mapped bytes; tensors keep `keep_alive` alive. Used by ReadGguf and the fuzzer.
absl::StatusOr<Checkpoint> ParseGguf(absl::string_view bytes, std::shared_ptr<const void> keep_alive,
                                     const std::string& source);

absl::StatusOr<Checkpoint> ReadGguf(const std::string& path, const ReadOptions& options);

absl::Status WriteGguf(const std::string& path, const Metadata& metadata,
                       const std::vector<TensorSpec>& specs, const TensorProducer& produce,
                       const WriteOptions& options);

bool LooksLikeGguf(absl::string_view head, uint64_t file_size);

}  // namespace tp

#endif  // TENSORPORT_FORMATS_GGUF_GGUF_H_
