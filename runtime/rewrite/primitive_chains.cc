#include "runtime/rewrite/primitive_chains.h"

#include <cmath>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"

namespace tp {
namespace rt {
namespace {

class Matcher {
 public:
  explicit Matcher(const WorkGraph& g) : g_(g), uses_(g.Uses()) {}

  const onnx::NodeProto& node(int i) const { return g_.nodes[i]; }
  bool used(int i) const { return used_.count(i) > 0; }
  void MarkUsed(const std::vector<int>& nodes) { used_.insert(nodes.begin(), nodes.end()); }

  // The single consumer of `value` (a value with exactly one use that is not a graph output and
  // whose consumer is not yet part of another chain), or -1.
  int SoleConsumer(const std::string& value) const {
    if (g_.IsGraphOutput(value)) return -1;
    auto it = uses_.find(value);
    if (it == uses_.end() || it->second.size() != 1) return -1;
    const int c = it->second[0].node;
    return used(c) ? -1 : c;
  }
  const std::vector<Use>& Uses(const std::string& value) const {
    static const std::vector<Use> kNone;
    auto it = uses_.find(value);
    return it == uses_.end() ? kNone : it->second;
  }
  bool IsGraphOutput(const std::string& v) const { return g_.IsGraphOutput(v); }

  bool Is(int i, const char* op, int inputs) const {
    const onnx::NodeProto& n = g_.nodes[i];
    return !used(i) && IsOp(n, op) && n.input_size() == inputs && n.output_size() == 1;
  }

  // A float32 scalar constant: rank 0, or rank 1 with one element when `allow_rank1` (the other
  // operand is known to have rank >= 1, so broadcasting keeps its shape).
  std::optional<float> ScalarConstant(const std::string& name, bool allow_rank1) const {
    const Tensor* t = g_.Constant(name);
    if (t == nullptr || t->dtype() != DType::kF32 || t->num_elements() != 1 || t->rank() > 1) {
      return std::nullopt;
    }
    if (t->rank() == 1 && !allow_rank1) return std::nullopt;
    absl::StatusOr<Tensor> c = t->Contiguous();
    if (!c.ok()) return std::nullopt;
    return c->data_as<float>()[0];
  }

  // A float32 constant of rank 1 and its length, or -1.
  int64_t Vector(const std::string& name) const {
    const Tensor* t = g_.Constant(name);
    if (t == nullptr || t->dtype() != DType::kF32 || t->rank() != 1) return -1;
    return t->shape()[0];
  }
  const Tensor* Initializer(const std::string& name) const { return g_.Constant(name); }
  // Inferred rank and last dim of a value; -1 when unknown.
  int Rank(const std::string& v) const {
    const ValueInfo* i = g_.Info(v);
    return i == nullptr || !i->has_shape ? -1 : static_cast<int>(i->dims.size());
  }
  int64_t LastDim(const std::string& v) const {
    const ValueInfo* i = g_.Info(v);
    return i == nullptr || !i->has_shape || i->dims.empty() ? -1 : i->dims.back();
  }
  int opset() const { return g_.opset; }

 private:
  const WorkGraph& g_;
  std::map<std::string, std::vector<Use>> uses_;
  std::set<int> used_;
};

// The operand of a two-input node that is not `value` (by slot), or "" when neither / both are.
std::string Other(const onnx::NodeProto& n, const std::string& value) {
  if (n.input(0) == value && n.input(1) != value) return n.input(1);
  if (n.input(1) == value && n.input(0) != value) return n.input(0);
  return "";
}

bool AxesLastOnly(const onnx::NodeProto& n) {
  bool has_axes = false;
  for (const auto& a : n.attribute()) {
    if (a.name() == "axes") {
      if (a.ints_size() != 1 || a.ints(0) != -1) return false;
      has_axes = true;
    } else if (a.name() == "keepdims") {
      if (a.i() != 1) return false;
    } else {
      return false;
    }
  }
  return has_axes;
}

onnx::NodeProto MakeFused(const char* op, const std::string& name,
                          std::vector<std::string> inputs, const std::string& output) {
  onnx::NodeProto n;
  n.set_op_type(op);
  n.set_domain(kFusedDomain);
  n.set_name(name);
  for (std::string& in : inputs) n.add_input(std::move(in));
  n.add_output(output);
  return n;
}

struct Chain {
  std::vector<int> nodes;  // original node indices; the last one produces the output
  onnx::NodeProto fused;
};

std::optional<Chain> MatchMatMulBias(const Matcher& m, int i) {
  if (!m.Is(i, "MatMul", 2)) return std::nullopt;
  const onnx::NodeProto& mm = m.node(i);
  const Tensor* b = m.Initializer(mm.input(1));
  if (b == nullptr || b->dtype() != DType::kF32 || b->rank() != 2) return std::nullopt;
  const int a = m.SoleConsumer(mm.output(0));
  if (a < 0 || !m.Is(a, "Add", 2)) return std::nullopt;
  const std::string bias = Other(m.node(a), mm.output(0));
  if (bias.empty() || m.Vector(bias) != b->shape()[1]) return std::nullopt;
  Chain c;
  c.nodes = {i, a};
  c.fused = MakeFused("MatMulBias", absl::StrCat(mm.name(), "+bias"),
                      {mm.input(0), mm.input(1), bias}, m.node(a).output(0));
  return c;
}

std::optional<Chain> MatchLayerNorm(const Matcher& m, int i) {
  if (m.opset() >= 18 || !m.Is(i, "ReduceMean", 1) || !AxesLastOnly(m.node(i))) {
    return std::nullopt;
  }
  const std::string x = m.node(i).input(0);
  const int sub = m.SoleConsumer(m.node(i).output(0));
  if (sub < 0 || !m.Is(sub, "Sub", 2) || m.node(sub).input(0) != x ||
      m.node(sub).input(1) != m.node(i).output(0)) {
    return std::nullopt;
  }
  const std::string d = m.node(sub).output(0);
  if (m.IsGraphOutput(d)) return std::nullopt;
  const std::vector<Use>& d_uses = m.Uses(d);
  if (d_uses.size() != 2) return std::nullopt;
  int pow = -1, div = -1;
  for (const Use& u : d_uses) {
    if (m.Is(u.node, "Pow", 2) && u.slot == 0) pow = u.node;
    if (m.Is(u.node, "Div", 2) && u.slot == 0) div = u.node;
  }
  if (pow < 0 || div < 0) return std::nullopt;
  std::optional<float> two = m.ScalarConstant(m.node(pow).input(1), /*allow_rank1=*/true);
  if (!two || *two != 2.0f) return std::nullopt;
  const int rm2 = m.SoleConsumer(m.node(pow).output(0));
  if (rm2 < 0 || !m.Is(rm2, "ReduceMean", 1) || !AxesLastOnly(m.node(rm2))) return std::nullopt;
  const int add = m.SoleConsumer(m.node(rm2).output(0));
  if (add < 0 || !m.Is(add, "Add", 2)) return std::nullopt;
  std::optional<float> eps = m.ScalarConstant(Other(m.node(add), m.node(rm2).output(0)), true);
  if (!eps) return std::nullopt;
  const int sqrt = m.SoleConsumer(m.node(add).output(0));
  if (sqrt < 0 || !m.Is(sqrt, "Sqrt", 1)) return std::nullopt;
  if (m.SoleConsumer(m.node(sqrt).output(0)) != div || m.node(div).input(1) != m.node(sqrt).output(0)) {
    return std::nullopt;
  }
  Chain c;
  c.nodes = {i, sub, pow, rm2, add, sqrt, div};
  std::vector<std::string> inputs = {x};
  std::string out = m.node(div).output(0);
  // Optional affine part: 1-D float initializers whose length is X's known last dim.
  const int64_t dim = m.LastDim(x);
  if (dim > 0) {
    const int mul = m.SoleConsumer(out);
    std::string scale = mul >= 0 && m.Is(mul, "Mul", 2) ? Other(m.node(mul), out) : "";
    if (!scale.empty() && m.Vector(scale) == dim) {
      c.nodes.push_back(mul);
      inputs.push_back(scale);
      out = m.node(mul).output(0);
      const int badd = m.SoleConsumer(out);
      std::string bias = badd >= 0 && m.Is(badd, "Add", 2) ? Other(m.node(badd), out) : "";
      if (!bias.empty() && m.Vector(bias) == dim) {
        c.nodes.push_back(badd);
        inputs.push_back(bias);
        out = m.node(badd).output(0);
      }
    }
  }
  c.fused = MakeFused("LayerNormLastAxis", absl::StrCat(m.node(i).name(), "+layernorm"),
                      std::move(inputs), out);
  onnx::AttributeProto* a = c.fused.add_attribute();
  a->set_name("epsilon");
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(*eps);
  return c;
}

std::optional<Chain> MatchGelu(const Matcher& m, int i) {
  if (!m.Is(i, "Div", 2)) return std::nullopt;
  const std::string x = m.node(i).input(0);
  // Rank-1 constants would broadcast a rank-0 x to [1]; allow them only when x has rank >= 1.
  const bool rank1_ok = m.Rank(x) >= 1;
  std::optional<float> sqrt2 = m.ScalarConstant(m.node(i).input(1), rank1_ok);
  if (!sqrt2 || std::fabs(*sqrt2 - 1.41421356f) > 1e-6f) return std::nullopt;
  const int erf = m.SoleConsumer(m.node(i).output(0));
  if (erf < 0 || !m.Is(erf, "Erf", 1)) return std::nullopt;
  const int add = m.SoleConsumer(m.node(erf).output(0));
  if (add < 0 || !m.Is(add, "Add", 2)) return std::nullopt;
  std::optional<float> one = m.ScalarConstant(Other(m.node(add), m.node(erf).output(0)), rank1_ok);
  if (!one || *one != 1.0f) return std::nullopt;
  const int mul = m.SoleConsumer(m.node(add).output(0));
  if (mul < 0 || !m.Is(mul, "Mul", 2) || Other(m.node(mul), m.node(add).output(0)) != x) {
    return std::nullopt;
  }
  const int half = m.SoleConsumer(m.node(mul).output(0));
  if (half < 0 || !m.Is(half, "Mul", 2)) return std::nullopt;
  std::optional<float> h = m.ScalarConstant(Other(m.node(half), m.node(mul).output(0)), rank1_ok);
  if (!h || *h != 0.5f) return std::nullopt;
  Chain c;
  c.nodes = {i, erf, add, mul, half};
  c.fused = MakeFused("GeluErf", absl::StrCat(m.node(i).name(), "+gelu"), {x},
                      m.node(half).output(0));
  onnx::AttributeProto* a = c.fused.add_attribute();
  a->set_name("sqrt2");
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(*sqrt2);
  return c;
}

}  // namespace

FusionCounts FusePrimitiveChains(WorkGraph* g) {
  Matcher m(*g);
  FusionCounts counts;
  // Chains keyed by the node index that produces their output: the fused node runs there.
  std::map<int, onnx::NodeProto> fused_at;
  for (int i = 0; i < static_cast<int>(g->nodes.size()); ++i) {
    std::optional<Chain> c;
    int* counter = nullptr;
    if ((c = MatchLayerNorm(m, i))) {
      counter = &counts.layer_norm;
    } else if ((c = MatchGelu(m, i))) {
      counter = &counts.gelu;
    } else if ((c = MatchMatMulBias(m, i))) {
      counter = &counts.matmul_bias;
    }
    if (!c) continue;
    m.MarkUsed(c->nodes);
    fused_at[c->nodes.back()] = std::move(c->fused);
    ++*counter;
  }
  std::vector<onnx::NodeProto> nodes;
  for (int i = 0; i < static_cast<int>(g->nodes.size()); ++i) {
    auto f = fused_at.find(i);
    if (f != fused_at.end()) {
      nodes.push_back(std::move(f->second));
    } else if (!m.used(i)) {
      nodes.push_back(std::move(g->nodes[i]));
    }
  }
  g->nodes = std::move(nodes);
  g->RemoveDeadNodes();
  return counts;
}

}  // namespace rt
}  // namespace tp
