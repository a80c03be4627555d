// Pass `cast` (and --out-type): float tensors to f32 / f16 / bf16 / q8_0, with keep-f32 rules
// (1-D tensors, biases and norms by default), q8_0 falling back to f16 where the fastest dim is
// not a multiple of 32; and the "cast" transform, undone by casting back (exact for widening,
// what the narrowing kept otherwise).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "convert/planner.h"
#include "core/status_macros.h"
#include "core/tensor_ops.h"

namespace tp {
namespace {
absl::Status PlanCastImpl(Planner& pl, const std::string& pattern, const std::string& dtype,
                          const std::vector<std::string>& keep_patterns, bool default_keep) {
  ASSIGN_OR_RETURN(DType to, DTypeFromName(dtype));
  std::unique_ptr<RE2> re = pattern.empty() ? nullptr : CompilePattern(pattern);
  std::vector<std::unique_ptr<RE2>> keep;
  for (const std::string& k : keep_patterns) keep.push_back(CompilePattern(k));
  for (Node& n : pl.nodes()) {
    if (re != nullptr && !MatchesName(*re, n.name)) continue;
    if (!IsFloating(n.dtype) && n.dtype != DType::kQ8_0) continue;
    bool kept = false;
    for (const auto& k : keep) kept = kept || MatchesName(*k, n.name);
    if (default_keep && (n.shape.size() <= 1 || DefaultKeep(n.name))) kept = true;
    if (kept) {
      if (to != DType::kF32 && n.dtype != DType::kF32) Planner::CastNode(n, DType::kF32);
      continue;
    }
    DType target = to;
    if (to == DType::kQ8_0) {
      const int64_t last = n.shape.empty() ? 1 : n.shape.back();
      if (last % kQ8_0BlockSize != 0) {
        target = DType::kF16;
        n.notes.push_back(absl::StrCat("q8_0 needs the last dim to be a multiple of 32, found ",
                                       last, ": written as f16"));
      }
    }
    Planner::CastNode(n, target);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status PlanCast(Planner& pl, const std::string& pattern, const std::string& dtype,
                      const std::vector<std::string>& keep_patterns, bool default_keep) {
  return PlanCastImpl(pl, pattern, dtype, keep_patterns, default_keep);
}

namespace {

const TransformRegistration kCastTransform({
    .op = "cast",
    .describe = [](const Transform& t) {
      return absl::StrCat(DTypeName(t.dtype_before), "->", DTypeName(t.dtype_after));
    },
    .apply = [](const std::vector<Tensor>& in, const Transform& t) -> absl::StatusOr<Tensor> {
      return CastLazily(in.at(0), t.dtype_after);
    },
    .invert = [](const Tensor& out, const Transform& t) -> absl::StatusOr<Tensor> {
      return Cast(out, t.dtype_before);
    },
});

const PassRegistration kCast({
    .op_case = schema::Pass::kCast,
    .id = "cast",
    .validate = [](const schema::Pass& p, absl::string_view source, int i) -> absl::Status {
      RETURN_IF_ERROR(CheckPattern(p.cast().pattern(), source, i, "cast.pattern", false));
      RETURN_IF_ERROR(CheckCastType(p.cast().dtype(), source, absl::StrCat("pass ", i, ": cast.dtype")));
      for (const std::string& k : p.cast().keep_f32()) {
        RETURN_IF_ERROR(CheckPattern(k, source, i, "cast.keep_f32", true));
      }
      return absl::OkStatus();
    },
    .plan = [](const schema::Pass& p, int index, Planner& pl) {
      (void)index;
      std::vector<std::string> keep(p.cast().keep_f32().begin(), p.cast().keep_f32().end());
      return PlanCast(pl, p.cast().pattern(), p.cast().dtype(), keep, !p.cast().no_default_keep());
    },
    .patterns = [](const schema::Pass& p) { return std::vector<std::string>{p.cast().pattern()}; },
});

}  // namespace
}  // namespace tp
