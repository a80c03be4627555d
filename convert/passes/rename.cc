// Passes `rename` (RE2 pattern -> replacement with \\1..\\9) and `strip_prefix`, and the
// "rename" transform they record (undone by doing nothing: names do not change values).
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
absl::Status PlanRename(const schema::Pass& p, int index, Planner& pl) {
  const schema::Rename& r = p.rename();
  (void)index;
  auto re = CompilePattern(r.pattern());
  for (Node& n : pl.nodes()) {
    if (!MatchesName(*re, n.name)) continue;
    Planner::Rename(n, RewriteName(*re, n.name, r.replacement()));
    n.mapped = true;
  }
  return absl::OkStatus();
}

absl::Status PlanStripPrefix(const schema::Pass& p, int index, Planner& pl) {
  const schema::StripPrefix& s = p.strip_prefix();
  (void)index;
  for (Node& n : pl.nodes()) {
    if (!absl::StartsWith(n.name, s.prefix())) continue;
    Planner::Rename(n, n.name.substr(s.prefix().size()));
    n.mapped = true;
  }
  return absl::OkStatus();
}

const TransformRegistration kRenameTransform({
    .op = "rename",
    .describe = [](const Transform&) { return std::string("rename"); },
    .apply = [](const std::vector<Tensor>& in, const Transform&) -> absl::StatusOr<Tensor> {
      return in.at(0);
    },
    .invert = [](const Tensor& out, const Transform&) -> absl::StatusOr<Tensor> { return out; },
});

const PassRegistration kRename({
    .op_case = schema::Pass::kRename,
    .id = "rename",
    .validate = [](const schema::Pass& p, absl::string_view source, int i) {
      return CheckPattern(p.rename().pattern(), source, i, "rename.pattern", true);
    },
    .plan = &PlanRename,
    .patterns = [](const schema::Pass& p) { return std::vector<std::string>{p.rename().pattern()}; },
});

const PassRegistration kStripPrefix({
    .op_case = schema::Pass::kStripPrefix,
    .id = "strip_prefix",
    .validate = [](const schema::Pass& p, absl::string_view source, int i) -> absl::Status {
      if (p.strip_prefix().prefix().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(source, ": pass ", i, ": strip_prefix.prefix is empty"));
      }
      return absl::OkStatus();
    },
    .plan = &PlanStripPrefix,
    .patterns = [](const schema::Pass& p) {
      return std::vector<std::string>{p.strip_prefix().prefix()};
    },
});

}  // namespace
}  // namespace tp
