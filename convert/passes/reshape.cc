// Pass `reshape` (same element count, one -1 inferred) and the "reshape" transform, undone by
// reshaping back.
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
absl::Status PlanReshape(const schema::Pass& p, int index, Planner& pl) {
  const schema::Reshape& r = p.reshape();
  auto re = CompilePattern(r.pattern());
  for (Node& n : pl.nodes()) {
    if (!MatchesName(*re, n.name)) continue;
    ASSIGN_OR_RETURN(int64_t count, NumElements(n.shape));
    Shape s(r.shape().begin(), r.shape().end());
    int infer = -1;
    int64_t known = 1;
    for (int i = 0; i < static_cast<int>(s.size()); ++i) {
      if (s[i] == -1 && infer < 0) {
        infer = i;
      } else if (s[i] < 0) {
        return absl::InvalidArgumentError(absl::StrCat(pl.Where(index), ": reshape of \"", n.name,
                                                       "\": bad target dim ", s[i]));
      } else {
        known *= s[i];
      }
    }
    if (infer >= 0 && known > 0 && count % known == 0) s[infer] = count / known;
    absl::StatusOr<int64_t> target = NumElements(s);
    if (!target.ok() || *target != count) {
      return absl::InvalidArgumentError(absl::StrCat(
          pl.Where(index), ": reshape of \"", n.name, "\": found shape ", ShapeToString(n.shape),
          " (", count, " elements), expected a shape with the same count, not [",
          absl::StrJoin(r.shape(), ", "), "]"));
    }
    Transform t;
    t.op = "reshape";
    t.shape_before = n.shape;
    t.shape_after = s;
    t.dtype_before = t.dtype_after = n.dtype;
    n.transforms.push_back(t);
    n.shape = s;
    n.mapped = true;
    Producer prev = n.make;
    n.make = ApplyingTransform(t, {prev});
  }
  return absl::OkStatus();
}

const TransformRegistration kReshapeTransform({
    .op = "reshape",
    .describe = [](const Transform& t) { return absl::StrCat("reshape", ShapeToString(t.shape_after)); },
    .apply = [](const std::vector<Tensor>& in, const Transform& t) -> absl::StatusOr<Tensor> {
      ASSIGN_OR_RETURN(Tensor c, in.at(0).Contiguous());
      return c.Reshaped(t.shape_after);
    },
    .invert = [](const Tensor& out, const Transform& t) -> absl::StatusOr<Tensor> {
      ASSIGN_OR_RETURN(Tensor c, out.Contiguous());
      return c.Reshaped(t.shape_before);
    },
});

const PassRegistration kReshape({
    .op_case = schema::Pass::kReshape,
    .id = "reshape",
    .validate = [](const schema::Pass& p, absl::string_view source, int i) {
      return CheckPattern(p.reshape().pattern(), source, i, "reshape.pattern", true);
    },
    .plan = &PlanReshape,
    .patterns = [](const schema::Pass& p) { return std::vector<std::string>{p.reshape().pattern()}; },
});

}  // namespace
}  // namespace tp
