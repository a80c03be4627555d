// Pass `lstm`: PyTorch LSTM parameters (weight_ih_l<k>[_reverse], ...) renamed per direction,
// optionally with bias_ih + bias_hh combined (the "add_bias" transform, recorded here; not undone
// one tensor at a time) and the gates split into named parts.
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
absl::Status PlanLstm(const schema::Pass& p, int index, Planner& pl) {
  const schema::Lstm& l = p.lstm();
  auto re = CompilePattern(l.pattern());
  static const RE2* leaf = new RE2("(weight_ih|weight_hh|bias_ih|bias_hh)_l(\\d+)(_reverse)?");
  struct Key {
    std::string module, layer;
    bool reverse;
    bool operator<(const Key& o) const {
      return std::tie(module, layer, reverse) < std::tie(o.module, o.layer, o.reverse);
    }
  };
  std::map<Key, std::map<std::string, int>> groups;  // kind -> node index
  std::map<int, Key> member;
  for (int i = 0; i < static_cast<int>(pl.nodes().size()); ++i) {
    const std::string& name = pl.nodes()[i].name;
    const size_t dot = name.rfind('.');
    if (dot == std::string::npos) continue;
    std::string module = name.substr(0, dot), kind, layer, rev;
    if (!MatchesName(*re, module)) continue;
    if (!RE2::FullMatch(name.substr(dot + 1), *leaf, &kind, &layer, &rev)) continue;
    Key k{module, layer, !rev.empty()};
    groups[k][kind] = i;
    member[i] = k;
  }
  const std::vector<std::string> gates =
      l.gate_names_size() == 4 ? std::vector<std::string>(l.gate_names().begin(), l.gate_names().end())
                               : std::vector<std::string>{"i", "f", "g", "o"};
  std::vector<std::string> problems;
  std::map<int, std::vector<Node>> replace;
  std::vector<bool> remove(pl.nodes().size(), false);
  for (auto& [key, kinds] : groups) {
    std::string module = key.module;
    std::string suffix = key.reverse ? "_reverse" : "";
    if (key.reverse && !l.reverse_name().empty()) {
      module = RewriteName(*re, key.module, l.reverse_name());
      suffix = "";
    } else if (!key.reverse && !l.forward_name().empty()) {
      module = RewriteName(*re, key.module, l.forward_name());
    }
    auto target = [&](const std::string& kind) {
      return absl::StrCat(module, ".", kind, "_l", key.layer, suffix);
    };
    std::vector<std::pair<int, Node>> made;  // position, node
    for (auto& [kind, idx] : kinds) {
      Node n = pl.nodes()[idx];
      if (l.combine_bias() && (kind == "bias_ih" || kind == "bias_hh")) {
        if (kind == "bias_hh") continue;  // consumed with bias_ih
        auto hh = kinds.find("bias_hh");
        if (hh == kinds.end()) {
          problems.push_back(absl::StrCat("\"", n.name, "\" has no matching bias_hh"));
          continue;
        }
        const Node& h = pl.nodes()[hh->second];
        if (h.shape != n.shape) {
          problems.push_back(absl::StrCat("\"", n.name, "\" ", ShapeToString(n.shape), " and \"",
                                          h.name, "\" ", ShapeToString(h.shape), " differ"));
          continue;
        }
        Node b = n;
        b.sources.insert(b.sources.end(), h.sources.begin(), h.sources.end());
        b.source_tensors.insert(b.source_tensors.end(), h.source_tensors.begin(),
                                h.source_tensors.end());
        b.source_bytes += h.source_bytes;
        Transform t;
        t.op = "add_bias";
        t.from_name = n.name;
        t.to_name = h.name;
        t.shape_before = t.shape_after = n.shape;
        t.dtype_before = t.dtype_after = n.dtype;
        b.transforms.push_back(t);
        Producer mi = n.make, mh = h.make;
        b.make = ApplyingTransform(t, {mi, mh});
        Planner::Rename(b, target("bias"));
        b.mapped = true;
        remove[hh->second] = true;
        made.emplace_back(std::min(idx, hh->second), std::move(b));
        continue;
      }
      Planner::Rename(n, target(kind));
      n.mapped = true;
      made.emplace_back(idx, std::move(n));
    }
    // An orphan bias_hh (no bias_ih) is unpaired too.
    if (l.combine_bias() && kinds.count("bias_hh") && !kinds.count("bias_ih")) {
      problems.push_back(
          absl::StrCat("\"", pl.nodes()[kinds["bias_hh"]].name, "\" has no matching bias_ih"));
    }
    for (auto& [pos, n] : made) {
      remove[pos] = false;
      if (!l.split_gates()) {
        replace[pos].push_back(std::move(n));
        continue;
      }
      if (n.shape.empty() || n.shape[0] % 4 != 0) {
        problems.push_back(absl::StrCat("\"", n.name, "\" has shape ", ShapeToString(n.shape),
                                        ", expected dim 0 = 4 x hidden to split gates"));
        continue;
      }
      std::vector<int64_t> sizes(4, n.shape[0] / 4);
      std::vector<std::string> names;
      for (const std::string& g : gates) names.push_back(absl::StrCat(n.name, ".", g));
      ASSIGN_OR_RETURN(std::vector<Node> parts, Planner::SplitNode(n, 0, sizes, names));
      for (Node& p : parts) replace[pos].push_back(std::move(p));
    }
    for (auto& [kind, idx] : kinds) {
      if (!replace.count(idx)) remove[idx] = true;
    }
  }
  if (!problems.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(pl.Where(index), ": lstm: ",
                                                   absl::StrJoin(problems, "; ")));
  }
  std::vector<Node> next;
  for (int i = 0; i < static_cast<int>(pl.nodes().size()); ++i) {
    auto it = replace.find(i);
    if (it != replace.end()) {
      for (Node& n : it->second) next.push_back(std::move(n));
      continue;
    }
    if (remove[i] || member.count(i)) continue;
    next.push_back(std::move(pl.nodes()[i]));
  }
  pl.nodes() = std::move(next);
  return absl::OkStatus();
}

const TransformRegistration kAddBiasTransform({
    .op = "add_bias",
    .describe = [](const Transform&) { return std::string("bias_ih+bias_hh"); },
    .apply = [](const std::vector<Tensor>& in, const Transform& t) -> absl::StatusOr<Tensor> {
      if (in.size() != 2) return absl::InvalidArgumentError("add_bias takes bias_ih and bias_hh");
      ASSIGN_OR_RETURN(std::vector<double> x, ToDoubleVector(in[0]));
      ASSIGN_OR_RETURN(std::vector<double> y, ToDoubleVector(in[1]));
      if (x.size() != y.size()) return absl::InvalidArgumentError("add_bias: sizes differ");
      Tensor sum = Tensor::Zeros(DType::kF64, in[0].shape());
      double* s = sum.mutable_data_as<double>();
      for (size_t i = 0; i < x.size(); ++i) s[i] = x[i] + y[i];
      return Cast(sum, t.dtype_after);
    },
    .invert = nullptr,
    .arity = 2,
});

const PassRegistration kLstm({
    .op_case = schema::Pass::kLstm,
    .id = "lstm",
    .validate = [](const schema::Pass& p, absl::string_view source, int i) -> absl::Status {
      RETURN_IF_ERROR(CheckPattern(p.lstm().pattern(), source, i, "lstm.pattern", true));
      if (p.lstm().gate_names_size() != 0 && p.lstm().gate_names_size() != 4) {
        return absl::InvalidArgumentError(absl::StrCat(
            source, ": pass ", i, ": lstm.gate_names has ", p.lstm().gate_names_size(),
            " names, expected 4 (i, f, g, o)"));
      }
      return absl::OkStatus();
    },
    .plan = &PlanLstm,
    .patterns = [](const schema::Pass& p) { return std::vector<std::string>{p.lstm().pattern()}; },
});

}  // namespace
}  // namespace tp
