#include "verify/bound_diagnosis.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "verify/weight_diagnosis.h"

namespace tp {
namespace verify {
namespace {

bool IsWeight(const Tensor& t) { return IsFloating(t.dtype()) || t.dtype() == DType::kQ8_0; }

// The converted tensor `name` and its plan; false when there is no plan for it.
bool MakeCase(const std::string& name, const Tensor& t, const BindResult& bound, WeightCase& c) {
  auto p = bound.planned.find(name);
  if (p == bound.planned.end() || p->second.sources.empty()) return false;
  c.name = name;
  c.converted = t;
  c.sources = p->second.sources;
  c.transforms = p->second.transforms;
  // v of a weight-norm pair, or the tensor itself, names the layer kind.
  for (auto s = c.sources.rbegin(); s != c.sources.rend(); ++s) {
    auto op = bound.source_ops.find(*s);
    if (op != bound.source_ops.end()) {
      c.layout = LayoutOfOp(op->second);
      break;
    }
  }
  return true;
}

WeightFinding Finding(const std::string& tensor, const WeightDiagnosis& d) {
  return {tensor, WeightMistakeName(d.mistake), d.text};
}

}  // namespace

std::vector<WeightFinding> DiagnoseUnexercised(const Checkpoint& converted,
                                               const Checkpoint& source, BindResult& bound) {
  const TensorGetter get = [&source](const std::string& n) { return source.Find(n); };
  std::vector<WeightFinding> out;
  for (Unexercised& u : bound.unexercised) {
    const Tensor* t = converted.Find(u.converted);
    if (t == nullptr || !IsWeight(*t)) continue;
    WeightDiagnosis d;
    WeightCase c;
    if (MakeCase(u.converted, *t, bound, c)) d = DiagnoseWeight(c, get);
    for (const SuggestedParameter& p : u.suggested) {
      if (d.mistake != WeightMistake::kNone) break;
      d = DiagnoseAgainst(p.value, *t, LayoutOfOp(p.op));
      if (d.mistake != WeightMistake::kNone) {
        d.text = absl::StrCat("against graph parameter \"", p.name, "\" as exported: ", d.text);
      }
    }
    if (d.mistake == WeightMistake::kNone) continue;
    u.diagnosis = d.text;
    out.push_back(Finding(u.converted, d));
  }
  return out;
}

std::vector<WeightFinding> DiagnoseConverted(const Checkpoint& converted, const Checkpoint& source,
                                             const BindResult& bound,
                                             const std::vector<std::string>& names) {
  const TensorGetter get = [&source](const std::string& n) { return source.Find(n); };
  std::vector<WeightFinding> out;
  std::set<std::string> seen;
  for (const std::string& name : names) {
    if (!seen.insert(name).second) continue;
    const Tensor* t = converted.Find(name);
    WeightCase c;
    if (t == nullptr || !IsWeight(*t) || !MakeCase(name, *t, bound, c)) continue;
    const WeightDiagnosis d = DiagnoseWeight(c, get);
    if (d.mistake != WeightMistake::kNone) out.push_back(Finding(name, d));
  }
  return out;
}

}  // namespace verify
}  // namespace tp
