#include "verify/model_mode.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/status_macros.h"
#include "core/tensor_ops.h"
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

std::map<std::string, std::vector<ModuleExit>> FindModuleExits(
    const rt::Session& session, const std::function<bool(const std::string&)>& known) {
  const onnx::GraphProto& g = session.model().graph();
  const std::vector<int>& order = session.order();
  std::vector<int> position(g.node_size(), -1);
  for (size_t p = 0; p < order.size(); ++p) position[order[p]] = static_cast<int>(p);

  // Modules of each node (every scope depth).
  std::vector<std::set<std::string>> modules(g.node_size());
  for (int i = 0; i < g.node_size(); ++i) {
    std::vector<std::string> segs = ScopeSegments(g.node(i).name());
    for (size_t d = 1; d <= segs.size(); ++d) {
      std::string m = ScopeSegmentsToModule(segs, d, known);
      if (!m.empty()) modules[i].insert(m);
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

  std::map<std::string, std::vector<ModuleExit>> exits;
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
        if (leaves) exits[m].push_back({v, position[i], k, node.op_type()});
      }
    }
  }
  for (auto& [m, list] : exits) {
    std::stable_sort(list.begin(), list.end(), [](const ModuleExit& a, const ModuleExit& b) {
      return std::tie(a.position, a.output_index) < std::tie(b.position, b.output_index);
    });
  }
  return exits;
}

std::map<std::string, std::vector<std::string>> FindModuleEntrances(
    const rt::Session& session, const std::function<bool(const std::string&)>& known) {
  const onnx::GraphProto& g = session.model().graph();
  const std::vector<int>& order = session.order();
  std::map<std::string, int> producer;
  for (int i = 0; i < g.node_size(); ++i) {
    for (const std::string& o : g.node(i).output()) {
      if (!o.empty()) producer[o] = i;
    }
  }
  std::vector<std::set<std::string>> modules(g.node_size());
  for (int i = 0; i < g.node_size(); ++i) {
    std::vector<std::string> segs = ScopeSegments(g.node(i).name());
    for (size_t d = 1; d <= segs.size(); ++d) {
      std::string m = ScopeSegmentsToModule(segs, d, known);
      if (!m.empty()) modules[i].insert(m);
    }
  }
  std::map<std::string, std::vector<std::string>> entrances;
  for (int i : order) {
    for (const std::string& m : modules[i]) {
      for (const std::string& v : g.node(i).input()) {
        if (v.empty() || session.initializers().count(v)) continue;
        auto p = producer.find(v);
        // Constants are parameters of the module, not what flows into it.
        if (p != producer.end() &&
            (modules[p->second].count(m) || g.node(p->second).op_type() == "Constant")) {
          continue;
        }
        std::vector<std::string>& list = entrances[m];
        if (std::find(list.begin(), list.end(), v) == list.end()) list.push_back(v);
      }
    }
  }
  return entrances;
}

std::vector<ModuleOutput> FindModuleOutputs(const rt::Session& session,
                                            const std::function<bool(const std::string&)>& known) {
  std::vector<ModuleOutput> out;
  for (const auto& [m, list] : FindModuleExits(session, known)) {
    const ModuleExit& last = list.back();
    out.push_back({m, last.value, last.position});
  }
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

// Every permutation p with from[p[i]] == to[i] (ranks 2..5; the identity excluded).
std::vector<std::vector<int>> Permutations(const Shape& from, const Shape& to) {
  std::vector<std::vector<int>> out;
  if (from.size() != to.size() || from.size() < 2 || from.size() > 5) return out;
  std::vector<int> p(from.size());
  for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<int>(i);
  do {
    bool ok = true;
    bool identity = true;
    for (size_t i = 0; i < p.size() && ok; ++i) {
      ok = from[p[i]] == to[i];
      identity = identity && p[i] == static_cast<int>(i);
    }
    if (ok && !identity) out.push_back(p);
  } while (std::next_permutation(p.begin(), p.end()));
  return out;
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

// Ops the exporter folds a following BatchNormalization into (its eval-mode peephole pass).
bool FoldsBatchNorm(const std::string& op) { return op == "Conv" || op == "ConvTranspose"; }

// Bit-for-bit equal reference tensors (an identity module's output is its input's storage).
absl::StatusOr<bool> SameBits(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  ASSIGN_OR_RETURN(Tensor x, a.Contiguous());
  ASSIGN_OR_RETURN(Tensor y, b.Contiguous());
  return std::memcmp(x.data(), y.data(), static_cast<size_t>(x.nbytes())) == 0;
}

// How one reference entry is observed in the graph.
struct Observation {
  enum class Kind { kNone, kValue, kIdentity, kFolded };
  Kind kind = Kind::kNone;
  std::string value;      // kValue / kFolded: the graph value compared
  std::vector<int> perm;  // candidate permuted to the reference layout first
  bool reshape = false;   // candidate reshaped (size-1 axes only)
  int source_entry = -1;  // kIdentity: the entry whose observation stands for this one;
                          // kFolded: the entry folded into this one
  std::string note;
};

class ModelAligner {
 public:
  ModelAligner(const rt::Session& session, const Checkpoint& reference,
               const LayerDiffOptions& diff)
      : session_(session), reference_(reference), diff_(diff) {
    std::set<std::string> names;
    for (const NamedTensor& t : reference.tensors) names.insert(t.name);
    auto known = [names](const std::string& n) { return names.count(n) > 0; };
    exits_ = FindModuleExits(session, known);
    entrances_ = FindModuleEntrances(session, known);
    const onnx::GraphProto& g = session.model().graph();
    for (const auto& in : g.input()) values_.insert(in.name());
    for (const auto& node : g.node()) {
      for (const std::string& o : node.output()) {
        if (!o.empty()) values_.insert(o);
      }
    }
    for (int i : session.order()) {
      const onnx::NodeProto& node = g.node(i);
      const std::string m = NodeScopeModule(node.name(), known);
      if (m.empty()) continue;
      for (const std::string& o : node.output()) {
        if (!o.empty()) own_values_[m].push_back(o);
      }
    }
  }

  // Values flowing into the module's nodes from outside it.
  const std::vector<std::string>& Entrances(const std::string& module) const {
    static const std::vector<std::string> kNone;
    auto it = entrances_.find(module);
    return it == entrances_.end() ? kNone : it->second;
  }

  // Every graph value that may stand for an entry: what the run must capture.
  std::set<std::string> Wanted() const {
    std::set<std::string> w;
    for (const NamedTensor& t : reference_.tensors) {
      const std::vector<std::string> candidates = Candidates(t.name);
      w.insert(candidates.begin(), candidates.end());
      auto it = entrances_.find(t.name);
      if (it != entrances_.end()) w.insert(it->second.begin(), it->second.end());
      if (candidates.empty()) {  // Resolve's step 4 may look among its parent's own values
        const std::vector<std::string>& own = OwnValues(ParentWithNodes(t.name));
        w.insert(own.begin(), own.end());
      }
    }
    return w;
  }

  // Decides, from the first run's values, how each entry is observed. Decisions use the
  // structure of the graph and the reference; the candidate's data only break ties between
  // structurally equal choices, and every such choice is noted.
  // `subgraph_paths`: entries computed inside Loop / Scan bodies or If branches, by the capture
  // path of their call (verify/subgraph_modules.h).
  absl::StatusOr<std::vector<Observation>> Resolve(
      const std::map<std::string, Tensor>& run,
      const std::map<std::string, std::string>& subgraph_paths) {
    const size_t n = reference_.tensors.size();
    std::vector<Observation> obs(n);
    std::vector<bool> no_nodes(n, false);
    for (size_t i = 0; i < n; ++i) {
      const std::vector<std::string> candidates = Candidates(reference_.tensors[i].name);
      if (candidates.empty()) {
        no_nodes[i] = true;
        continue;
      }
      ASSIGN_OR_RETURN(obs[i], Choose(reference_.tensors[i].tensor, candidates, run));
    }
    // Calls of modules inside subgraphs, at their capture paths.
    for (size_t i = 0; i < n; ++i) {
      auto it = subgraph_paths.find(reference_.tensors[i].name);
      if (!no_nodes[i] || it == subgraph_paths.end() || !run.count(it->second)) continue;
      ASSIGN_OR_RETURN(obs[i], Choose(reference_.tensors[i].tensor, {it->second}, run));
      no_nodes[i] = false;
    }
    // Entries with no node in the graph, in execution order.
    for (size_t i = 0; i < n; ++i) {
      if (!no_nodes[i]) continue;
      const Tensor& ref = reference_.tensors[i].tensor;
      // 1. An identity in eval mode (Dropout, Identity, stochastic depth) returns its input, the
      //    same storage: an earlier entry holding the same bits.
      ASSIGN_OR_RETURN(int same, SameBitsEntry(obs, i, /*later=*/false));
      // 2. A BatchNorm folded into the convolution just before it: the convolution's graph
      //    value is this entry's output.
      if (same < 0) {
        ASSIGN_OR_RETURN(bool folded, TryFold(obs, i, run));
        if (folded) continue;
        // 3. The last child of a container: the container's output holds the same bits.
        ASSIGN_OR_RETURN(same, SameBitsEntry(obs, i, /*later=*/true));
      }
      if (same >= 0) {
        obs[i].kind = Observation::Kind::kIdentity;
        obs[i].source_entry = same;
        obs[i].note = absl::StrCat("no nodes in the graph (identity in eval mode): compared with ",
                                   same < static_cast<int>(i) ? "its input" : "the layer it ends",
                                   ", \"", reference_.tensors[same].name, "\"");
        continue;
      }
      // 4. Its output is what flows into the next layer that has nodes (a Dropout after a
      //    functional activation). When that layer is the one it belongs to (ConvNeXt's
      //    `stochastic_depth(layer_scale * block(x)) + x`), what flows into the parent is the
      //    parent's input, not this entry's: then its value is one the parent computes itself
      //    (not from a child, not the parent's own output) of this entry's shape.
      for (size_t k = i + 1; k < n; ++k) {
        if (no_nodes[k]) continue;
        const std::string& name = reference_.tensors[i].name;
        if (absl::StartsWith(name, reference_.tensors[k].name + ".")) {
          const std::string parent = ParentWithNodes(name);
          std::set<std::string> leaving;
          auto exits = exits_.find(parent);
          if (exits != exits_.end()) {
            for (const ModuleExit& e : exits->second) leaving.insert(e.value);
          }
          std::vector<std::string> fit;
          for (const std::string& v : OwnValues(parent)) {
            auto c = run.find(v);
            if (c != run.end() && c->second.shape() == ref.shape() && !leaving.count(v)) {
              fit.push_back(v);
            }
          }
          if (fit.empty()) break;
          ASSIGN_OR_RETURN(obs[i], Choose(ref, fit, run));
          obs[i].note = absl::StrCat(
              "no nodes in the graph (identity in eval mode): compared with ", "\"", obs[i].value,
              "\", computed by \"", parent, "\" itself, which it passes on",
              fit.size() > 1 ? absl::StrCat(" (the closest of ", fit.size(), " of this shape)")
                             : "");
          break;
        }
        auto it = entrances_.find(reference_.tensors[k].name);
        if (it == entrances_.end()) break;
        std::vector<std::string> fit;
        for (const std::string& v : it->second) {
          auto c = run.find(v);
          if (c != run.end() && c->second.shape() == ref.shape()) fit.push_back(v);
        }
        if (fit.size() == 1) {
          obs[i].kind = Observation::Kind::kValue;
          obs[i].value = fit[0];
          obs[i].note =
              absl::StrCat("no nodes in the graph (identity in eval mode): compared with ",
                           "the value entering \"", reference_.tensors[k].name, "\"");
        }
        break;
      }
    }
    return obs;
  }

 private:
  // The nearest entry before i (or after it, with `later`) with the same bits as entry i, whose
  // value is observed; -1 when none.
  absl::StatusOr<int> SameBitsEntry(const std::vector<Observation>& obs, size_t i,
                                    bool later) const {
    const Tensor& ref = reference_.tensors[i].tensor;
    const int n = static_cast<int>(obs.size());
    for (int j = static_cast<int>(i) - 1; !later && j >= 0 && j >= static_cast<int>(i) - 64; --j) {
      if (obs[j].kind == Observation::Kind::kNone) continue;
      ASSIGN_OR_RETURN(bool same, SameBits(reference_.tensors[j].tensor, ref));
      if (same) return j;
    }
    for (int j = static_cast<int>(i) + 1; later && j < n && j <= static_cast<int>(i) + 8; ++j) {
      if (obs[j].kind != Observation::Kind::kValue) continue;
      ASSIGN_OR_RETURN(bool same, SameBits(reference_.tensors[j].tensor, ref));
      if (same) return j;
    }
    return -1;
  }

  absl::StatusOr<bool> TryFold(std::vector<Observation>& obs, size_t i,
                               const std::map<std::string, Tensor>& run) {
    if (i == 0) return false;
    const size_t c = i - 1;
    const Tensor& ref = reference_.tensors[i].tensor;
    if (obs[c].kind != Observation::Kind::kValue || !obs[c].perm.empty() || obs[c].reshape) {
      return false;
    }
    auto producer = producer_op_.find(obs[c].value);
    auto captured = run.find(obs[c].value);
    if (producer == producer_op_.end() || !FoldsBatchNorm(producer->second) ||
        captured == run.end() || captured->second.shape() != ref.shape()) {
      return false;
    }
    // The convolution's value equal to its own reference means nothing was folded, unless it
    // equals this entry's too: a BatchNorm within tolerance of identity (fresh statistics,
    // weight 1, bias 0) folded in changes nothing. Then both entries are compared with it.
    LayerResult own;
    own.name = reference_.tensors[c].name;
    RETURN_IF_ERROR(CompareLayer(reference_.tensors[c].tensor, captured->second, diff_, own));
    if (own.status == LayerStatus::kPass) {
      LayerResult fused;
      fused.name = reference_.tensors[i].name;
      RETURN_IF_ERROR(CompareLayer(ref, captured->second, diff_, fused));
      if (fused.status != LayerStatus::kPass) return false;
      obs[i].kind = Observation::Kind::kValue;
      obs[i].value = obs[c].value;
      obs[i].note =
          absl::StrCat("no nodes in the graph: folded into \"", reference_.tensors[c].name,
                       "\" by the exporter (", producer->second,
                       " + BatchNormalization) and within tolerance of identity here, so "
                       "both are compared with the fused output");
      return true;
    }
    obs[i].kind = Observation::Kind::kFolded;
    obs[i].value = obs[c].value;
    obs[i].source_entry = static_cast<int>(c);
    obs[i].note =
        absl::StrCat("folded with \"", reference_.tensors[c].name, "\" by the exporter (",
                     producer->second, " + BatchNormalization): compared the fused output");
    obs[c] = Observation();  // reported as excused
    obs[c].source_entry = static_cast<int>(i);
    return true;
  }

  // The nearest module enclosing `entry` that has nodes of its own ("" when none).
  std::string ParentWithNodes(const std::string& entry) const {
    std::string m = entry;
    for (size_t dot = m.rfind('.'); dot != std::string::npos; dot = m.rfind('.')) {
      m.resize(dot);
      if (own_values_.count(m)) return m;
    }
    return "";
  }

  // Values made by the nodes directly in `module`'s scope (not in a child's), in execution order.
  const std::vector<std::string>& OwnValues(const std::string& module) const {
    static const std::vector<std::string> kNone;
    auto it = own_values_.find(module);
    return it == own_values_.end() ? kNone : it->second;
  }

  std::vector<std::string> Candidates(const std::string& entry) const {
    if (values_.count(entry) && !session_.initializers().count(entry)) return {entry};
    auto it = exits_.find(entry);
    if (it == exits_.end()) return {};
    std::vector<std::string> out;
    for (const ModuleExit& e : it->second) {
      out.push_back(e.value);
      producer_op_[e.value] = e.op_type;
    }
    return out;
  }

  // Among the values leaving a module, the one standing for its output: same shape (or the same
  // up to size-1 axes, or a permutation of axes the exporter moved); when several fit, the one
  // closest to the reference, and the choice is noted.
  absl::StatusOr<Observation> Choose(const Tensor& ref, const std::vector<std::string>& candidates,
                                     const std::map<std::string, Tensor>& run) {
    struct Fit {
      std::string value;
      std::vector<int> perm;
      bool reshape = false;
      double sqnr = 0;
    };
    std::vector<Fit> fits;
    for (const std::string& v : candidates) {
      auto it = run.find(v);
      if (it == run.end()) continue;
      const Tensor& t = it->second;
      if (t.shape() == ref.shape()) {
        fits.push_back({v, {}, false});
      } else if (t.num_elements() == ref.num_elements() && SameSqueezed(t.shape(), ref.shape())) {
        fits.push_back({v, {}, true});
      } else {
        for (std::vector<int>& p : Permutations(t.shape(), ref.shape())) {
          fits.push_back({v, std::move(p), false});
        }
      }
    }
    Observation o;
    o.kind = Observation::Kind::kValue;
    if (fits.empty()) {
      // Nothing of the reference's shape leaves the module: compare the last value (a
      // shape mismatch, reported as such).
      o.value = candidates.back();
      return o;
    }
    bool exact_exists = false;
    for (const Fit& f : fits) exact_exists = exact_exists || (f.perm.empty() && !f.reshape);
    if (exact_exists) {  // permuted or reshaped fits only count when nothing fits as is
      fits.erase(std::remove_if(fits.begin(), fits.end(),
                                [](const Fit& f) { return !f.perm.empty() || f.reshape; }),
                 fits.end());
    }
    size_t best = 0;
    if (fits.size() > 1) {
      for (size_t k = 0; k < fits.size(); ++k) {
        ASSIGN_OR_RETURN(
            Tensor t, Arrange(run.at(fits[k].value), ref.shape(), fits[k].perm, fits[k].reshape));
        ASSIGN_OR_RETURN(LayerMetrics m, CompareTensors(ref, t, 0, 0));
        fits[k].sqnr = m.sqnr_db;
        if (fits[k].sqnr > fits[best].sqnr) best = k;
      }
    }
    o.value = fits[best].value;
    o.perm = fits[best].perm;
    o.reshape = fits[best].reshape;
    std::set<std::string> distinct_values;
    for (const Fit& f : fits) distinct_values.insert(f.value);
    if (distinct_values.size() > 1) {
      o.note = absl::StrCat(distinct_values.size(), " values of shape ", ShapeToString(ref.shape()),
                            " leave this module (a tuple output); compared \"", o.value,
                            "\", the closest to the reference");
    }
    if (!o.perm.empty()) {
      absl::StrAppend(&o.note, o.note.empty() ? "" : "; ", "layout differs from the reference by ",
                      "permutation [", absl::StrJoin(o.perm, ","),
                      "] (the exporter moved or cancelled a transpose)",
                      fits.size() > 1 ? "; chosen among several that fit the shapes" : "");
    }
    return o;
  }

 public:
  // The candidate tensor in the reference's layout.
  static absl::StatusOr<Tensor> Arrange(const Tensor& t, const Shape& want,
                                        const std::vector<int>& perm, bool reshape) {
    if (!perm.empty()) return PermuteTensor(t, perm);
    if (reshape) return t.Reshaped(want);
    return t;
  }

 private:
  const rt::Session& session_;
  const Checkpoint& reference_;
  const LayerDiffOptions& diff_;
  std::map<std::string, std::vector<ModuleExit>> exits_;
  std::map<std::string, std::vector<std::string>> entrances_;
  std::set<std::string> values_;
  std::map<std::string, std::vector<std::string>> own_values_;  // see OwnValues
  mutable std::map<std::string, std::string> producer_op_;      // graph value -> op that makes it
};

}  // namespace

absl::StatusOr<Report> DiffModel(const rt::Session& session, const Checkpoint& inputs,
                                 const Checkpoint& reference, const ModelDiffOptions& options) {
  ModelAligner aligner(session, reference, options.diff);
  const std::set<std::string> wanted = aligner.Wanted();
  // Modules inside Loop / Scan bodies and If branches: their calls are known after a run.
  std::set<std::string> ref_names;
  for (const NamedTensor& t : reference.tensors) ref_names.insert(t.name);
  SubgraphModules sub =
      SubgraphModules::Find(session, [&](const std::string& n) { return ref_names.count(n) > 0; });
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
  std::map<std::string, std::string> subgraph_paths;
  if (!sub.empty()) subgraph_paths = sub.EntryPaths();
  ASSIGN_OR_RETURN(std::vector<Observation> obs, aligner.Resolve(captured, subgraph_paths));

  if (options.isolate) {
    // Feed each observed value's consumers the reference tensor where the layouts agree (values
    // laid out differently from the dump are left computed).
    std::map<std::string, Tensor> overrides;
    for (size_t i = 0; i < obs.size(); ++i) {
      const Observation& o = obs[i];
      if (o.kind != Observation::Kind::kValue && o.kind != Observation::Kind::kFolded) continue;
      if (o.value.empty() || feed.count(o.value) || !o.perm.empty() || o.reshape) continue;
      auto it = captured.find(o.value);
      if (it == captured.end()) continue;
      const Tensor& ref = reference.tensors[i].tensor;
      if (ref.shape() != it->second.shape()) continue;
      ASSIGN_OR_RETURN(Tensor r, ref.Contiguous());
      if (r.dtype() != it->second.dtype()) {
        ASSIGN_OR_RETURN(r, Cast(r, it->second.dtype()));
      }
      overrides[o.value] = std::move(r);  // a folded pair: the later (fused) entry wins
    }
    ASSIGN_OR_RETURN(captured, run(overrides));
  }

  Report report;
  report.mode = options.isolate ? "model-isolate" : "model";
  // Each entry's candidate tensor, in the reference layout (identity entries reuse their input's).
  std::vector<std::optional<Tensor>> observed(obs.size());
  for (size_t i = 0; i < obs.size(); ++i) {
    const NamedTensor& ref = reference.tensors[i];
    const Observation& o = obs[i];
    LayerResult r;
    r.name = ref.name;
    r.note = o.note;
    if (o.kind == Observation::Kind::kValue || o.kind == Observation::Kind::kFolded) {
      auto it = captured.find(o.value);
      if (it != captured.end()) {
        ASSIGN_OR_RETURN(Tensor t,
                         ModelAligner::Arrange(it->second, ref.tensor.shape(), o.perm, o.reshape));
        observed[i] = std::move(t);
      }
    } else if (o.kind == Observation::Kind::kIdentity) {
      observed[i] = observed[o.source_entry];
    }
    if (o.kind == Observation::Kind::kNone && o.source_entry >= 0) {
      r.status = LayerStatus::kExcused;
      r.ref_shape = ref.tensor.shape();
      r.ref_dtype = std::string(DTypeName(ref.tensor.dtype()));
      r.reason = absl::StrCat("folded into \"", reference.tensors[o.source_entry].name,
                              "\" by the exporter: its own output is not in the graph");
    } else if (!observed[i].has_value()) {
      r.status = LayerStatus::kMissing;
      r.ref_shape = ref.tensor.shape();
      r.ref_dtype = std::string(DTypeName(ref.tensor.dtype()));
      r.reason =
          "not observable: the module has no nodes in the exported graph and is neither "
          "an identity of an earlier layer nor a BatchNorm folded into a convolution";
    } else {
      r.candidate = o.kind == Observation::Kind::kIdentity
                        ? absl::StrCat("= ", reference.tensors[o.source_entry].name)
                        : o.value;
      absl::Status s = CompareLayer(ref.tensor, *observed[i], options.diff, r);
      if (!s.ok()) {
        return Annotate(s, absl::StrCat("layer \"", ref.name, "\""));
      }
      if (options.isolate &&
          (r.status == LayerStatus::kFail || r.status == LayerStatus::kShapeMismatch)) {
        const std::string where =
            "inputs fed from the reference, output did not match: the defect is inside this layer";
        r.hint = r.hint.empty() ? where : absl::StrCat(where, "; ", r.hint);
      }
    }
    report.layers.push_back(std::move(r));
  }
  // What feeds each layer: the entries observing the values entering its module.
  std::map<std::string, size_t> entry_of_value;
  for (size_t i = 0; i < obs.size(); ++i) {
    if (obs[i].kind == Observation::Kind::kValue && obs[i].perm.empty()) {
      entry_of_value.emplace(obs[i].value, i);
    }
  }
  for (size_t i = 0; i < obs.size(); ++i) {
    std::vector<std::string> parts;
    for (const std::string& v : aligner.Entrances(reference.tensors[i].name)) {
      auto e = entry_of_value.find(v);
      if (e != entry_of_value.end() && e->second != i) {
        parts.push_back(absl::StrCat(reference.tensors[e->second].name, " (",
                                     LayerStatusName(report.layers[e->second].status), ")"));
      } else {
        parts.push_back(absl::StrCat("graph value ", v, " (not dumped)"));
      }
      if (parts.size() == 4) break;
    }
    report.layers[i].inputs = absl::StrJoin(parts, ", ");
  }
  RETURN_IF_ERROR(Summarize(report, options.diff));
  return report;
}

}  // namespace verify
}  // namespace tp
