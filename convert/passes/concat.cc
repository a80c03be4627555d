// Pass `concat` (tensors whose `output` rewrite agrees joined along an axis) and the "concat"
// transform (not undone one tensor at a time).
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
absl::Status PlanConcat(const schema::Pass& p, int index, Planner& pl) {
  const schema::Concat& c = p.concat();
  auto re = CompilePattern(c.pattern());
  std::map<std::string, std::vector<int>> groups;
  std::vector<std::string> order;
  for (int i = 0; i < static_cast<int>(pl.nodes().size()); ++i) {
    if (!MatchesName(*re, pl.nodes()[i].name)) continue;
    std::string out = RewriteName(*re, pl.nodes()[i].name, c.output());
    if (!groups.count(out)) order.push_back(out);
    groups[out].push_back(i);
  }
  std::vector<bool> remove(pl.nodes().size(), false);
  std::map<int, Node> replace;
  for (const std::string& out_name : order) {
    const std::vector<int>& members = groups[out_name];
    const Node& first = pl.nodes()[members[0]];
    ASSIGN_OR_RETURN(int axis, NormalizeAxis(c.axis(), first.shape.size(),
                                             absl::StrCat(pl.Where(index), ": concat \"", out_name, "\"")));
    Node out;
    out.name = out_name;
    out.dtype = first.dtype;
    out.shape = first.shape;
    out.shape[axis] = 0;
    out.source_dtype = first.source_dtype;
    out.source_shape = first.source_shape;
    Transform t;
    t.op = "concat";
    t.axis = axis;
    t.to_name = out_name;
    std::vector<Producer> makes;
    for (int m : members) {
      const Node& n = pl.nodes()[m];
      Shape a = n.shape, b = first.shape;
      if (a.size() == b.size()) {
        a[axis] = 0;
        b[axis] = 0;
      }
      if (a != b || n.dtype != first.dtype) {
        return absl::InvalidArgumentError(absl::StrCat(
            pl.Where(index), ": concat \"", out_name, "\": \"", n.name, "\" has ",
            DTypeName(n.dtype), ShapeToString(n.shape), ", expected ", DTypeName(first.dtype),
            " and the shape of \"", first.name, "\" ", ShapeToString(first.shape),
            " except along axis ", axis));
      }
      out.shape[axis] += n.shape[axis];
      out.sources.insert(out.sources.end(), n.sources.begin(), n.sources.end());
      out.source_tensors.insert(out.source_tensors.end(), n.source_tensors.begin(),
                                n.source_tensors.end());
      out.source_bytes += n.source_bytes;
      out.transforms.insert(out.transforms.end(), n.transforms.begin(), n.transforms.end());
      t.sizes.push_back(n.shape[axis]);
      makes.push_back(n.make);
      remove[m] = true;
    }
    t.shape_after = out.shape;
    t.dtype_before = t.dtype_after = out.dtype;
    out.transforms.push_back(t);
    out.mapped = true;
    out.make = ApplyingTransform(t, makes);
    remove[members[0]] = false;
    replace[members[0]] = std::move(out);
  }
  pl.RebuildNodes(remove, &replace);
  return absl::OkStatus();
}

const TransformRegistration kConcatTransform({
    .op = "concat",
    .describe = [](const Transform& t) { return absl::StrCat("concat(axis=", t.axis, ")"); },
    .apply = [](const std::vector<Tensor>& in, const Transform& t) -> absl::StatusOr<Tensor> {
      return ConcatTensors(in, t.axis);
    },
    .invert = nullptr,
    .arity = 0,
});

const PassRegistration kConcat({
    .op_case = schema::Pass::kConcat,
    .id = "concat",
    .validate = [](const schema::Pass& p, absl::string_view source, int i) -> absl::Status {
      RETURN_IF_ERROR(CheckPattern(p.concat().pattern(), source, i, "concat.pattern", true));
      if (p.concat().output().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(source, ": pass ", i, ": concat.output is empty"));
      }
      return absl::OkStatus();
    },
    .plan = &PlanConcat,
    .patterns = [](const schema::Pass& p) { return std::vector<std::string>{p.concat().pattern()}; },
});

}  // namespace
}  // namespace tp
