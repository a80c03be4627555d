#include "convert/options.h"

#include "absl/strings/str_cat.h"

namespace tp {
namespace {

constexpr struct {
  OutType type;
  absl::string_view name;
  DType dtype;
} kOutTypes[] = {
    {OutType::kF32, "f32", DType::kF32},
    {OutType::kF16, "f16", DType::kF16},
    {OutType::kBF16, "bf16", DType::kBF16},
    {OutType::kQ8_0, "q8_0", DType::kQ8_0},
};

}  // namespace

absl::string_view OutTypeName(OutType t) {
  for (const auto& e : kOutTypes) {
    if (e.type == t) return e.name;
  }
  return "?";
}

DType OutTypeDType(OutType t) {
  for (const auto& e : kOutTypes) {
    if (e.type == t) return e.dtype;
  }
  return DType::kF32;
}

absl::string_view ConvLayoutName(ConvLayout l) { return l == ConvLayout::kMlx ? "mlx" : "torch"; }

absl::StatusOr<OutType> ParseOutType(absl::string_view text, absl::string_view what) {
  for (const auto& e : kOutTypes) {
    if (e.name == text) return e.type;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(what, " \"", text, "\": expected f32, f16, bf16 or q8_0"));
}

absl::StatusOr<ConvLayout> ParseConvLayout(absl::string_view text, absl::string_view what) {
  if (text == "torch") return ConvLayout::kTorch;
  if (text == "mlx") return ConvLayout::kMlx;
  return absl::InvalidArgumentError(absl::StrCat(what, " \"", text, "\": expected torch or mlx"));
}

bool AbslParseFlag(absl::string_view text, OutType* out, std::string* error) {
  absl::StatusOr<OutType> t = ParseOutType(text, "");
  if (!t.ok()) {
    *error = "expected f32, f16, bf16 or q8_0";  // Abseil names the flag and the value
    return false;
  }
  *out = *t;
  return true;
}

std::string AbslUnparseFlag(OutType t) { return std::string(OutTypeName(t)); }

bool AbslParseFlag(absl::string_view text, ConvLayout* out, std::string* error) {
  absl::StatusOr<ConvLayout> l = ParseConvLayout(text, "");
  if (!l.ok()) {
    *error = "expected torch or mlx";
    return false;
  }
  *out = *l;
  return true;
}

std::string AbslUnparseFlag(ConvLayout l) { return std::string(ConvLayoutName(l)); }

}  // namespace tp
