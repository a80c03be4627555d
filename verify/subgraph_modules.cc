#include "verify/subgraph_modules.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "verify/model_mode.h"

namespace tp {
namespace verify {
namespace {

// Every name read by the nodes of `g` and of its nested graphs.
void ReadNames(const onnx::GraphProto& g, std::set<std::string>* out) {
  for (const onnx::NodeProto& n : g.node()) {
    for (const std::string& in : n.input()) {
      if (!in.empty()) out->insert(in);
    }
    for (const auto& [attr, sub] : rt::GraphAttributes(n)) ReadNames(*sub, out);
  }
}

// The modules of a node: one per depth of its scope ("/step/act/Tanh": step, step.act).
std::set<std::string> NodeModules(const onnx::NodeProto& node,
                                  const std::function<bool(const std::string&)>& known) {
  std::set<std::string> out;
  if (node.name().empty() || node.name()[0] != '/') return out;
  std::vector<std::string> segs = absl::StrSplit(node.name().substr(1), '/');
  if (!segs.empty()) segs.pop_back();
  segs.erase(std::remove(segs.begin(), segs.end(), std::string()), segs.end());
  for (size_t d = 1; d <= segs.size(); ++d) {
    std::string m = ScopeSegmentsToModule(segs, d, known);
    // A repeated call inside one subgraph run (`_k` scopes) is not numbered by runs: skipped.
    if (!m.empty() && !absl::StrContains(m, "#")) out.insert(m);
  }
  return out;
}

// For a subgraph `g` (and, recursively, its own subgraphs): each module's output value, the last
// value produced inside the module that a node outside it reads or that `g` returns.
void CollectSubgraph(const onnx::GraphProto& g,
                     const std::function<bool(const std::string&)>& known,
                     std::map<std::string, std::vector<std::string>>* modules_of_value) {
  const int n = g.node_size();
  std::vector<std::set<std::string>> modules(n);
  std::map<std::string, std::vector<int>> consumers;
  for (int i = 0; i < n; ++i) {
    const onnx::NodeProto& node = g.node(i);
    modules[i] = NodeModules(node, known);
    std::set<std::string> reads(node.input().begin(), node.input().end());
    for (const auto& [attr, sub] : rt::GraphAttributes(node)) {
      ReadNames(*sub, &reads);
      CollectSubgraph(*sub, known, modules_of_value);
    }
    for (const std::string& r : reads) {
      if (!r.empty()) consumers[r].push_back(i);
    }
  }
  std::set<std::string> outputs;
  for (const onnx::ValueInfoProto& o : g.output()) outputs.insert(o.name());
  std::map<std::string, std::string> value_of_module;
  for (int i = 0; i < n; ++i) {
    for (const std::string& v : g.node(i).output()) {
      if (v.empty()) continue;
      for (const std::string& m : modules[i]) {
        bool leaves = outputs.count(v) > 0;
        for (int c : consumers[v]) leaves = leaves || !modules[c].count(m);
        if (leaves) value_of_module[m] = v;  // graph order: the last one wins
      }
    }
  }
  // A value can close several modules (step.act's output is step's too).
  for (const auto& [m, v] : value_of_module) (*modules_of_value)[v].push_back(m);
}

// "name#k" -> ("name", k); k = 0 without a suffix.
std::pair<std::string, int> SplitCall(const std::string& entry) {
  const size_t hash = entry.rfind('#');
  if (hash == std::string::npos) return {entry, 0};
  return {entry.substr(0, hash), std::atoi(entry.c_str() + hash + 1)};
}

}  // namespace

SubgraphModules SubgraphModules::Find(const rt::Session& session,
                                      const std::function<bool(const std::string&)>& known) {
  SubgraphModules out;
  for (const onnx::NodeProto& node : session.model().graph().node()) {
    for (const auto& [attr, sub] : rt::GraphAttributes(node)) {
      CollectSubgraph(*sub, known, &out.modules_of_value_);
    }
  }
  if (out.modules_of_value_.empty()) return out;
  for (const ModuleOutput& m : FindModuleOutputs(session, known)) {
    ++out.top_level_calls_[SplitCall(m.module).first];
  }
  return out;
}

const std::vector<std::string>* SubgraphModules::ModulesOf(const std::string& captured_name) const {
  // A capture path ends with "/" + the value's own name.
  for (const auto& [value, modules] : modules_of_value_) {
    if (captured_name.size() > value.size() && absl::EndsWith(captured_name, value) &&
        captured_name[captured_name.size() - value.size() - 1] == '/') {
      return &modules;
    }
  }
  return nullptr;
}

bool SubgraphModules::Wants(const std::string& captured_name) const {
  return !modules_of_value_.empty() && ModulesOf(captured_name) != nullptr;
}

void SubgraphModules::Record(const std::string& captured_name) {
  recorded_.push_back(captured_name);
}

std::map<std::string, std::string> SubgraphModules::EntryPaths() const {
  std::map<std::string, std::string> out;
  std::map<std::string, int> calls;
  for (const std::string& path : recorded_) {
    for (const std::string& m : *ModulesOf(path)) {
      auto top = top_level_calls_.find(m);
      const int k = (top == top_level_calls_.end() ? 0 : top->second) + calls[m]++;
      out[k == 0 ? m : absl::StrCat(m, "#", k)] = path;
    }
  }
  return out;
}

}  // namespace verify
}  // namespace tp
