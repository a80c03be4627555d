#include "convert/planner.h"

#include <cstring>
#include <map>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "core/tensor_ops.h"

namespace tp {
namespace {

re2::StringPiece Piece(absl::string_view s) { return re2::StringPiece(s.data(), s.size()); }

std::string StripRegex(absl::string_view p) {
  std::string out;
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      const char n = p[i + 1];
      if (n == '.' || n == '_' || n == '-') out.push_back(n);
      ++i;
      continue;
    }
    if (std::strchr("^$()[]{}*+?|", c) != nullptr) continue;
    out.push_back(c);
  }
  return out;
}

std::map<int, PassDef>& PassRegistry() {
  static auto* registry = new std::map<int, PassDef>();
  return *registry;
}

}  // namespace

Producer ApplyingTransform(Transform t, std::vector<Producer> inputs) {
  return [t = std::move(t), inputs = std::move(inputs)]() -> absl::StatusOr<Tensor> {
    std::vector<Tensor> in;
    for (const Producer& p : inputs) {
      ASSIGN_OR_RETURN(Tensor x, p());
      in.push_back(std::move(x));
    }
    return ApplyTransform(t, in);
  };
}

std::unique_ptr<RE2> CompilePattern(const std::string& pattern) {
  return std::make_unique<RE2>(absl::StrCat("^(?:", pattern, ")$"), RE2::Quiet);
}

bool MatchesName(const RE2& re, absl::string_view name) {
  return RE2::PartialMatch(Piece(name), re);
}

std::string RewriteName(const RE2& re, absl::string_view name, const std::string& rewrite) {
  std::string out;
  if (!RE2::Extract(Piece(name), re, rewrite, &out)) return std::string(name);
  return out;
}

int64_t BytesOf(DType t, const Shape& shape) {
  absl::StatusOr<int64_t> n = NumElements(shape);
  if (!n.ok()) return 0;
  absl::StatusOr<int64_t> b = StorageBytes(t, *n);
  return b.ok() ? *b : 0;
}

bool DefaultKeep(absl::string_view name) {
  static const RE2* re = new RE2("(?i).*(bias|norm).*");
  return RE2::FullMatch(Piece(name), *re);
}

void Planner::Init(const Checkpoint& source) {
  for (const NamedTensor& nt : source.tensors) {
    Node n;
    n.name = nt.name;
    n.dtype = nt.tensor.dtype();
    n.shape = nt.tensor.shape();
    n.sources = {nt.name};
    n.source_dtype = n.dtype;
    n.source_shape = n.shape;
    n.source_bytes = nt.tensor.nbytes();
    n.source_tensors = {nt.tensor};
    Tensor t = nt.tensor;
    n.make = [t]() -> absl::StatusOr<Tensor> { return t; };
    nodes_.push_back(std::move(n));
  }
}

std::string Planner::Where(int pass) const {
  return pass < 0 ? options_.schema_source : absl::StrCat(options_.schema_source, ": pass ", pass);
}

absl::Status Planner::RunPass(const schema::Pass& p, int index) {
  const PassDef* def = FindPass(p.op_case());
  if (def == nullptr) return absl::InvalidArgumentError(absl::StrCat(Where(index), " is empty"));
  return def->plan(p, index, *this);
}

void Planner::Rename(Node& n, const std::string& to) {
  if (n.name == to) return;
  Transform t;
  t.op = "rename";
  t.from_name = n.name;
  t.to_name = to;
  n.transforms.push_back(t);
  n.name = to;
}

void Planner::RebuildNodes(const std::vector<bool>& remove, std::map<int, Node>* replace) {
  std::vector<Node> next;
  for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) {
    if (remove[i]) continue;
    auto it = replace->find(i);
    next.push_back(it != replace->end() ? std::move(it->second) : std::move(nodes_[i]));
  }
  nodes_ = std::move(next);
}

void Planner::CastNode(Node& n, DType to) {
  if (n.dtype == to) return;
  Transform t;
  t.op = "cast";
  t.dtype_before = n.dtype;
  t.dtype_after = to;
  t.shape_before = t.shape_after = n.shape;
  n.transforms.push_back(t);
  n.dtype = to;
  Producer prev = n.make;
  n.make = ApplyingTransform(t, {prev});  // a lazy cast: converted as the writer reads it
}

absl::StatusOr<std::vector<Node>> Planner::SplitNode(const Node& n, int axis,
                                                     const std::vector<int64_t>& sizes,
                                                     const std::vector<std::string>& names) {
  std::vector<Node> parts;
  int64_t offset = 0;
  for (size_t j = 0; j < sizes.size(); ++j) {
    Node p = n;
    Transform t;
    t.op = "split";
    t.from_name = n.name;
    t.to_name = names[j];
    t.axis = axis;
    t.offset = offset;
    t.size = sizes[j];
    t.shape_before = n.shape;
    p.shape[axis] = sizes[j];
    t.shape_after = p.shape;
    t.dtype_before = t.dtype_after = n.dtype;
    p.transforms.push_back(t);
    p.name = names[j];
    p.mapped = true;
    p.make = ApplyingTransform(t, {n.make});
    parts.push_back(std::move(p));
    offset += sizes[j];
  }
  return parts;
}

std::string Planner::Nearest(const std::string& name) const {
  std::string best;
  int best_score = 1 << 30;
  std::vector<std::pair<std::string, std::string>> rules;
  if (schema_ != nullptr) {
    for (const schema::Pass& p : schema_->pass()) {
      const PassDef* def = FindPass(p.op_case());
      if (def == nullptr || !def->patterns) continue;
      for (const std::string& pattern : def->patterns(p)) {
        if (!pattern.empty()) rules.push_back({def->id, pattern});
      }
    }
  }
  for (const auto& [op, pattern] : rules) {
    const int d = EditDistance(name, StripRegex(pattern));
    if (d < best_score) {
      best_score = d;
      best = absl::StrCat(op, " \"", pattern, "\"");
    }
  }
  return best.empty() ? "no rules in the schema" : absl::StrCat("nearest rule: ", best);
}

PassRegistration::PassRegistration(PassDef def) {
  const int key = static_cast<int>(def.op_case);
  PassRegistry()[key] = std::move(def);
}

const PassDef* FindPass(schema::Pass::OpCase op_case) {
  auto it = PassRegistry().find(static_cast<int>(op_case));
  return it == PassRegistry().end() ? nullptr : &it->second;
}

absl::Status CheckPattern(const std::string& pattern, absl::string_view source, int pass,
                          absl::string_view field, bool required) {
  if (pattern.empty()) {
    if (!required) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(source, ": pass ", pass, ": ", field,
                                                   " is empty, expected an RE2 pattern"));
  }
  RE2 re(pattern, RE2::Quiet);
  if (!re.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": pass ", pass, ": ", field, " \"",
                                                   pattern, "\" is not a valid RE2 pattern: ",
                                                   re.error()));
  }
  return absl::OkStatus();
}

absl::Status CheckCastType(const std::string& t, absl::string_view source, absl::string_view what) {
  if (t == "f32" || t == "f16" || t == "bf16" || t == "q8_0") return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", what, " \"", t,
                                                 "\" is not a target dtype; expected one of f32, "
                                                 "f16, bf16, q8_0"));
}

}  // namespace tp
