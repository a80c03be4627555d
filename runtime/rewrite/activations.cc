#include "runtime/rewrite/activations.h"

#include <cfloat>
#include <cmath>

namespace tp {
namespace rt {
namespace {

// A float32 scalar constant (or an absent optional input: `def`).
std::optional<float> ScalarOr(const WorkGraph& g, const onnx::NodeProto& n, int slot, float def) {
  if (slot >= n.input_size() || n.input(slot).empty()) return def;
  const Tensor* t = g.Constant(n.input(slot));
  if (t == nullptr || t->dtype() != DType::kF32 || t->num_elements() != 1) return std::nullopt;
  absl::StatusOr<Tensor> c = t->Contiguous();
  if (!c.ok()) return std::nullopt;
  return c->data_as<float>()[0];
}

}  // namespace

std::optional<cpu::Activation> AsActivation(const WorkGraph& g, const onnx::NodeProto& n) {
  using cpu::Activation;
  if (n.output_size() != 1 || n.input_size() < 1) return std::nullopt;
  if (n.domain() == kFusedDomain) {
    if (n.op_type() == "GeluErf" && n.input_size() == 1) return Activation{Activation::kGeluErf};
    if (n.op_type() == "HardSwish" && n.input_size() == 1) {
      return Activation{Activation::kHardSwish};
    }
    return std::nullopt;
  }
  if (!(n.domain().empty() || n.domain() == "ai.onnx")) return std::nullopt;
  const std::string& op = n.op_type();
  if (op != "Clip" && n.input_size() != 1) return std::nullopt;
  if (op == "Relu") return Activation{Activation::kRelu};
  if (op == "LeakyRelu") return Activation{Activation::kLeakyRelu, AttrFloat(n, "alpha", 0.01f)};
  if (op == "Sigmoid") return Activation{Activation::kSigmoid};
  if (op == "Tanh") return Activation{Activation::kTanh};
  if (op == "HardSwish") return Activation{Activation::kHardSwish};
  if (op == "HardSigmoid") {
    return Activation{Activation::kHardSigmoid, AttrFloat(n, "alpha", 0.2f),
                      AttrFloat(n, "beta", 0.5f)};
  }
  if (op == "Clip") {
    std::optional<float> lo, hi;
    if (g.opset >= 11) {
      lo = ScalarOr(g, n, 1, -FLT_MAX);
      hi = ScalarOr(g, n, 2, FLT_MAX);
    } else {
      lo = AttrFloat(n, "min", -FLT_MAX);
      hi = AttrFloat(n, "max", FLT_MAX);
    }
    if (!lo || !hi || !(*lo <= *hi)) return std::nullopt;
    return Activation{Activation::kClip, *lo, *hi};
  }
  return std::nullopt;
}

int FuseHardSwish(WorkGraph* g) {
  int fused = 0;
  const auto uses = g->Uses();
  const auto producers = g->Producers();
  for (onnx::NodeProto& n : g->nodes) {
    if (!IsOp(n, "Mul") || n.input_size() != 2 || n.output_size() != 1) continue;
    for (int s = 0; s < 2; ++s) {
      auto p = producers.find(n.input(s));
      if (p == producers.end()) continue;
      onnx::NodeProto& hs = g->nodes[p->second];
      if (!IsOp(hs, "HardSigmoid") || hs.input_size() != 1 || hs.input(0) != n.input(1 - s)) {
        continue;
      }
      if (std::fabs(AttrFloat(hs, "alpha", 0.2f) - 1.0f / 6.0f) > 1e-7f ||
          AttrFloat(hs, "beta", 0.5f) != 0.5f) {
        continue;
      }
      auto u = uses.find(hs.output(0));
      if (u == uses.end() || u->second.size() != 1 || g->IsGraphOutput(hs.output(0))) continue;
      const std::string x = hs.input(0);
      // In the fused domain: ONNX's HardSwish needs opset 14, the pattern comes from older ones.
      n.set_op_type("HardSwish");
      n.set_domain(kFusedDomain);
      n.clear_input();
      n.add_input(x);
      n.clear_attribute();
      ++fused;
      break;
    }
  }
  g->RemoveDeadNodes();
  return fused;
}

}  // namespace rt
}  // namespace tp
