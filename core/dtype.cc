#include "core/dtype.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tp {
namespace {

struct DTypeInfo {
  DType type;
  absl::string_view name;
  int size;
};

constexpr DTypeInfo kInfos[kNumDTypes] = {
    {DType::kF32, "f32", 4},  {DType::kF16, "f16", 2},  {DType::kBF16, "bf16", 2},
    {DType::kF64, "f64", 8},  {DType::kI8, "i8", 1},    {DType::kI16, "i16", 2},
    {DType::kI32, "i32", 4},  {DType::kI64, "i64", 8},  {DType::kU8, "u8", 1},
    {DType::kBool, "bool", 1}, {DType::kQ8_0, "q8_0", 0},   {DType::kU16, "u16", 2},
    {DType::kU32, "u32", 4},  {DType::kU64, "u64", 8},
};

}  // namespace

absl::string_view DTypeName(DType t) { return kInfos[static_cast<int>(t)].name; }

absl::StatusOr<DType> DTypeFromName(absl::string_view name) {
  std::string known;
  for (const DTypeInfo& info : kInfos) {
    if (info.name == name) return info.type;
    absl::StrAppend(&known, known.empty() ? "" : ", ", info.name);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("\"", name, "\" is not a known dtype; known: ", known));
}

int ElementSize(DType t) { return kInfos[static_cast<int>(t)].size; }

bool IsFloating(DType t) {
  return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16 || t == DType::kF64;
}

bool IsQuantized(DType t) { return t == DType::kQ8_0; }

absl::StatusOr<int64_t> StorageBytes(DType t, int64_t num_elements) {
  if (num_elements < 0) {
    return absl::InvalidArgumentError(absl::StrCat("negative element count ", num_elements));
  }
  if (t == DType::kQ8_0) {
    if (num_elements % kQ8_0BlockSize != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "q8_0 needs a multiple of ", kQ8_0BlockSize, " elements, got ", num_elements));
    }
    return num_elements / kQ8_0BlockSize * kQ8_0BlockBytes;
  }
  const int64_t size = ElementSize(t);
  if (num_elements > std::numeric_limits<int64_t>::max() / size) {
    return absl::OutOfRangeError(
        absl::StrCat(num_elements, " elements of ", DTypeName(t), " overflow a 64-bit size"));
  }
  return num_elements * size;
}

}  // namespace tp
