// The conversion options whose values are names on the command line, in schemas and in
// provenance records: the output dtype (--out-type) and the conv weight layout (--conv-layout).
// Each is an enum, parsed and named in one place; Abseil flags of these types (or of
// std::optional of them, for "not given") use AbslParseFlag below, so a bad value is a usage
// error before any work starts.
//
// Example:
//   ABSL_FLAG(std::optional<tp::OutType>, out_type, std::nullopt, "f32, f16, bf16 or q8_0");
//   ASSIGN_OR_RETURN(OutType t, ParseOutType(schema.out_type(), "hifigan.textproto: out_type"));
//   std::cout << OutTypeName(t);  // "f16"
#ifndef TENSORPORT_CONVERT_OPTIONS_H_
#define TENSORPORT_CONVERT_OPTIONS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/dtype.h"

namespace tp {

enum class OutType { kF32, kF16, kBF16, kQ8_0 };
enum class ConvLayout { kTorch, kMlx };

absl::string_view OutTypeName(OutType t);        // "f32", "f16", "bf16", "q8_0"
absl::string_view ConvLayoutName(ConvLayout l);  // "torch", "mlx"
DType OutTypeDType(OutType t);

// `what` names the value in the error: "--out-type \"f8\": expected f32, f16, bf16 or q8_0".
absl::StatusOr<OutType> ParseOutType(absl::string_view text, absl::string_view what);
absl::StatusOr<ConvLayout> ParseConvLayout(absl::string_view text, absl::string_view what);

bool AbslParseFlag(absl::string_view text, OutType* out, std::string* error);
std::string AbslUnparseFlag(OutType t);
bool AbslParseFlag(absl::string_view text, ConvLayout* out, std::string* error);
std::string AbslUnparseFlag(ConvLayout l);

}  // namespace tp

#endif  // TENSORPORT_CONVERT_OPTIONS_H_
