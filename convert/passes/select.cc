// Passes `drop` (tensors left out on purpose: they count as mapped) and `keep` (tensors taken as
// they are). Neither records a transform.
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
absl::Status PlanDrop(const schema::Pass& p, int index, Planner& pl) {
  (void)index;
  const std::string& pattern = p.drop().pattern();
  auto re = CompilePattern(pattern);
  std::vector<Node> kept;
  for (Node& n : pl.nodes()) {
    if (MatchesName(*re, n.name)) {
      for (const std::string& s : n.sources) pl.dropped().push_back(s);
    } else {
      kept.push_back(std::move(n));
    }
  }
  pl.nodes() = std::move(kept);
  return absl::OkStatus();
}

absl::Status PlanKeep(const schema::Pass& p, int index, Planner& pl) {
  (void)index;
  auto re = CompilePattern(p.keep().pattern());
  for (Node& n : pl.nodes()) n.mapped = n.mapped || MatchesName(*re, n.name);
  return absl::OkStatus();
}

const PassRegistration kDrop({
    .op_case = schema::Pass::kDrop,
    .id = "drop",
    .validate = [](const schema::Pass& p, absl::string_view source, int i) {
      return CheckPattern(p.drop().pattern(), source, i, "drop.pattern", true);
    },
    .plan = &PlanDrop,
    .patterns = [](const schema::Pass& p) { return std::vector<std::string>{p.drop().pattern()}; },
});

const PassRegistration kKeep({
    .op_case = schema::Pass::kKeep,
    .id = "keep",
    .validate = [](const schema::Pass& p, absl::string_view source, int i) {
      return CheckPattern(p.keep().pattern(), source, i, "keep.pattern", true);
    },
    .plan = &PlanKeep,
    .patterns = [](const schema::Pass& p) { return std::vector<std::string>{p.keep().pattern()}; },
});

}  // namespace
}  // namespace tp
