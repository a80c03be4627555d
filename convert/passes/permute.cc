// Pass `permute` (out.shape[i] = in.shape[perm[i]], rank checked) and the "permute" transform,
// undone by the inverse permutation. --conv-layout mlx plans through it too.
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
absl::Status PlanPermuteImpl(Planner& pl, const std::string& pattern, const std::vector<int>& perm,
                             int rank, int index, bool maps) {
  auto re = CompilePattern(pattern);
  for (Node& n : pl.nodes()) {
    if (!MatchesName(*re, n.name)) continue;
    const int want = rank != 0 ? rank : static_cast<int>(perm.size());
    if (static_cast<int>(n.shape.size()) != want) {
      return absl::InvalidArgumentError(absl::StrCat(
          pl.Where(index), ": permute [", absl::StrJoin(perm, ","), "] of \"", n.name,
          "\": found rank ", n.shape.size(), " (shape ", ShapeToString(n.shape),
          "), expected rank ", want));
    }
    if (n.dtype == DType::kQ8_0) {
      return absl::UnimplementedError(
          absl::StrCat(pl.Where(index), ": permute of \"", n.name, "\": q8_0 tensors cannot be permuted"));
    }
    Transform t;
    t.op = "permute";
    t.perm = perm;
    t.shape_before = n.shape;
    Shape s;
    for (int p : perm) s.push_back(n.shape[p]);
    t.shape_after = s;
    t.dtype_before = t.dtype_after = n.dtype;
    t.from_name = t.to_name = n.name;
    n.transforms.push_back(t);
    n.shape = s;
    if (maps) n.mapped = true;
    Producer prev = n.make;
    n.make = ApplyingTransform(t, {prev});
  }
  return absl::OkStatus();
}

absl::Status ValidatePermute(const schema::Pass& p, absl::string_view source, int i) {
  RETURN_IF_ERROR(CheckPattern(p.permute().pattern(), source, i, "permute.pattern", true));
  const int n = p.permute().perm_size();
  std::vector<bool> seen(n, false);
  for (int v : p.permute().perm()) {
    if (v < 0 || v >= n || seen[v]) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ": pass ", i, ": permute.perm [", absl::StrJoin(p.permute().perm(), ", "),
          "] is not a permutation of 0..", n - 1));
    }
    seen[v] = true;
  }
  if (p.permute().rank() != 0 && p.permute().rank() != n) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": pass ", i, ": permute.rank ",
                                                   p.permute().rank(), " but perm has ", n,
                                                   " axes"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status PlanPermute(Planner& pl, const std::string& pattern, const std::vector<int>& perm,
                         int rank, int index, bool maps) {
  return PlanPermuteImpl(pl, pattern, perm, rank, index, maps);
}

namespace {

const TransformRegistration kPermuteTransform({
    .op = "permute",
    .describe = [](const Transform& t) {
      return absl::StrCat("permute[", absl::StrJoin(t.perm, ","), "]");
    },
    .apply = [](const std::vector<Tensor>& in, const Transform& t) -> absl::StatusOr<Tensor> {
      return PermuteTensor(in.at(0), t.perm);
    },
    .invert = [](const Tensor& out, const Transform& t) -> absl::StatusOr<Tensor> {
      return PermuteTensor(out, InversePermutation(t.perm));
    },
});

const PassRegistration kPermute({
    .op_case = schema::Pass::kPermute,
    .id = "permute",
    .validate = &ValidatePermute,
    .plan = [](const schema::Pass& p, int index, Planner& pl) {
      return PlanPermute(pl, p.permute().pattern(),
                         std::vector<int>(p.permute().perm().begin(), p.permute().perm().end()),
                         p.permute().rank(), index, true);
    },
    .patterns = [](const schema::Pass& p) { return std::vector<std::string>{p.permute().pattern()}; },
});

}  // namespace
}  // namespace tp
