// Pass `split` (one tensor into named parts along an axis: a fused qkv into q, k, v) and the
// "split" transform (a part cannot be undone alone: verify joins the parts again).
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
absl::Status PlanSplit(const schema::Pass& p, int index, Planner& pl) {
  const schema::Split& s = p.split();
  auto re = CompilePattern(s.pattern());
  std::vector<Node> next;
  for (Node& n : pl.nodes()) {
    if (!MatchesName(*re, n.name)) {
      next.push_back(std::move(n));
      continue;
    }
    ASSIGN_OR_RETURN(int axis, NormalizeAxis(s.axis(), n.shape.size(),
                                             absl::StrCat(pl.Where(index), ": split \"", n.name, "\"")));
    int64_t fixed = 0;
    int free_parts = 0;
    for (const schema::SplitPart& p : s.part()) {
      if (p.size() > 0) fixed += p.size(); else ++free_parts;
    }
    const int64_t dim = n.shape[axis];
    int64_t share = 0;
    if (free_parts > 0 && dim >= fixed) share = (dim - fixed) / free_parts;
    if (fixed + share * free_parts != dim || (free_parts > 0 && share == 0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          pl.Where(index), ": split \"", n.name, "\": found dim ", axis, " = ", dim,
          ", expected it to divide into the ", s.part_size(), " declared parts"));
    }
    std::vector<int64_t> sizes;
    std::vector<std::string> names;
    for (const schema::SplitPart& p : s.part()) {
      sizes.push_back(p.size() > 0 ? p.size() : share);
      names.push_back(RewriteName(*re, n.name, p.name()));
    }
    ASSIGN_OR_RETURN(std::vector<Node> parts, Planner::SplitNode(n, axis, sizes, names));
    for (Node& p : parts) next.push_back(std::move(p));
  }
  pl.nodes() = std::move(next);
  return absl::OkStatus();
}

const TransformRegistration kSplitTransform({
    .op = "split",
    .describe = [](const Transform& t) {
      return absl::StrCat("split(axis=", t.axis, ",", t.offset, ":", t.offset + t.size, ")");
    },
    .apply = [](const std::vector<Tensor>& in, const Transform& t) -> absl::StatusOr<Tensor> {
      return SliceTensor(in.at(0), t.axis, t.offset, t.size);
    },
    .invert = nullptr,
});

const PassRegistration kSplit({
    .op_case = schema::Pass::kSplit,
    .id = "split",
    .validate = [](const schema::Pass& p, absl::string_view source, int i) -> absl::Status {
      RETURN_IF_ERROR(CheckPattern(p.split().pattern(), source, i, "split.pattern", true));
      if (p.split().part_size() < 1) {
        return absl::InvalidArgumentError(
            absl::StrCat(source, ": pass ", i, ": split has no part, expected at least one"));
      }
      return absl::OkStatus();
    },
    .plan = &PlanSplit,
    .patterns = [](const schema::Pass& p) { return std::vector<std::string>{p.split().pattern()}; },
});

}  // namespace
}  // namespace tp
