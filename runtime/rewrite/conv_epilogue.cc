#include "runtime/rewrite/conv_epilogue.h"

#include <optional>

#include "runtime/rewrite/activations.h"

namespace tp {
namespace rt {
namespace {

bool IsFusedConv(const onnx::NodeProto& n) {
  return n.domain() == kFusedDomain &&
         (n.op_type() == "FusedConv" || n.op_type() == "FusedConvTranspose");
}

void SetActivation(onnx::NodeProto* n, const std::string& prefix, const cpu::Activation& a) {
  SetAttr(n, prefix + "activation", std::string(cpu::ActivationName(a.kind)));
  SetAttr(n, prefix + "alpha", a.alpha);
  SetAttr(n, prefix + "beta", a.beta);
}

// Folds the sole reader of conv i's output into it; true when something changed.
bool FoldOne(WorkGraph* g, int i, const std::map<std::string, std::vector<Use>>& uses) {
  onnx::NodeProto& conv = g->nodes[i];
  const std::string out = conv.output(0);
  auto u = uses.find(out);
  if (g->IsGraphOutput(out) || u == uses.end() || u->second.size() != 1) return false;
  const int j = u->second[0].node;
  const onnx::NodeProto& next = g->nodes[j];
  const bool has_act = !AttrString(conv, "activation", "").empty();
  const bool has_residual = conv.input_size() > 3 && !conv.input(3).empty();
  const bool has_post = !AttrString(conv, "post_activation", "").empty();
  std::optional<cpu::Activation> act = AsActivation(*g, next);
  if (act && next.input(0) == out && !has_residual && !has_act) {
    SetActivation(&conv, "", *act);
  } else if (act && next.input(0) == out && has_residual && !has_post) {
    SetActivation(&conv, "post_", *act);
  } else if (IsOp(next, "Add") && next.input_size() == 2 && !has_residual &&
             AttrInt(conv, "dst_blocked", 0) == 1) {
    const std::string r = next.input(0) == out ? next.input(1) : next.input(0);
    if (r == out) return false;
    std::optional<std::vector<int64_t>> od = g->Dims(out), rd = g->Dims(r);
    if (!od || !rd || *od != *rd) return false;
    while (conv.input_size() < 3) conv.add_input("");
    if (conv.input_size() == 3) {
      conv.add_input(r);
    } else {
      conv.set_input(3, r);
    }
  } else {
    return false;
  }
  conv.set_output(0, next.output(0));
  // The fused node runs where the folded one ran: every input (the residual included) is ready.
  g->nodes[j] = std::move(conv);
  g->nodes.erase(g->nodes.begin() + i);
  return true;
}

}  // namespace

int FuseConvEpilogues(WorkGraph* g) {
  int folded = 0;
  for (bool changed = true; changed;) {
    changed = false;
    const auto uses = g->Uses();
    for (int i = 0; i < static_cast<int>(g->nodes.size()); ++i) {
      if (IsFusedConv(g->nodes[i]) && FoldOne(g, i, uses)) {
        ++folded;
        changed = true;
        break;
      }
    }
  }
  return folded;
}

}  // namespace rt
}  // namespace tp
