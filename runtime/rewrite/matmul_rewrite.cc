#include "runtime/rewrite/matmul_rewrite.h"

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace tp {
namespace rt {
namespace {

// The value of a float32 constant with one element and a rank of at most `max_rank` (a higher
// rank would broadcast the product to a higher rank: not a pure scale).
std::optional<float> Scalar(const WorkGraph& g, const std::string& name, int max_rank) {
  const Tensor* t = g.Constant(name);
  if (t == nullptr || t->dtype() != DType::kF32 || t->num_elements() != 1 || t->rank() > max_rank) {
    return std::nullopt;
  }
  absl::StatusOr<Tensor> c = t->Contiguous();
  if (!c.ok()) return std::nullopt;
  return c->data_as<float>()[0];
}

// Whether a Transpose only swaps the last two of its rank >= 2 dims.
bool SwapsLastTwo(const onnx::NodeProto& t) {
  const std::vector<int64_t> perm = AttrInts(t, "perm");
  const int r = static_cast<int>(perm.size());
  if (r < 2) return false;
  for (int i = 0; i < r - 2; ++i) {
    if (perm[i] != i) return false;
  }
  return perm[r - 2] == r - 1 && perm[r - 1] == r - 2;
}

}  // namespace

int FuseMatMulTransposeScale(WorkGraph* g) {
  const auto uses = g->Uses();
  const auto producers = g->Producers();
  auto sole_reader = [&](const std::string& v) {
    auto u = uses.find(v);
    return !g->IsGraphOutput(v) && u != uses.end() && u->second.size() == 1;
  };
  std::set<int> dead;
  int fused = 0;
  for (int i = 0; i < static_cast<int>(g->nodes.size()); ++i) {
    onnx::NodeProto& n = g->nodes[i];
    if (!IsOp(n, "MatMul") || n.input_size() != 2 || n.output_size() != 1) continue;
    if (!g->IsF32(n.input(0)) || !g->IsF32(n.input(1))) continue;
    std::string a = n.input(0), b = n.input(1), out = n.output(0);
    int64_t trans[2] = {0, 0};
    for (int s = 0; s < 2; ++s) {
      auto p = producers.find(n.input(s));
      if (p == producers.end() || dead.count(p->second)) continue;
      const onnx::NodeProto& t = g->nodes[p->second];
      if (IsOp(t, "Transpose") && SwapsLastTwo(t) && sole_reader(n.input(s))) {
        (s == 0 ? a : b) = t.input(0);
        trans[s] = 1;
        dead.insert(p->second);
      }
    }
    float alpha = 1.0f;
    int scale_node = -1;
    auto u = uses.find(out);
    if (sole_reader(out)) {
      const int c = u->second[0].node;
      const onnx::NodeProto& m = g->nodes[c];
      const bool mul = IsOp(m, "Mul"), div = IsOp(m, "Div");
      if ((mul || div) && m.input_size() == 2) {
        // The product's rank where known; a transposed operand has rank >= 2, so the product
        // has rank >= 1.
        const std::optional<std::vector<int64_t>> dims = g->Dims(out);
        const int out_rank = dims ? static_cast<int>(dims->size()) : (trans[0] | trans[1]) ? 1 : 0;
        const int other = m.input(0) == out ? 1 : 0;
        std::optional<float> v =
            m.input(1 - other) == out ? Scalar(*g, m.input(other), out_rank) : std::nullopt;
        if (v && (mul || other == 1) && (mul || *v != 0.0f)) {
          alpha = mul ? *v : 1.0f / *v;
          scale_node = c;
        }
      }
    }
    if (trans[0] == 0 && trans[1] == 0 && scale_node < 0) continue;
    onnx::NodeProto f;
    f.set_domain(kFusedDomain);
    f.set_op_type("FusedMatMul");
    f.set_name(n.name());
    f.add_input(a);
    f.add_input(b);
    SetAttr(&f, "trans_a", trans[0]);
    SetAttr(&f, "trans_b", trans[1]);
    SetAttr(&f, "alpha", alpha);
    if (scale_node >= 0) {
      // The fused node takes the Mul's output at the Mul's position.
      f.add_output(g->nodes[scale_node].output(0));
      g->nodes[scale_node] = std::move(f);
      dead.insert(i);
    } else {
      f.add_output(out);
      n = std::move(f);
    }
    ++fused;
  }
  std::vector<onnx::NodeProto> kept;
  for (int i = 0; i < static_cast<int>(g->nodes.size()); ++i) {
    if (!dead.count(i)) kept.push_back(std::move(g->nodes[i]));
  }
  g->nodes = std::move(kept);
  return fused;
}

}  // namespace rt
}  // namespace tp
