#include "verify/recover.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "convert/provenance.h"
#include "convert/schema_engine.h"
#include "convert/schema_loader.h"
#include "core/status_macros.h"
#include "core/tensor_ops.h"
#include "re2/re2.h"

namespace tp {
namespace verify {
namespace {

// Plans under the schema with the option combinations a conversion may have used and keeps the
// one whose outputs cover the most converted tensors (names and shapes).
absl::StatusOr<ConversionPlan> BestPlan(const Checkpoint& source, const schema::Conversion& s,
                                        const Checkpoint& converted, const std::string& schema) {
  std::optional<ConversionPlan> best;
  int best_score = -1;
  absl::Status last = absl::OkStatus();
  for (bool fuse : {false, true}) {
    for (std::optional<ConvLayout> layout :
         {std::optional<ConvLayout>(), std::optional(ConvLayout::kMlx)}) {
      EngineOptions eo;
      eo.target_format = "safetensors";
      eo.fuse_weight_norm = fuse;
      eo.conv_layout = layout;
      eo.allow_unmapped = true;
      eo.schema_source = schema;
      absl::StatusOr<ConversionPlan> plan = Plan(source, &s, eo);
      if (!plan.ok()) {
        last = plan.status();
        continue;
      }
      int score = 0;
      for (const PlannedOutput& o : plan->outputs()) {
        const Tensor* c = converted.Find(o.name);
        if (c != nullptr && c->shape() == o.shape) ++score;
      }
      if (score > best_score) {
        best_score = score;
        best = std::move(*plan);
      }
    }
  }
  if (!best) {
    return absl::InvalidArgumentError(
        absl::StrCat("--schema ", schema, ": no conversion plan of the source: ", last.message()));
  }
  return std::move(*best);
}

// Undoes transforms from position `end` - 1 back to `begin` while each can be undone one tensor
// at a time (the registered kind's invert); stops at another and returns its index (or begin - 1
// when every step was undone).
absl::StatusOr<int> InvertChain(const std::vector<Transform>& transforms, int begin, int end,
                                Tensor& t) {
  for (int k = end - 1; k >= begin; --k) {
    ASSIGN_OR_RETURN(std::optional<Tensor> back, InvertTransform(transforms[k], t));
    if (!back) return k;
    t = *std::move(back);
  }
  return begin - 1;
}

// The multi-tensor steps recovery knows how to take apart.
enum class StepKind { kFuseWeightNorm, kAddBias, kSplit, kOther };
StepKind Kind(const std::string& op) {
  if (op == "fuse_weight_norm") return StepKind::kFuseWeightNorm;
  if (op == "add_bias") return StepKind::kAddBias;
  if (op == "split") return StepKind::kSplit;
  return StepKind::kOther;
}

std::string Steps(const PlannedOutput& o) {
  std::vector<std::string> steps;
  for (const Transform& tr : o.transforms) steps.push_back(tr.Describe());
  return steps.empty() ? "as is" : absl::StrJoin(steps, ", ");
}

// Splits waiting for their sibling parts: source name -> (offset -> part), and the rest.
struct PendingSplit {
  int axis = 0;
  int64_t dim = 0;
  std::map<int64_t, Tensor> parts;
  std::vector<std::string> converted;
  const PlannedOutput* any = nullptr;
  int split_index = 0;
};

absl::Status RecoverFromPlan(const ConversionPlan& plan, const Checkpoint& converted,
                             const std::string& label, RecoveredSet& out) {
  std::map<std::string, PendingSplit> splits;
  for (const PlannedOutput& o : plan.outputs()) {
    const Tensor* c = converted.Find(o.name);
    if (c == nullptr) continue;
    out.planned[o.name] = o;
    if (c->shape() != o.shape) {
      out.unrecoverable[o.name] = absl::StrCat("shape ", ShapeToString(c->shape()), ", the plan (",
                                               label, ") gives ", ShapeToString(o.shape));
      continue;
    }
    Tensor t = *c;
    const std::string how = absl::StrCat(label, ": ", Steps(o));
    const int n = static_cast<int>(o.transforms.size());
    ASSIGN_OR_RETURN(int k, InvertChain(o.transforms, 0, n, t));
    if (k < 0) {
      if (o.sources.size() == 1) out.by_source[o.sources[0]] = {t, {o.name}, how};
      continue;
    }
    const Transform& tr = o.transforms[k];
    switch (Kind(tr.op)) {
      case StepKind::kFuseWeightNorm: {
        ASSIGN_OR_RETURN(int k2, InvertChain(o.transforms, 0, k, t));
        if (k2 >= 0 || o.sources.size() != 2) break;
        const std::string& g = o.sources[0];  // "X.weight_g" or "X.parametrizations...original0"
        const std::string base =
            g.substr(0, g.rfind(".weight_g") != std::string::npos ? g.rfind(".weight_g")
                                                                  : g.rfind(".parametrizations"));
        out.fused_weight_norm[base + ".weight"] = {t, {o.name}, how};
        continue;
      }
      case StepKind::kAddBias: {
        ASSIGN_OR_RETURN(int k2, InvertChain(o.transforms, 0, k, t));
        if (k2 >= 0 || o.sources.size() != 2) break;
        // bias_ih + bias_hh: the sum in bias_ih's place, zeros in bias_hh's compute the same.
        out.by_source[o.sources[0]] = {t, {o.name}, absl::StrCat(how, " (the sum)")};
        out.by_source[o.sources[1]] = {Tensor::Zeros(t.dtype(), t.shape()),
                                       {o.name},
                                       absl::StrCat(how, " (zero: the sum is in bias_ih)")};
        continue;
      }
      case StepKind::kSplit: {
        if (o.sources.size() != 1) break;
        PendingSplit& p = splits[o.sources[0]];
        p.axis = tr.axis;
        p.dim = tr.shape_before[tr.axis];
        p.parts[tr.offset] = t;
        p.converted.push_back(o.name);
        p.any = &o;
        p.split_index = k;
        continue;
      }
      default:
        break;
    }
    out.unrecoverable[o.name] =
        absl::StrCat("made by ", tr.Describe(), " from ", absl::StrJoin(o.sources, ", "),
                     ", which cannot be undone one tensor at a time");
  }
  for (auto& [source, p] : splits) {
    int64_t covered = 0;
    std::vector<Tensor> ordered;
    for (auto& [offset, part] : p.parts) {
      if (offset != covered) break;
      covered += part.shape()[p.axis];
      ordered.push_back(part);
    }
    if (covered != p.dim) {
      for (const std::string& name : p.converted) {
        out.unrecoverable[name] =
            absl::StrCat("a part of \"", source, "\" whose other parts are not all converted");
      }
      continue;
    }
    ASSIGN_OR_RETURN(Tensor joined, ConcatTensors(ordered, p.axis));
    ASSIGN_OR_RETURN(int k, InvertChain(p.any->transforms, 0, p.split_index, joined));
    if (k >= 0) {
      for (const std::string& name : p.converted) {
        out.unrecoverable[name] =
            absl::StrCat("a part of \"", source, "\" made by ", p.any->transforms[k].Describe());
      }
      continue;
    }
    out.by_source[source] = {joined, p.converted,
                             absl::StrCat(label, ": parts ", absl::StrJoin(p.converted, " + "),
                                          " joined along axis ", p.axis)};
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RecoveredSet> RecoverSourceLayout(const Checkpoint& converted,
                                                 const Checkpoint& source,
                                                 const std::string& schema) {
  RecoveredSet out;
  // 1. The provenance record convert wrote into the file.
  ASSIGN_OR_RETURN(std::optional<Provenance> record, ReadProvenance(converted));
  if (record.has_value() && schema.empty()) {
    ASSIGN_OR_RETURN(ConversionPlan plan, ReplanFromProvenance(*record, source));
    out.method = absl::StrCat("provenance record (", record->Summary(), ")");
    RETURN_IF_ERROR(RecoverFromPlan(plan, converted, "recorded", out));
    ASSIGN_OR_RETURN(std::vector<std::string> unused, record->NotInGraph(plan));
    out.not_in_graph.insert(unused.begin(), unused.end());
    return out;
  }
  // 2. A schema given by the user.
  if (!schema.empty()) {
    ASSIGN_OR_RETURN(schema::Conversion s, LoadSchemaOrPreset(schema));
    ASSIGN_OR_RETURN(ConversionPlan plan, BestPlan(source, s, converted, schema));
    out.method = absl::StrCat("schema ", schema, " (options inferred from the converted file)");
    RETURN_IF_ERROR(RecoverFromPlan(plan, converted, "schema", out));
    for (const std::string& p : s.not_in_graph()) {
      RE2 re(absl::StrCat("^(?:", p, ")$"), RE2::Quiet);
      for (const NamedTensor& t : converted.tensors) {
        if (RE2::FullMatch(t.name, re)) out.not_in_graph.insert(t.name);
      }
    }
    return out;
  }
  // 3. Names.
  out.method = "names (no provenance record, no --schema)";
  for (const NamedTensor& t : converted.tensors) {
    const Tensor* s = source.Find(t.name);
    if (s != nullptr && s->num_elements() == t.tensor.num_elements()) {
      ASSIGN_OR_RETURN(Tensor c, t.tensor.Contiguous());
      ASSIGN_OR_RETURN(Tensor shaped, c.Reshaped(s->shape()));
      out.by_source[t.name] = {shaped, {t.name}, "name"};
      PlannedOutput& p = out.planned[t.name];
      p.name = t.name;
      p.sources = {t.name};
    }
  }
  // A conversion that fused weight norm names the product "X.weight" (v's shape).
  for (const NamedTensor& t : source.tensors) {
    for (const char* g : {".weight_g", ".parametrizations.weight.original0"}) {
      const std::string gs(g);
      if (t.name.size() <= gs.size() || t.name.compare(t.name.size() - gs.size(), gs.size(), gs)) {
        continue;
      }
      const std::string base = t.name.substr(0, t.name.size() - gs.size()) + ".weight";
      const std::string v =
          t.name.substr(0, t.name.size() - gs.size()) +
          (gs == ".weight_g" ? ".weight_v" : ".parametrizations.weight.original1");
      const Tensor* c = converted.Find(base);
      const Tensor* vs = source.Find(v);
      if (c != nullptr && vs != nullptr && c->shape() == vs->shape() && !source.Find(base)) {
        out.fused_weight_norm[base] = {*c, {base}, "name (fused weight norm)"};
        // The axis g keeps (every dim of g is 1 but that one; all 1: dim 0).
        Transform fuse;
        fuse.op = "fuse_weight_norm";
        fuse.axis = t.tensor.rank() == vs->rank() ? 0 : -1;
        for (int a = 0; a < t.tensor.rank() && fuse.axis >= 0; ++a) {
          if (t.tensor.shape()[a] != 1) fuse.axis = a;
        }
        fuse.shape_before = fuse.shape_after = vs->shape();
        fuse.dtype_before = fuse.dtype_after = vs->dtype();
        PlannedOutput& p = out.planned[base];
        p.name = base;
        p.sources = {t.name, v};
        p.transforms = {fuse};
      }
    }
  }
  return out;
}

}  // namespace verify
}  // namespace tp
