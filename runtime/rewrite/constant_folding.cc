#include "runtime/rewrite/constant_folding.h"

#include <set>
#include <string>
#include <vector>

#include "runtime/cpu/kernel_table.h"
#include "runtime/kernel.h"

namespace tp {
namespace rt {
namespace {

bool Foldable(const onnx::NodeProto& n) {
  static const std::set<std::string> kNever = {
      "RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike", "Bernoulli",
      "Multinomial", "If", "Loop", "Scan", "SequenceMap",
  };
  if (!(n.domain().empty() || n.domain() == "ai.onnx")) return false;
  if (kNever.count(n.op_type())) return false;
  for (const auto& a : n.attribute()) {
    if (a.has_g() || a.graphs_size() > 0) return false;
  }
  return n.output_size() > 0;
}

}  // namespace

int FoldConstants(WorkGraph* g) {
  const KernelTable& table = CpuKernelTable();
  int folded = 0;
  std::vector<onnx::NodeProto> kept;
  for (onnx::NodeProto& n : g->nodes) {
    bool all_constant = Foldable(n);
    std::vector<const Tensor*> inputs;
    for (const std::string& in : n.input()) {
      if (!all_constant) break;
      if (in.empty()) {
        inputs.push_back(nullptr);
        continue;
      }
      const Tensor* t = g->Constant(in);
      all_constant = t != nullptr;
      inputs.push_back(t);
    }
    const KernelDef* k = all_constant ? table.Find("", n.op_type(), g->opset) : nullptr;
    bool done = false;
    if (k != nullptr) {
      KernelContext ctx(n, g->opset, inputs, 1);
      if (k->fn(ctx).ok()) {
        done = true;
        for (int i = 0; i < n.output_size() && done; ++i) {
          const Tensor& t = ctx.outputs()[i];
          const bool is_tensor = t.rank() > 0 || t.num_elements() == 1;
          done = n.output(i).empty() || (is_tensor && t.nbytes() <= kMaxFoldedBytes);
        }
        for (int i = 0; i < n.output_size() && done; ++i) {
          if (n.output(i).empty()) continue;
          absl::StatusOr<Tensor> packed = ctx.outputs()[i].Contiguous();
          if (!packed.ok()) {
            done = false;
            break;
          }
          g->DefineConstant(n.output(i), *packed);
        }
      }
    }
    if (done) {
      ++folded;
    } else {
      kept.push_back(std::move(n));
    }
  }
  g->nodes = std::move(kept);
  return folded;
}

}  // namespace rt
}  // namespace tp
