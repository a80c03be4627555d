#include "verify/weight_binding.h"

#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "convert/schema_engine.h"
#include "convert/schema_loader.h"
#include "core/status_macros.h"

namespace tp {
namespace verify {
namespace {

bool IsFloat(DType d) {
  return d == DType::kF32 || d == DType::kF64 || d == DType::kF16 || d == DType::kBF16;
}

absl::StatusOr<std::vector<double>> ToDoubles(const Tensor& t) {
  ASSIGN_OR_RETURN(Tensor d, Cast(t, DType::kF64));
  ASSIGN_OR_RETURN(Tensor c, d.Contiguous());
  const double* p = c.data_as<double>();
  return std::vector<double>(p, p + c.num_elements());
}

// A converted tensor brought back to the layout of the source tensor(s) it was made from.
struct Recovered {
  Tensor tensor;
  std::string converted;  // its name in the converted checkpoint
  std::string how;
};

// The weight-norm pairs of the source: base -> (g, v, axis).
struct NormPair {
  std::string g, v;
  int axis = 0;
};

std::map<std::string, NormPair> FindNormPairs(const Checkpoint& source) {
  std::map<std::string, NormPair> pairs;
  for (const NamedTensor& t : source.tensors) {
    if (!absl::EndsWith(t.name, ".weight_g")) continue;
    const std::string base = t.name.substr(0, t.name.size() - 2);  // "X.weight"
    const std::string v_name = base + "_v";
    const Tensor* v = source.Find(v_name);
    if (v == nullptr || v->rank() != t.tensor.rank()) continue;
    int axis = -1;
    for (int a = 0; a < v->rank(); ++a) {
      if (t.tensor.shape()[a] != 1 && t.tensor.shape()[a] == v->shape()[a]) axis = a;
    }
    if (axis < 0 && t.tensor.num_elements() != 1) continue;
    pairs[base] = {t.name, v_name, axis};
  }
  return pairs;
}

// ONNX LSTM blocks built from PyTorch LSTM parameters `P.weight_ih_l<k>[_reverse]` etc.: W
// [dirs, 4H, in], R [dirs, 4H, H], B [dirs, 8H] with the gates reordered from PyTorch's (i, f, g, o)
// to ONNX's (i, o, f, c). `get` returns a tensor by source name (nullptr when absent); the result
// maps "P.lstm_l<k>.W" / ".R" / ".B" to the block (f64) and to the names it was made from.
struct Derived {
  Tensor value;
  std::vector<std::string> from;
};

absl::StatusOr<std::map<std::string, Derived>> LstmBlocks(
    const std::vector<std::string>& names,
    const std::function<const Tensor*(const std::string&)>& get) {
  std::map<std::string, Derived> out;
  for (const std::string& n : names) {
    const size_t at = n.rfind(".weight_ih_l");
    if (at == std::string::npos || absl::EndsWith(n, "_reverse")) continue;
    const std::string prefix = n.substr(0, at), layer = n.substr(at + 12);
    std::vector<std::string> dirs = {""};
    if (get(absl::StrCat(prefix, ".weight_ih_l", layer, "_reverse")) != nullptr) {
      dirs.push_back("_reverse");
    }
    auto block = [&](const std::vector<std::string>& parts,
                     const std::string& key) -> absl::Status {
      std::vector<double> all;
      std::vector<std::string> from;
      int64_t rows = 0, cols = 0;
      for (const std::string& sfx : dirs) {
        std::vector<double> dir_values;
        for (const std::string& part : parts) {
          const std::string name = absl::StrCat(prefix, ".", part, "_l", layer, sfx);
          const Tensor* t = get(name);
          if (t == nullptr || t->rank() < 1 || t->shape()[0] % 4 != 0) return absl::OkStatus();
          ASSIGN_OR_RETURN(std::vector<double> v, ToDoubles(*t));
          const int64_t gate = static_cast<int64_t>(v.size()) / 4;
          for (int g : {0, 3, 1, 2}) {
            dir_values.insert(dir_values.end(), v.begin() + g * gate, v.begin() + (g + 1) * gate);
          }
          rows = t->shape()[0];
          cols = t->rank() == 2 ? t->shape()[1] : 0;
          from.push_back(name);
        }
        all.insert(all.end(), dir_values.begin(), dir_values.end());
      }
      Shape shape = cols > 0 ? Shape{static_cast<int64_t>(dirs.size()), rows, cols}
                             : Shape{static_cast<int64_t>(dirs.size()),
                                     static_cast<int64_t>(all.size() / dirs.size())};
      Tensor t = Tensor::Zeros(DType::kF64, shape);
      std::copy(all.begin(), all.end(), t.mutable_data_as<double>());
      out[absl::StrCat(prefix, ".lstm_l", layer, ".", key)] = {std::move(t), std::move(from)};
      return absl::OkStatus();
    };
    RETURN_IF_ERROR(block({"weight_ih"}, "W"));
    RETURN_IF_ERROR(block({"weight_hh"}, "R"));
    RETURN_IF_ERROR(block({"bias_ih", "bias_hh"}, "B"));
  }
  return out;
}

// Inverts the transforms of a planned output on its converted tensor. Returns nullopt for
// transforms that cannot be undone one output at a time (split, concat, bias sums); sets `fused`
// when the output is a weight-norm fusion (the result is then in v's layout).
absl::StatusOr<std::optional<Tensor>> Invert(const PlannedOutput& o, Tensor t, bool& fused) {
  fused = false;
  for (auto it = o.transforms.rbegin(); it != o.transforms.rend(); ++it) {
    switch (it->kind) {
      case Transform::Kind::kRename:
        break;
      case Transform::Kind::kPermute: {
        ASSIGN_OR_RETURN(t, PermuteTensor(t, InversePermutation(it->perm)));
        break;
      }
      case Transform::Kind::kReshape: {
        ASSIGN_OR_RETURN(Tensor c, t.Contiguous());
        ASSIGN_OR_RETURN(t, c.Reshaped(it->shape_before));
        break;
      }
      case Transform::Kind::kCast: {
        ASSIGN_OR_RETURN(t, Cast(t, it->dtype_before));
        break;
      }
      case Transform::Kind::kFuseWeightNorm:
        fused = true;
        return std::optional<Tensor>(std::move(t));
      default:
        return std::optional<Tensor>();
    }
  }
  return std::optional<Tensor>(std::move(t));
}

// Plans under the schema with the option combinations a conversion may have used and keeps the
// one whose outputs cover the most converted tensors (names and shapes).
absl::StatusOr<ConversionPlan> BestPlan(const Checkpoint& source, const schema::Conversion& s,
                                        const Checkpoint& converted, const std::string& schema) {
  std::optional<ConversionPlan> best;
  int best_score = -1;
  absl::Status last = absl::OkStatus();
  for (bool fuse : {false, true}) {
    for (const char* layout : {"", "mlx"}) {
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

}  // namespace

absl::StatusOr<BindResult> BindConvertedWeights(rt::Session& session, const Checkpoint& converted,
                                                const Checkpoint& source,
                                                const BindOptions& options) {
  std::map<std::string, Recovered> single;  // source name -> converted, in source layout
  std::map<std::string, Recovered> fused;   // "X.weight" -> fused converted, in v's layout
  if (options.schema.empty()) {
    for (const NamedTensor& t : converted.tensors) {
      if (source.Find(t.name) != nullptr) single[t.name] = {t.tensor, t.name, "name"};
    }
  } else {
    ASSIGN_OR_RETURN(schema::Conversion s, LoadSchemaOrPreset(options.schema));
    ASSIGN_OR_RETURN(ConversionPlan plan, BestPlan(source, s, converted, options.schema));
    for (const PlannedOutput& o : plan.outputs()) {
      const Tensor* c = converted.Find(o.name);
      if (c == nullptr || c->shape() != o.shape) continue;
      bool is_fused = false;
      ASSIGN_OR_RETURN(std::optional<Tensor> back, Invert(o, *c, is_fused));
      if (!back) continue;
      std::vector<std::string> steps;
      for (const Transform& tr : o.transforms) steps.push_back(tr.Describe());
      const std::string how =
          absl::StrCat("schema: ", steps.empty() ? "as is" : absl::StrJoin(steps, ", "));
      if (is_fused && o.sources.size() == 2) {
        const std::string& g = o.sources[0];
        fused[g.substr(0, g.size() - 2)] = {*back, o.name, how};
      } else if (!is_fused && o.sources.size() == 1) {
        single[o.sources[0]] = {*back, o.name, how};
      }
    }
  }

  const std::map<std::string, NormPair> pairs = FindNormPairs(source);
  if (options.schema.empty()) {
    // A conversion that fused weight norm names the result "X.weight" (v's shape).
    for (const auto& [base, p] : pairs) {
      const Tensor* c = converted.Find(base);
      if (c != nullptr && c->shape() == source.Find(p.v)->shape()) {
        fused[base] = {*c, base, "name (fused weight norm)"};
      }
    }
  }
  // Converted weight norm kept apart: fuse the converted g and v the way the exporter did.
  for (const auto& [base, p] : pairs) {
    if (fused.count(base)) continue;
    auto g = single.find(p.g), v = single.find(p.v);
    if (g == single.end() || v == single.end()) continue;
    ASSIGN_OR_RETURN(Tensor f, FuseWeightNorm(g->second.tensor, v->second.tensor, p.axis));
    fused[base] = {f, absl::StrCat(g->second.converted, " + ", v->second.converted),
                   absl::StrCat("fused weight norm (dim ", p.axis, ") of converted g and v")};
  }

  // LSTM blocks, from the source (to match) and from the recovered converted tensors (to bind).
  std::vector<std::string> source_names;
  for (const NamedTensor& t : source.tensors) source_names.push_back(t.name);
  ASSIGN_OR_RETURN(auto source_lstm,
                   LstmBlocks(source_names, [&](const std::string& n) { return source.Find(n); }));
  ASSIGN_OR_RETURN(auto converted_lstm,
                   LstmBlocks(source_names, [&](const std::string& n) -> const Tensor* {
                     auto it = single.find(n);
                     return it == single.end() ? nullptr : &it->second.tensor;
                   }));
  for (const auto& [key, d] : converted_lstm) {
    std::vector<std::string> conv_names;
    for (const std::string& f : d.from) conv_names.push_back(single[f].converted);
    fused[key] = {d.value, absl::StrJoin(conv_names, " + "),
                  "LSTM block, gates reordered (i, f, g, o) -> (i, o, f, c)"};
  }

  // Content candidates from the source: every float tensor and every fused weight-norm pair.
  struct Candidate {
    std::string key;  // source name or "X.weight" of a pair
    bool is_pair = false;
    Tensor value;
  };
  std::map<int64_t, std::vector<Candidate>> by_count;
  for (const NamedTensor& t : source.tensors) {
    if (IsFloat(t.tensor.dtype())) by_count[t.tensor.num_elements()].push_back({t.name, false, t.tensor});
  }
  for (const auto& [base, p] : pairs) {
    ASSIGN_OR_RETURN(Tensor f, FuseWeightNorm(*source.Find(p.g), *source.Find(p.v), p.axis));
    by_count[f.num_elements()].push_back({base, true, f});
  }
  for (const auto& [key, d] : source_lstm) {
    by_count[d.value.num_elements()].push_back({key, true, d.value});
  }

  BindResult result;
  std::set<std::string> used;
  auto close = [&](const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!(std::fabs(a[i] - b[i]) <= options.atol + options.rtol * std::fabs(b[i]))) return false;
    }
    return true;
  };
  // Brings `t` (a source-layout tensor) into the initializer's shape: as stored or transposed.
  auto shape_like = [](const Tensor& t, const Shape& want, bool transpose) -> absl::StatusOr<Tensor> {
    Tensor x = t;
    if (transpose) {
      ASSIGN_OR_RETURN(x, PermuteTensor(t, {1, 0}));
    }
    ASSIGN_OR_RETURN(Tensor c, x.Contiguous());
    return c.Reshaped(want);
  };

  const std::map<std::string, Tensor> inits = session.initializers();  // copy: we replace
  for (const auto& [name, init] : inits) {
    if (!IsFloat(init.dtype())) continue;
    // 1. By name (through the schema when there is one).
    if (auto it = single.find(name);
        it != single.end() && it->second.tensor.num_elements() == init.num_elements()) {
      ASSIGN_OR_RETURN(Tensor t, shape_like(it->second.tensor, init.shape(), false));
      RETURN_IF_ERROR(session.ReplaceInitializer(name, t));
      result.bound.push_back({name, it->second.converted, it->second.how});
      used.insert(it->second.converted);
      used.insert(name);
      continue;
    }
    // 2. By content against the source.
    auto bucket = by_count.find(init.num_elements());
    bool bound = false;
    if (bucket != by_count.end()) {
      ASSIGN_OR_RETURN(std::vector<double> want, ToDoubles(init));
      std::optional<std::pair<const Candidate*, bool>> match;
      for (const Candidate& c : bucket->second) {
        for (bool transpose : {false, true}) {
          if (transpose && !(c.value.rank() == 2 && init.rank() == 2 &&
                             c.value.shape()[0] == init.shape()[1] &&
                             c.value.shape()[1] == init.shape()[0])) {
            continue;
          }
          ASSIGN_OR_RETURN(Tensor shaped, shape_like(c.value, init.shape(), transpose));
          ASSIGN_OR_RETURN(std::vector<double> have, ToDoubles(shaped));
          if (!close(have, want)) continue;
          const bool fresh = !used.count(c.key);
          if (!match || fresh) match = std::make_pair(&c, transpose);
          if (fresh) break;
        }
        if (match && !used.count(match->first->key)) break;
      }
      if (match) {
        const Candidate& c = *match->first;
        const auto& table = c.is_pair ? fused : single;
        auto rec = table.find(c.key);
        if (rec != table.end()) {
          ASSIGN_OR_RETURN(Tensor t, shape_like(rec->second.tensor, init.shape(), match->second));
          RETURN_IF_ERROR(session.ReplaceInitializer(name, t));
          result.bound.push_back(
              {name, rec->second.converted,
               absl::StrCat("content: ", c.is_pair ? "derived " : "source ", c.key,
                            match->second ? " (transposed)" : "", "; ", rec->second.how)});
          for (absl::string_view part : absl::StrSplit(rec->second.converted, " + ")) {
            used.insert(std::string(part));
          }
          used.insert(c.key);
          bound = true;
        }
      }
    }
    if (!bound) result.unbound.push_back(name);
  }
  for (const NamedTensor& t : converted.tensors) {
    if (!used.count(t.name)) result.unused_converted.push_back(t.name);
  }
  return result;
}

std::string FormatBindResult(const BindResult& r) {
  std::string s = absl::StrCat("weights: ", r.bound.size(), " initializer(s) replaced by converted "
                               "tensors, ", r.unbound.size(), " left as exported, ",
                               r.unused_converted.size(), " converted tensor(s) unused\n");
  for (const BoundInitializer& b : r.bound) {
    absl::StrAppend(&s, "  ", b.initializer, " <- ", b.converted, "  [", b.how, "]\n");
  }
  if (!r.unbound.empty()) {
    absl::StrAppend(&s, "  left as exported: ", absl::StrJoin(r.unbound, ", "), "\n");
  }
  if (!r.unused_converted.empty()) {
    absl::StrAppend(&s, "  unused converted: ", absl::StrJoin(r.unused_converted, ", "), "\n");
  }
  return s;
}

}  // namespace verify
}  // namespace tp
