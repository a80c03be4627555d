#include "verify/weight_binding.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "convert/schema_engine.h"
#include "core/status_macros.h"
#include "core/tensor_ops.h"
#include "runtime/tensor_proto.h"
#include "verify/derived_params.h"
#include "verify/model_mode.h"
#include "verify/recover.h"

namespace tp {
namespace verify {
namespace {

bool IsFloat(DType d) {
  return d == DType::kF32 || d == DType::kF64 || d == DType::kF16 || d == DType::kBF16;
}

// A graph parameter: an initializer, or the `value` of a Constant node.
struct Parameter {
  std::string name;
  int initializer = -1;  // index into graph.initializer
  int constant = -1;     // index of the Constant node
  Tensor value;
  std::vector<std::pair<int, int>> consumers;  // (node index, input slot)
};

// Something a parameter can be made of: a source tensor, or a parameter derived from several.
struct Candidate {
  enum class Kind { kTensor, kWeightNorm, kRecurrent, kFoldedWeight, kFoldedBias, kSlice };
  Kind kind = Kind::kTensor;
  std::string key;                   // source name, "X.weight", "P.l0.W", "conv:bn"
  std::vector<std::string> sources;  // source tensors it is made of
  WeightNormPair pair;
  RecurrentBlock block;
  BatchNormParams bn;
  std::string conv_weight, conv_bias;  // kFolded*: the convolution's source tensors
  double eps = 0;
  int64_t offset = 0, rows = 0;  // kSlice: rows [offset, offset + rows) of the source
  std::string what;              // for the report
};

// How one consumer takes a parameter.
struct Choice {
  const Candidate* candidate = nullptr;
  bool transpose = false;  // a 2-D source transposed (a Linear weight fed to MatMul)
};

std::string ModuleOfKey(const std::string& key) {
  const size_t dot = key.rfind('.');
  return dot == std::string::npos ? "" : key.substr(0, dot);
}

std::string WithoutCall(const std::string& module) {
  const size_t hash = module.find('#');
  return hash == std::string::npos ? module : module.substr(0, hash);
}

class Binder {
 public:
  Binder(onnx::ModelProto& model, const std::string& base_dir, const Checkpoint& converted,
         const Checkpoint& source, const BindOptions& options)
      : model_(model),
        base_dir_(base_dir),
        converted_(converted),
        source_(source),
        options_(options) {}

  absl::StatusOr<BindResult> Run() {
    ASSIGN_OR_RETURN(recovered_, RecoverSourceLayout(converted_, source_, options_.schema));
    result_.recovery = recovered_.method;
    RETURN_IF_ERROR(CollectParameters());
    BuildCandidates();
    for (auto& [name, p] : params_) RETURN_IF_ERROR(BindParameter(p));
    RETURN_IF_ERROR(Account());
    result_.planned = std::move(recovered_.planned);
    return std::move(result_);
  }

 private:
  // ---- inventory -----------------------------------------------------------------------------

  absl::Status CollectParameters() {
    onnx::GraphProto& g = *model_.mutable_graph();
    for (int i = 0; i < g.initializer_size(); ++i) {
      const onnx::TensorProto& t = g.initializer(i);
      absl::StatusOr<Tensor> v = rt::TensorFromProto(t, "model", base_dir_);
      if (!v.ok() || !IsFloat(v->dtype())) continue;
      Parameter& p = params_[t.name()];
      p.name = t.name();
      p.initializer = i;
      p.value = *std::move(v);
    }
    for (int i = 0; i < g.node_size(); ++i) {
      const onnx::NodeProto& n = g.node(i);
      if (n.op_type() != "Constant" || n.output_size() != 1) continue;
      for (const onnx::AttributeProto& a : n.attribute()) {
        if (a.name() != "value" || !a.has_t()) continue;
        absl::StatusOr<Tensor> v = rt::TensorFromProto(a.t(), "model", base_dir_);
        if (!v.ok() || !IsFloat(v->dtype()) || v->num_elements() < 2) continue;
        Parameter& p = params_[n.output(0)];
        p.name = n.output(0);
        p.constant = i;
        p.value = *std::move(v);
      }
    }
    // The exporter de-duplicates identical initializers by routing one through Identity nodes
    // named after the others (`Identity(lin1.bias) -> lin2.bias`): their consumers consume the
    // parameter (and may be given their own copy, bypassing the Identity).
    std::map<std::string, std::string> alias;  // Identity output -> parameter
    for (bool changed = true; changed;) {
      changed = false;
      for (const onnx::NodeProto& n : g.node()) {
        if (n.op_type() != "Identity" || n.input_size() != 1 || n.output_size() != 1) continue;
        std::string root = n.input(0);
        if (auto a = alias.find(root); a != alias.end()) root = a->second;
        if (!params_.count(root) || alias.count(n.output(0))) continue;
        alias[n.output(0)] = root;
        changed = true;
      }
    }
    for (int i = 0; i < g.node_size(); ++i) {
      const onnx::NodeProto& n = g.node(i);
      if (n.op_type() == "Identity" && n.input_size() == 1 && alias.count(n.output(0))) continue;
      for (int k = 0; k < n.input_size(); ++k) {
        std::string name = n.input(k);
        if (auto a = alias.find(name); a != alias.end()) name = a->second;
        auto it = params_.find(name);
        if (it != params_.end()) it->second.consumers.push_back({i, k});
      }
    }
    // Modules the source knows (for scope matching of `_k` call suffixes).
    for (const NamedTensor& t : source_.tensors) source_modules_.insert(ModuleOfKey(t.name));
    for (int i = 0; i < g.node_size(); ++i) modules_with_nodes_.insert(ConsumerModule(i));
    return absl::OkStatus();
  }

  void BuildCandidates() {
    std::vector<std::string> names;
    for (const NamedTensor& t : source_.tensors) names.push_back(t.name);
    TensorGetter get = [this](const std::string& n) { return source_.Find(n); };
    for (const NamedTensor& t : source_.tensors) {
      if (!IsFloat(t.tensor.dtype())) continue;
      Candidate c;
      c.kind = Candidate::Kind::kTensor;
      c.key = t.name;
      c.sources = {t.name};
      c.what = "source tensor";
      candidates_.push_back(std::move(c));
    }
    for (const WeightNormPair& p : FindWeightNormPairs(names, get)) {
      Candidate c;
      c.kind = Candidate::Kind::kWeightNorm;
      c.key = p.base;
      c.sources = {p.g, p.v};
      c.pair = p;
      c.what = p.axis < 0 ? "weight norm g*v/||v|| (over the whole tensor)"
                          : absl::StrCat("weight norm g*v/||v|| (dim ", p.axis, ")");
      candidates_.push_back(std::move(c));
    }
    for (const RecurrentBlock& b : FindRecurrentBlocks(names, get)) {
      Candidate c;
      c.kind = Candidate::Kind::kRecurrent;
      c.key = b.key;
      c.sources = b.sources;
      c.block = b;
      c.what = absl::StrCat(b.op, " block, gates in ONNX order");
      candidates_.push_back(std::move(c));
    }
    batch_norms_ = FindBatchNorms(names, get);
    for (size_t i = 0; i < names.size(); ++i) name_index_[names[i]] = static_cast<int>(i);
  }

  absl::StatusOr<const std::vector<double>*> SourceValue(const Candidate& c) {
    auto it = source_values_.find(c.key);
    if (it != source_values_.end()) return &it->second;
    TensorGetter get = [this](const std::string& n) { return source_.Find(n); };
    Tensor t;
    switch (c.kind) {
      case Candidate::Kind::kTensor:
        t = *source_.Find(c.key);
        break;
      case Candidate::Kind::kWeightNorm: {
        ASSIGN_OR_RETURN(t, WeightNormProduct(c.pair, get));
        break;
      }
      case Candidate::Kind::kRecurrent: {
        ASSIGN_OR_RETURN(t, RecurrentBlockValue(c.block, get));
        break;
      }
      default:
        return absl::InternalError("folded candidates have no precomputed value");
    }
    ASSIGN_OR_RETURN(std::vector<double> v, ToDoubleVector(t));
    source_shapes_[c.key] = t.shape();
    return &(source_values_[c.key] = std::move(v));
  }

  bool Close(const std::vector<double>& a, const std::vector<double>& b) const {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!(std::fabs(a[i] - b[i]) <= options_.atol + options_.rtol * std::fabs(b[i])))
        return false;
    }
    return true;
  }

  // ---- matching ------------------------------------------------------------------------------

  // Every candidate whose value equals the parameter, as stored, reshaped or transposed.
  absl::StatusOr<std::vector<Choice>> ContentMatches(const Parameter& p) {
    std::vector<Choice> out;
    ASSIGN_OR_RETURN(std::vector<double> want, ToDoubleVector(p.value));
    for (const Candidate& c : candidates_) {
      // Cheap shape filter before computing anything derived.
      const Tensor* direct = c.kind == Candidate::Kind::kTensor ? source_.Find(c.key) : nullptr;
      if (direct != nullptr && direct->num_elements() != p.value.num_elements()) continue;
      ASSIGN_OR_RETURN(const std::vector<double>* have, SourceValue(c));
      if (have->size() != want.size()) continue;
      if (Close(*have, want)) {
        out.push_back({&c, false});
        continue;
      }
      const Shape& s = source_shapes_[c.key];
      if (s.size() == 2 && p.value.rank() == 2 && s[0] == p.value.shape()[1] &&
          s[1] == p.value.shape()[0] && s[0] != 1 && s[1] != 1) {
        std::vector<double> t(have->size());
        for (int64_t i = 0; i < s[0]; ++i)
          for (int64_t j = 0; j < s[1]; ++j) t[j * s[0] + i] = (*have)[i * s[1] + j];
        if (Close(t, want)) out.push_back({&c, true});
      }
    }
    return out;
  }

  // A convolution weight the exporter multiplied by the BatchNorm after it. With
  // `folded_away_only`, only BatchNorms that have no node in the graph are tried.
  absl::StatusOr<std::optional<Choice>> FoldedMatch(const Parameter& p, const std::string& module,
                                                    bool folded_away_only) {
    if (p.value.rank() < 3) return std::optional<Choice>();
    const std::string w_name = absl::StrCat(WithoutCall(module), ".weight");
    const Tensor* w = source_.Find(w_name);
    if (w == nullptr || w->shape() != p.value.shape()) return std::optional<Choice>();
    const int w_at = name_index_.count(w_name) ? name_index_[w_name] : 0;
    std::vector<const BatchNormParams*> order;
    for (const BatchNormParams& bn : batch_norms_) {
      if (bn.channels != p.value.shape()[0]) continue;
      if (folded_away_only && modules_with_nodes_.count(bn.module)) continue;
      order.push_back(&bn);
    }
    // The BatchNorm registered right after the convolution comes first.
    std::stable_sort(order.begin(), order.end(),
                     [&](const BatchNormParams* a, const BatchNormParams* b) {
                       const int da = name_index_[a->mean] - w_at, db = name_index_[b->mean] - w_at;
                       return (da < 0 ? 1 << 30 : da) < (db < 0 ? 1 << 30 : db);
                     });
    // What the exporter folds is the BatchNorm right after the convolution: only that one, when
    // guessing ahead of a plain match.
    if (folded_away_only && order.size() > 1) order.resize(1);
    if (folded_away_only && !order.empty() && name_index_[order[0]->mean] < w_at) order.clear();
    TensorGetter get = [this](const std::string& n) { return source_.Find(n); };
    ASSIGN_OR_RETURN(std::vector<double> want, ToDoubleVector(p.value));
    for (const BatchNormParams* bn : order) {
      absl::StatusOr<double> eps = EstimateBatchNormEps(*w, p.value, *bn, 0, get);
      if (!eps.ok()) continue;
      ASSIGN_OR_RETURN(Tensor folded, FoldBatchNormWeight(*w, *bn, *eps, 0, get));
      ASSIGN_OR_RETURN(std::vector<double> have, ToDoubleVector(folded));
      if (!Close(have, want)) continue;
      auto c = std::make_unique<Candidate>();
      c->kind = Candidate::Kind::kFoldedWeight;
      c->key = absl::StrCat(w_name, "*", bn->module);
      c->conv_weight = w_name;
      c->conv_bias = source_.Find(WithoutCall(module) + ".bias") != nullptr
                         ? WithoutCall(module) + ".bias"
                         : "";
      c->bn = *bn;
      c->eps = *eps;
      c->sources = {w_name, bn->weight, bn->bias, bn->mean, bn->var};
      c->what = absl::StrCat("convolution with BatchNorm \"", bn->module, "\" folded in (eps ",
                             absl::StrFormat("%.3g", *eps), ")");
      folded_.push_back(std::move(c));
      return std::optional<Choice>(Choice{folded_.back().get(), false});
    }
    return std::optional<Choice>();
  }

  // The bias the exporter made for a folded convolution.
  absl::StatusOr<std::optional<Choice>> FoldedBiasMatch(const Parameter& p, const Candidate& w) {
    TensorGetter get = [this](const std::string& n) { return source_.Find(n); };
    const Tensor* b = w.conv_bias.empty() ? nullptr : source_.Find(w.conv_bias);
    ASSIGN_OR_RETURN(Tensor folded, FoldBatchNormBias(b, w.bn, w.eps, get));
    ASSIGN_OR_RETURN(std::vector<double> have, ToDoubleVector(folded));
    ASSIGN_OR_RETURN(std::vector<double> want, ToDoubleVector(p.value));
    if (!Close(have, want)) return std::optional<Choice>();
    auto c = std::make_unique<Candidate>(w);
    c->kind = Candidate::Kind::kFoldedBias;
    c->key = absl::StrCat(w.key, ":bias");
    c->sources = {w.bn.weight, w.bn.bias, w.bn.mean, w.bn.var};
    if (!w.conv_bias.empty()) c->sources.insert(c->sources.begin(), w.conv_bias);
    c->what = absl::StrCat("bias of a convolution with BatchNorm \"", w.bn.module, "\" folded in");
    folded_.push_back(std::move(c));
    return std::optional<Choice>(Choice{folded_.back().get(), false});
  }

  // Rows of a source tensor the exporter sliced off (nn.MultiheadAttention's packed in_proj
  // weight split into query and key/value parts), as stored or transposed.
  absl::StatusOr<std::optional<Choice>> SliceMatch(const Parameter& p) {
    ASSIGN_OR_RETURN(std::vector<double> want, ToDoubleVector(p.value));
    for (const NamedTensor& t : source_.tensors) {
      const Tensor& s = t.tensor;
      if (!IsFloat(s.dtype()) || s.rank() < 1 || s.rank() > 2 ||
          s.num_elements() <= p.value.num_elements()) {
        continue;
      }
      const int64_t cols = s.rank() == 2 ? s.shape()[1] : 1;
      if (p.value.num_elements() % cols != 0) continue;
      const int64_t rows = p.value.num_elements() / cols;
      for (bool transpose : {false, true}) {
        if (transpose && !(s.rank() == 2 && p.value.rank() == 2 && p.value.shape()[0] == cols &&
                           p.value.shape()[1] == rows)) {
          continue;
        }
        // The parameter as source rows.
        std::vector<double> rows_of_p(want.size());
        if (transpose) {
          for (int64_t i = 0; i < rows; ++i)
            for (int64_t j = 0; j < cols; ++j) rows_of_p[i * cols + j] = want[j * rows + i];
        } else {
          rows_of_p = want;
        }
        Candidate probe;
        probe.key = t.name;
        ASSIGN_OR_RETURN(const std::vector<double>* have, SourceValue(probe));
        const int64_t total = s.shape()[0];
        for (int64_t o = 0; o + rows <= total; ++o) {
          if (!(std::fabs((*have)[o * cols] - rows_of_p[0]) <=
                options_.atol + options_.rtol * std::fabs(rows_of_p[0]))) {
            continue;
          }
          std::vector<double> part(have->begin() + o * cols, have->begin() + (o + rows) * cols);
          if (!Close(part, rows_of_p)) continue;
          auto c = std::make_unique<Candidate>();
          c->kind = Candidate::Kind::kSlice;
          c->key = absl::StrCat(t.name, "[", o, ":", o + rows, "]");
          c->sources = {t.name};
          c->offset = o;
          c->rows = rows;
          c->what = absl::StrCat("rows ", o, ":", o + rows, " of");
          folded_.push_back(std::move(c));
          return std::optional<Choice>(Choice{folded_.back().get(), transpose});
        }
      }
    }
    return std::optional<Choice>();
  }

  // Among equal-content matches, the one of the consumer's own module, else one not yet taken.
  Choice Prefer(const std::vector<Choice>& matches, const std::string& module) {
    const std::string m = WithoutCall(module);
    for (const Choice& c : matches) {
      if (!m.empty() && absl::StartsWith(c.candidate->key, m + ".")) return c;
    }
    for (const Choice& c : matches) {
      if (!taken_.count(c.candidate->key)) return c;
    }
    return matches.front();
  }

  std::string ConsumerModule(int node) const {
    return NodeScopeModule(model_.graph().node(node).name(),
                           [this](const std::string& n) { return source_modules_.count(n) > 0; });
  }

  // ---- the converted counterpart -------------------------------------------------------------

  const Tensor* Converted(const std::string& source_name) const {
    auto it = recovered_.by_source.find(source_name);
    return it == recovered_.by_source.end() ? nullptr : &it->second.tensor;
  }

  // The converted tensors a candidate is made of, and its value computed from them; nullopt (with
  // the reason) when a piece is missing from the converted file.
  absl::StatusOr<std::optional<Tensor>> ConvertedValue(const Candidate& c,
                                                       std::vector<std::string>& used,
                                                       std::string& why) {
    TensorGetter get = [this](const std::string& n) { return Converted(n); };
    auto need = [&](const std::vector<std::string>& names) {
      for (const std::string& n : names) {
        auto it = recovered_.by_source.find(n);
        if (it == recovered_.by_source.end()) {
          why = absl::StrCat("\"", n, "\" has no converted counterpart");
          return false;
        }
        used.insert(used.end(), it->second.converted.begin(), it->second.converted.end());
      }
      return true;
    };
    switch (c.kind) {
      case Candidate::Kind::kTensor:
        if (!need({c.key})) return std::optional<Tensor>();
        return std::optional<Tensor>(*Converted(c.key));
      case Candidate::Kind::kWeightNorm: {
        auto fused = recovered_.fused_weight_norm.find(c.key);
        if (fused != recovered_.fused_weight_norm.end()) {
          used.insert(used.end(), fused->second.converted.begin(), fused->second.converted.end());
          return std::optional<Tensor>(fused->second.tensor);
        }
        if (!need(c.sources)) return std::optional<Tensor>();
        ASSIGN_OR_RETURN(Tensor t, WeightNormProduct(c.pair, get));
        return std::optional<Tensor>(std::move(t));
      }
      case Candidate::Kind::kRecurrent: {
        if (!need(c.sources)) return std::optional<Tensor>();
        ASSIGN_OR_RETURN(Tensor t, RecurrentBlockValue(c.block, get));
        return std::optional<Tensor>(std::move(t));
      }
      case Candidate::Kind::kFoldedWeight: {
        if (!need(c.sources)) return std::optional<Tensor>();
        ASSIGN_OR_RETURN(Tensor t,
                         FoldBatchNormWeight(*Converted(c.conv_weight), c.bn, c.eps, 0, get));
        return std::optional<Tensor>(std::move(t));
      }
      case Candidate::Kind::kSlice: {
        if (!need(c.sources)) return std::optional<Tensor>();
        ASSIGN_OR_RETURN(Tensor t, SliceTensor(*Converted(c.sources[0]), 0, c.offset, c.rows));
        return std::optional<Tensor>(std::move(t));
      }
      case Candidate::Kind::kFoldedBias: {
        if (!need(c.sources)) return std::optional<Tensor>();
        const Tensor* b = c.conv_bias.empty() ? nullptr : Converted(c.conv_bias);
        ASSIGN_OR_RETURN(Tensor t, FoldBatchNormBias(b, c.bn, c.eps, get));
        return std::optional<Tensor>(std::move(t));
      }
    }
    return std::optional<Tensor>();
  }

  // ---- binding -------------------------------------------------------------------------------

  absl::Status BindParameter(Parameter& p) {
    if (p.consumers.empty()) return absl::OkStatus();
    std::optional<std::vector<Choice>> matches;  // content matches, computed once
    std::vector<std::pair<std::pair<int, int>, Choice>> chosen;
    for (const auto& consumer : p.consumers) {
      const std::string module = ConsumerModule(consumer.first);
      const onnx::NodeProto& node = model_.graph().node(consumer.first);
      std::optional<Choice> choice;
      // A convolution whose BatchNorm has no node was folded with it, even when the fold changes
      // the weight by less than the tolerance (a BatchNorm at its initialization): that BatchNorm's
      // parameters are what the weight is made of, before any plain match of the weight alone.
      if (consumer.second == 1 && node.op_type() == "Conv") {
        ASSIGN_OR_RETURN(choice, FoldedMatch(p, module, /*folded_away_only=*/true));
        if (choice) folded_by_node_[consumer.first] = choice->candidate;
      }
      // A folded convolution's bias follows its weight.
      if (!choice && consumer.second == 2 && (node.op_type() == "Conv")) {
        auto w = folded_by_node_.find(consumer.first);
        if (w != folded_by_node_.end()) {
          ASSIGN_OR_RETURN(choice, FoldedBiasMatch(p, *w->second));
        }
      }
      if (!choice) {
        if (!matches) {
          ASSIGN_OR_RETURN(matches, ContentMatches(p));
        }
        if (!matches->empty()) choice = Prefer(*matches, module);
      }
      if (!choice && consumer.second == 1 && node.op_type() == "Conv") {
        ASSIGN_OR_RETURN(choice, FoldedMatch(p, module, /*folded_away_only=*/false));
        if (choice) folded_by_node_[consumer.first] = choice->candidate;
      }
      if (!choice) {
        ASSIGN_OR_RETURN(choice, SliceMatch(p));
      }
      if (!choice) continue;
      for (const std::string& src : choice->candidate->sources) {
        result_.source_ops.emplace(src, node.op_type());
      }
      taken_.insert(choice->candidate->key);
      chosen.push_back({consumer, *choice});
    }
    if (chosen.empty()) {
      result_.left_as_exported.push_back(p.name);
      return absl::OkStatus();
    }
    // Consumers taking the same candidate share one value; the first group keeps the parameter,
    // the others get their own copy.
    std::map<std::pair<std::string, bool>, std::vector<int>> groups;  // -> indexes into chosen
    std::vector<std::pair<std::string, bool>> order;
    for (size_t i = 0; i < chosen.size(); ++i) {
      const auto key = std::make_pair(chosen[i].second.candidate->key, chosen[i].second.transpose);
      if (!groups.count(key)) order.push_back(key);
      groups[key].push_back(static_cast<int>(i));
    }
    const bool all_consumers = chosen.size() == p.consumers.size() && order.size() == 1;
    for (size_t g = 0; g < order.size(); ++g) {
      const std::vector<int>& members = groups[order[g]];
      const Choice& c = chosen[members[0]].second;
      std::vector<std::string> used;
      std::string why;
      ASSIGN_OR_RETURN(std::optional<Tensor> value, ConvertedValue(*c.candidate, used, why));
      if (!value) {
        result_.left_as_exported.push_back(absl::StrCat(p.name, " (", why, ")"));
        continue;
      }
      Tensor v = *value;
      if (c.transpose) {
        ASSIGN_OR_RETURN(v, PermuteTensor(v, {1, 0}));
      }
      ASSIGN_OR_RETURN(Tensor packed, v.Contiguous());
      ASSIGN_OR_RETURN(Tensor shaped, packed.Reshaped(p.value.shape()));
      ASSIGN_OR_RETURN(Tensor typed, Cast(shaped, p.value.dtype()));
      std::string target = p.name;
      std::set<std::string> modules;
      for (int m : members) modules.insert(ConsumerModule(chosen[m].first.first));
      if (g == 0 || all_consumers) {
        RETURN_IF_ERROR(Replace(p, typed));
      } else {
        target = absl::StrCat(p.name, "::", *modules.begin());
        ASSIGN_OR_RETURN(onnx::TensorProto proto, rt::TensorToProto(typed, target));
        *model_.mutable_graph()->add_initializer() = std::move(proto);
        for (int m : members) {
          const auto& [node, slot] = chosen[m].first;
          model_.mutable_graph()->mutable_node(node)->set_input(slot, target);
        }
      }
      BoundParameter b;
      b.parameter = target;
      b.copy = !(g == 0 || all_consumers);
      if (!all_consumers) b.consumers = absl::StrJoin(modules, ", ");
      std::sort(used.begin(), used.end());
      used.erase(std::unique(used.begin(), used.end()), used.end());
      b.converted = used;
      const std::string how_source =
          c.candidate->kind == Candidate::Kind::kTensor && c.candidate->key == p.name
              ? "name"
              : absl::StrCat("content: ", c.candidate->what, " of ",
                             absl::StrJoin(c.candidate->sources, " + "),
                             c.transpose ? ", transposed" : "");
      b.how = how_source;
      if (c.candidate->kind == Candidate::Kind::kSlice) {
        // A slice exercises its rows only; the source counts once every row is bound.
        const Tensor* src = source_.Find(c.candidate->sources[0]);
        std::vector<bool>& rows = slice_rows_[c.candidate->sources[0]];
        rows.resize(src->shape()[0], false);
        for (int64_t r = 0; r < c.candidate->rows; ++r) rows[c.candidate->offset + r] = true;
        if (std::all_of(rows.begin(), rows.end(), [](bool b) { return b; })) {
          for (const std::string& u : used) exercised_.insert(u);
        }
      } else {
        for (const std::string& u : used) exercised_.insert(u);
      }
      for (const std::string& m : modules) {
        std::vector<std::string>& list = result_.module_weights[WithoutCall(m)];
        list.insert(list.end(), used.begin(), used.end());
      }
      result_.bound.push_back(std::move(b));
    }
    return absl::OkStatus();
  }

  absl::Status Replace(const Parameter& p, const Tensor& value) {
    ASSIGN_OR_RETURN(onnx::TensorProto proto, rt::TensorToProto(value, p.name));
    onnx::GraphProto& g = *model_.mutable_graph();
    if (p.initializer >= 0) {
      *g.mutable_initializer(p.initializer) = std::move(proto);
      return absl::OkStatus();
    }
    for (onnx::AttributeProto& a : *g.mutable_node(p.constant)->mutable_attribute()) {
      if (a.name() == "value") *a.mutable_t() = std::move(proto);
    }
    return absl::OkStatus();
  }

  // ---- accounting ----------------------------------------------------------------------------

  absl::Status Account() {
    for (const NamedTensor& t : converted_.tensors) {
      if (!IsFloat(t.tensor.dtype()) && t.tensor.dtype() != DType::kQ8_0) {
        const Tensor* s = source_.Find(t.name);
        bool equal = false;
        if (s != nullptr && s->shape() == t.tensor.shape()) {
          ASSIGN_OR_RETURN(std::vector<double> a, ToDoubleVector(*s));
          ASSIGN_OR_RETURN(std::vector<double> b, ToDoubleVector(t.tensor));
          equal = a == b;
        }
        (equal ? result_.integers_checked : result_.integers_differ).push_back(t.name);
        continue;
      }
      ++result_.converted_float;
      if (exercised_.count(t.name)) continue;
      if (recovered_.not_in_graph.count(t.name)) {
        result_.declared_unused.push_back(t.name);
        continue;
      }
      Unexercised u{t.name, Nearest(t.name, t.tensor), {}, ""};
      Suggest(t.name, t.tensor, u.suggested);
      result_.unexercised.push_back(std::move(u));
    }
    return absl::OkStatus();
  }

  // The graph parameter most likely meant: same element count, then the closest name.
  std::string Nearest(const std::string& name, const Tensor& t) const {
    auto unrec = recovered_.unrecoverable.find(name);
    std::string best;
    int best_score = 1 << 30;
    for (const auto& [pname, p] : params_) {
      int score = EditDistance(name, pname);
      if (p.value.num_elements() != t.num_elements()) score += 1000;
      if (score < best_score) {
        best_score = score;
        best = pname;
      }
    }
    std::string out = best.empty() ? "no graph parameter" : absl::StrCat("nearest: \"", best, "\"");
    if (unrec != recovered_.unrecoverable.end()) absl::StrAppend(&out, "; ", unrec->second);
    return out;
  }

  // The nearest parameter by name, then up to three more of the same element count by name.
  void Suggest(const std::string& name, const Tensor& t, std::vector<SuggestedParameter>& out) {
    std::vector<std::pair<int, const Parameter*>> ranked;
    for (const auto& [pname, p] : params_) ranked.push_back({EditDistance(name, pname), &p});
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 0; i < ranked.size() && out.size() < 4; ++i) {
      const Parameter& p = *ranked[i].second;
      if (i > 0 && p.value.num_elements() != t.num_elements()) continue;
      const std::string op =
          p.consumers.empty() ? "" : model_.graph().node(p.consumers[0].first).op_type();
      out.push_back({p.name, op, p.value});
    }
  }

  onnx::ModelProto& model_;
  const std::string base_dir_;
  const Checkpoint& converted_;
  const Checkpoint& source_;
  const BindOptions& options_;
  RecoveredSet recovered_;
  BindResult result_;
  std::map<std::string, Parameter> params_;
  std::vector<Candidate> candidates_;
  std::vector<std::unique_ptr<Candidate>> folded_;
  std::map<int, const Candidate*> folded_by_node_;  // Conv node -> its folded weight candidate
  std::vector<BatchNormParams> batch_norms_;
  std::map<std::string, int> name_index_;
  std::set<std::string> source_modules_;
  std::set<std::string> modules_with_nodes_;  // scope modules of the graph's nodes
  std::map<std::string, std::vector<double>> source_values_;
  std::map<std::string, Shape> source_shapes_;
  std::set<std::string> taken_;
  std::map<std::string, std::vector<bool>> slice_rows_;  // source -> rows bound through slices
  std::set<std::string> exercised_;
};

}  // namespace

absl::StatusOr<BindResult> BindConvertedWeights(onnx::ModelProto& model,
                                                const std::string& base_dir,
                                                const Checkpoint& converted,
                                                const Checkpoint& source,
                                                const BindOptions& options) {
  return Binder(model, base_dir, converted, source, options).Run();
}

std::string FormatBindResult(const BindResult& r, bool verbose) {
  int by_name = 0, by_content = 0, copies = 0;
  for (const BoundParameter& b : r.bound) {
    (b.how == "name" ? by_name : by_content)++;
    if (b.copy) ++copies;
  }
  const int exercised = r.converted_float - static_cast<int>(r.unexercised.size()) -
                        static_cast<int>(r.declared_unused.size());
  std::string s =
      absl::StrCat("weights: ", exercised, " of ", r.converted_float,
                   " converted float tensors exercised, bound into ", r.bound.size(),
                   " graph parameters (", by_name, " by name, ", by_content, " by content",
                   copies > 0 ? absl::StrCat(", ", copies, " per-consumer copies") : "", "); ",
                   r.left_as_exported.size(), " float constants left as exported");
  if (!r.integers_checked.empty()) {
    absl::StrAppend(&s, "; ", r.integers_checked.size(), " integer tensors equal to the source");
  }
  absl::StrAppend(&s, " [", r.recovery, "]\n");
  if (verbose) {
    for (const BoundParameter& b : r.bound) {
      absl::StrAppend(&s, "  ", b.parameter,
                      b.consumers.empty() ? "" : absl::StrCat(" (for ", b.consumers, ")"), " <- ",
                      absl::StrJoin(b.converted, " + "), "  [", b.how, "]\n");
    }
    if (!r.left_as_exported.empty()) {
      absl::StrAppend(&s, "  left as exported: ", absl::StrJoin(r.left_as_exported, ", "), "\n");
    }
    if (!r.declared_unused.empty()) {
      absl::StrAppend(
          &s, "  declared unused by the schema: ", absl::StrJoin(r.declared_unused, ", "), "\n");
    }
  }
  return s;
}

std::vector<std::string> BindProblems(const BindResult& r) {
  std::vector<std::string> out;
  if (!r.unexercised.empty()) {
    std::vector<std::string> items;
    for (const Unexercised& u : r.unexercised) {
      items.push_back(absl::StrCat("\"", u.converted, "\" (", u.nearest,
                                   u.diagnosis.empty() ? "" : "; weight diagnosis: ", u.diagnosis,
                                   ")"));
    }
    out.push_back(absl::StrCat(r.unexercised.size(), " converted tensor",
                               r.unexercised.size() == 1 ? " was" : "s were",
                               " not exercised by the graph: ", absl::StrJoin(items, ", ")));
  }
  if (!r.integers_differ.empty()) {
    out.push_back(absl::StrCat(
        r.integers_differ.size(),
        " integer tensors differ from the source: ", absl::StrJoin(r.integers_differ, ", ")));
  }
  return out;
}

}  // namespace verify
}  // namespace tp
