// Element types of the tensor core.
//
// Plain element types have a fixed size per element. Q8_0 is a block-quantized storage type in the
// GGUF layout: blocks of 32 values, each an f16 scale followed by 32 int8 quants (34 bytes), so
// sizes are computed per block rather than per element.
//
// Example:
//   ASSIGN_OR_RETURN(DType t, DTypeFromName("bf16"));
//   int64_t bytes = *StorageBytes(t, /*num_elements=*/64);   // 128
#ifndef TENSORPORT_CORE_DTYPE_H_
#define TENSORPORT_CORE_DTYPE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tp {

enum class DType : uint8_t {
  kF32,
  kF16,
  kBF16,
  kF64,
  kI8,
  kI16,
  kI32,
  kI64,
  kU8,
  kBool,
  kQ8_0,
  // Appended (values above are stable): ONNX's unsigned types, for the runtime's kernels.
  kU16,
  kU32,
  kU64,
};

inline constexpr int kNumDTypes = 14;
inline constexpr int64_t kQ8_0BlockSize = 32;
inline constexpr int64_t kQ8_0BlockBytes = 34;  // f16 scale + 32 x int8

// Short lowercase name: "f32", "f16", "bf16", "f64", "i8", "i16", "i32", "i64", "u8", "bool", "q8_0",
// "u16", "u32", "u64".
absl::string_view DTypeName(DType t);
// Inverse of DTypeName; an unknown name is InvalidArgument listing the known ones.
absl::StatusOr<DType> DTypeFromName(absl::string_view name);

// Bytes per element for plain types; 0 for Q8_0 (use StorageBytes).
int ElementSize(DType t);
bool IsFloating(DType t);  // f32, f16, bf16, f64 (not q8_0)
bool IsQuantized(DType t);

// Bytes needed to store `num_elements` values of type `t`. Q8_0 requires a multiple of 32 elements.
// Fails with OutOfRange on overflow, so callers can trust the result before allocating.
absl::StatusOr<int64_t> StorageBytes(DType t, int64_t num_elements);

}  // namespace tp

#endif  // TENSORPORT_CORE_DTYPE_H_
