#include "verify/model_mode.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/status_macros.h"
#include "verify/subgraph_modules.h"

namespace tp {
namespace verify {
namespace {

// Splits "/a/a.1/Conv" into scope segments {"a", "a.1"} (the op segment dropped); empty for a
// name without a leading '/'.
std::vector<std::string> ScopeSegments(const std::string& node_name) {
  if (node_name.empty() || node_name[0] != '/') return {};
  std::vector<std::string> parts = absl::StrSplit(node_name.substr(1), '/');
  if (!parts.empty()) parts.pop_back();
  parts.erase(std::remove(parts.begin(), parts.end(), std::string()), parts.end());
  return parts;
}

// "lrelu_1" -> ("lrelu", 1); k = 0 when there is no `_<digits>` suffix.
std::pair<std::string, int> SplitCallSuffix(const std::string& seg) {
  const size_t us = seg.rfind('_');
  if (us == std::string::npos || us == 0 || us + 1 >= seg.size()) return {seg, 0};
  const std::string digits = seg.substr(us + 1);
  if (digits.size() > 6 || !std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit)) {
    return {seg, 0};
  }
  return {seg.substr(0, us), std::stoi(digits)};
}

bool Extends(const std::string& next, const std::string& seg) {
  const std::string base = SplitCallSuffix(seg).first;
  return absl::StartsWith(next, seg + ".") || absl::StartsWith(next, base + ".");
}

}  // namespace

std::string ScopeSegmentsToModule(const std::vector<std::string>& segments, size_t depth,
                                  const std::function<bool(const std::string&)>& known) {
  depth = std::min(depth, segments.size());
  std::vector<std::string> kept;
  int call = 0;
  for (size_t i = 0; i < depth; ++i) {
    if (i + 1 < depth && Extends(segments[i + 1], segments[i])) continue;
    auto [base, k] = SplitCallSuffix(segments[i]);
    // A repeated call of an inner module keeps its number for the whole name (the dump names
    // only a module's own calls; the deepest `_k` wins).
    if (k > 0) call = k;
    kept.push_back(k > 0 ? base : segments[i]);
    if (k > 0 && known) {
      // A module really named `conv_1` keeps its name when the reference knows it.
      std::vector<std::string> literal = kept;
      literal.back() = segments[i];
      if (known(absl::StrJoin(literal, ".")) && !known(absl::StrJoin(kept, "."))) {
        kept.back() = segments[i];
        call = 0;
      }
    }
  }
  std::string name = absl::StrJoin(kept, ".");
  if (call > 0 && !name.empty()) absl::StrAppend(&name, "#", call);
  return name;
}

std::string NodeScopeModule(const std::string& node_name,
                            const std::function<bool(const std::string&)>& known) {
  std::vector<std::string> segs = ScopeSegments(node_name);
  return ScopeSegmentsToModule(segs, segs.size(), known);
}

std::vector<ModuleOutput> FindModuleOutputs(
    const rt::Session& session, const std::function<bool(const std::string&)>& known) {
  const onnx::GraphProto& g = session.model().graph();
  const std::vector<int>& order = session.order();
  std::vector<int> position(g.node_size(), -1);
  for (size_t p = 0; p < order.size(); ++p) position[order[p]] = static_cast<int>(p);

  // Modules of each node (every scope depth).
  std::vector<std::set<std::string>> modules(g.node_size());
  std::set<std::string> all_modules;
  for (int i = 0; i < g.node_size(); ++i) {
    std::vector<std::string> segs = ScopeSegments(g.node(i).name());
    for (size_t d = 1; d <= segs.size(); ++d) {
      std::string m = ScopeSegmentsToModule(segs, d, known);
      if (m.empty()) continue;
      modules[i].insert(m);
      all_modules.insert(m);
    }
  }
  std::map<std::string, std::vector<int>> consumers;
  for (int i = 0; i < g.node_size(); ++i) {
    for (const std::string& in : g.node(i).input()) {
      if (!in.empty()) consumers[in].push_back(i);
    }
  }
  std::set<std::string> graph_outputs;
  for (const auto& o : g.output()) graph_outputs.insert(o.name());

  // For each module, the last (position, -output index) value that leaves it.
  std::map<std::string, std::pair<std::pair<int, int>, std::string>> best;
  for (int i = 0; i < g.node_size(); ++i) {
    if (modules[i].empty() || position[i] < 0) continue;
    const onnx::NodeProto& node = g.node(i);
    for (int k = 0; k < node.output_size(); ++k) {
      const std::string& v = node.output(k);
      if (v.empty()) continue;
      const bool is_output = graph_outputs.count(v) > 0;
      auto cit = consumers.find(v);
      for (const std::string& m : modules[i]) {
        bool leaves = is_output;
        if (!leaves && cit != consumers.end()) {
          for (int c : cit->second) {
            if (!modules[c].count(m)) {
              leaves = true;
              break;
            }
          }
        }
        if (!leaves) continue;
        const std::pair<int, int> key{position[i], -k};
        auto it = best.find(m);
        if (it == best.end() || it->second.first < key) best[m] = {key, v};
      }
    }
  }
  std::vector<ModuleOutput> out;
  for (const auto& [m, b] : best) out.push_back({m, b.second, b.first.first});
  std::stable_sort(out.begin(), out.end(), [](const ModuleOutput& a, const ModuleOutput& b) {
    return a.position < b.position;
  });
  return out;
}

std::vector<std::string> MatchReferenceEntries(const rt::Session& session,
                                               const Checkpoint& reference) {
  std::set<std::string> ref_names;
  for (const NamedTensor& t : reference.tensors) ref_names.insert(t.name);
  auto known = [&](const std::string& n) { return ref_names.count(n) > 0; };

  std::set<std::string> values;  // every value name of the graph
  const onnx::GraphProto& g = session.model().graph();
  for (const auto& in : g.input()) values.insert(in.name());
  for (const auto& node : g.node()) {
    for (const std::string& o : node.output()) {
      if (!o.empty()) values.insert(o);
    }
  }
  std::map<std::string, std::string> module_value;
  for (const ModuleOutput& m : FindModuleOutputs(session, known)) module_value[m.module] = m.value;

  std::vector<std::string> matched;
  for (const NamedTensor& t : reference.tensors) {
    if (values.count(t.name) && !session.initializers().count(t.name)) {
      matched.push_back(t.name);
    } else if (auto it = module_value.find(t.name); it != module_value.end()) {
      matched.push_back(it->second);
    } else {
      matched.push_back("");
    }
  }
  return matched;
}

namespace {

// Shapes equal once size-1 axes are dropped (an exporter's Squeeze/Unsqueeze around a value).
bool SameSqueezed(const Shape& a, const Shape& b) {
  Shape sa, sb;
  for (int64_t d : a) {
    if (d != 1) sa.push_back(d);
  }
  for (int64_t d : b) {
    if (d != 1) sb.push_back(d);
  }
  return sa == sb;
}

absl::StatusOr<std::map<std::string, Tensor>> FeedInputs(const rt::Session& session,
                                                         const Checkpoint& inputs,
                                                         const Checkpoint& reference) {
  std::map<std::string, Tensor> feed;
  for (const std::string& name : session.input_names()) {
    const Tensor* t = inputs.Find(name);
    if (t == nullptr) t = reference.Find(name);
    if (t == nullptr) {
      std::vector<std::string> have;
      for (const NamedTensor& n : inputs.tensors) have.push_back(n.name);
      return absl::NotFoundError(absl::StrCat(
          "graph input \"", name, "\" is in neither --inputs (holding: ", absl::StrJoin(have, ", "),
          ") nor the reference dump; expected an entry of that name"));
    }
    ASSIGN_OR_RETURN(Tensor c, t->Contiguous());
    feed[name] = std::move(c);
  }
  return feed;
}

}  // namespace

absl::StatusOr<Report> DiffModel(const rt::Session& session, const Checkpoint& inputs,
                                 const Checkpoint& reference, const ModelDiffOptions& options) {
  std::vector<std::string> matched = MatchReferenceEntries(session, reference);
  std::set<std::string> wanted;
  for (const std::string& v : matched) {
    if (!v.empty()) wanted.insert(v);
  }
  // Modules inside Loop / Scan bodies and If branches: their calls are known after a run.
  std::set<std::string> ref_names;
  for (const NamedTensor& t : reference.tensors) ref_names.insert(t.name);
  SubgraphModules sub = SubgraphModules::Find(
      session, [&](const std::string& n) { return ref_names.count(n) > 0; });
  ASSIGN_OR_RETURN(auto feed, FeedInputs(session, inputs, reference));

  auto run = [&](const std::map<std::string, Tensor>& overrides)
      -> absl::StatusOr<std::map<std::string, Tensor>> {
    std::map<std::string, Tensor> captured;
    sub.ClearRecorded();
    rt::RunOptions ro;
    ro.overrides = overrides;
    ro.capture = [&](const onnx::NodeProto&, const std::string& name, const Tensor& t) {
      if (wanted.count(name)) {
        captured[name] = t;
      } else if (sub.Wants(name)) {
        sub.Record(name);
        captured[name] = t;
      }
    };
    RETURN_IF_ERROR(session.Run(feed, ro).status());
    for (const auto& [name, t] : feed) {
      if (wanted.count(name)) captured[name] = t;
    }
    return captured;
  };
  ASSIGN_OR_RETURN(auto captured, run({}));
  if (!sub.empty()) {
    const std::map<std::string, std::string> paths = sub.EntryPaths();
    for (size_t i = 0; i < matched.size(); ++i) {
      auto it = paths.find(reference.tensors[i].name);
      if (matched[i].empty() && it != paths.end()) matched[i] = it->second;
    }
  }

  std::set<std::string> overridden;
  if (options.isolate) {
    // Feed each matched value's consumers the reference tensor where the shapes agree (values
    // laid out differently from the dump are left computed).
    std::map<std::string, Tensor> overrides;
    for (size_t i = 0; i < matched.size(); ++i) {
      const std::string& v = matched[i];
      if (v.empty() || feed.count(v) || overrides.count(v)) continue;
      auto it = captured.find(v);
      if (it == captured.end()) continue;
      const Tensor& ref = reference.tensors[i].tensor;
      if (ref.shape() != it->second.shape()) continue;
      ASSIGN_OR_RETURN(Tensor r, ref.Contiguous());
      if (r.dtype() != it->second.dtype()) {
        ASSIGN_OR_RETURN(r, Cast(r, it->second.dtype()));
      }
      overrides[v] = std::move(r);
      overridden.insert(v);
    }
    ASSIGN_OR_RETURN(captured, run(overrides));
  }

  // The candidate dump: the captured value of each matched entry, under the reference's name.
  Checkpoint candidate;
  candidate.format = "onnx-run";
  for (size_t i = 0; i < matched.size(); ++i) {
    if (matched[i].empty()) continue;
    auto it = captured.find(matched[i]);
    if (it == captured.end()) continue;
    Tensor t = it->second;
    const Shape& want = reference.tensors[i].tensor.shape();
    if (t.shape() != want && t.num_elements() == reference.tensors[i].tensor.num_elements() &&
        SameSqueezed(t.shape(), want)) {
      ASSIGN_OR_RETURN(t, t.Reshaped(want));
    }
    candidate.tensors.push_back({reference.tensors[i].name, std::move(t)});
  }
  ASSIGN_OR_RETURN(Report report, DiffDumps(reference, candidate, options.diff));
  report.mode = options.isolate ? "model-isolate" : "model";
  // Name the graph value behind each layer, and in isolate mode say where the defect must be.
  std::map<std::string, std::string> value_of;
  for (size_t i = 0; i < matched.size(); ++i) value_of[reference.tensors[i].name] = matched[i];
  for (LayerResult& l : report.layers) {
    if (l.status == LayerStatus::kMissing) {
      l.reason = "no graph value stands for this entry (no module scope or value of that name)";
      continue;
    }
    auto it = value_of.find(l.name);
    if (it != value_of.end() && !it->second.empty()) l.candidate = it->second;
    if (options.isolate &&
        (l.status == LayerStatus::kFail || l.status == LayerStatus::kShapeMismatch)) {
      const std::string where =
          "inputs fed from the reference, output did not match: the defect is inside this layer";
      l.hint = l.hint.empty() ? where : absl::StrCat(where, "; ", l.hint);
    }
  }
  return report;
}

}  // namespace verify
}  // namespace tp
