// The cpu backend's inference-time graph rewrites, in the order they run (runtime/rewrite/):
//   1. constant folding (constant_folding.h)
//   2. per-channel affine ops folded into Conv / ConvTranspose / MatMul / Gemm weights
//      (affine_folding.h): BatchNormalization, Mul / Add / Sub / Div by constants
//   3. PyTorch's primitive chains for MatMul + bias, LayerNorm and erf GELU (primitive_chains.h)
//   4. the opset-13 hard-swish pattern (activations.h); transposes and scalar scales folded into
//      MatMul (matmul_rewrite.h)
//   5. convolutions onto oneDNN with activations kept in the blocked layout between consecutive
//      ops (blocked_layout.h)
//   6. activations and residual additions folded into the convolutions' epilogues
//      (conv_epilogue.h)
// The session uses the rewritten node list only for runs without a capture callback and without
// overrides, so `verify` (which always captures) and `--isolate` see the graph as written. Each
// rewrite is tested against the unrewritten graph (runtime/rewrite/rewrite_test.cc).
//
// Example:
//   FusedGraph fg = FuseForCpu(model.graph(), order, initializers, opset);
//   // fg.nodes: the graph's nodes in a valid execution order, rewritten; fg.constants: tensors
//   // the rewrites computed (folded weights, constants), read like initializers.
#ifndef TENSORPORT_RUNTIME_FUSION_H_
#define TENSORPORT_RUNTIME_FUSION_H_

#include <map>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "core/tensor.h"
#include "runtime/rewrite/work_graph.h"

namespace tp {
namespace rt {

struct FusedGraph {
  // Nodes in execution order (fused nodes in kFusedDomain, the rest copied unchanged).
  std::vector<onnx::NodeProto> nodes;
  // Constants made by the rewrites, by name (the session's initializers are not repeated here).
  std::map<std::string, Tensor> constants;
  // What each rewrite did.
  int folded_constants = 0;
  int folded_affine = 0;
  int matmul_bias = 0;
  int layer_norm = 0;
  int gelu = 0;
  int hard_swish = 0;
  int matmul_transpose_scale = 0;
  int convs = 0;          // convolutions on oneDNN
  int blocked_convs = 0;  // ... with blocked outputs
  int blocked_ops = 0;
  int reorders = 0;
  int conv_epilogues = 0;
  // Whether any rewrite changed the graph.
  bool changed() const;
};

// Which rewrites run (all by default; tests switch them one at a time).
struct RewriteOptions {
  bool fold_constants = true;
  bool fold_affine = true;
  bool primitive_chains = true;
  bool hard_swish = true;
  bool matmul_transpose_scale = true;
  bool blocked_layout = true;
  bool conv_epilogues = true;
};

// `order`: a topological order of graph.node() indices. `initializers`: the bound initializers.
// Uses graph.value_info / inputs / outputs (shape inference results) where a rewrite needs shapes.
FusedGraph FuseForCpu(const onnx::GraphProto& graph, const std::vector<int>& order,
                      const std::map<std::string, Tensor>& initializers, int default_opset,
                      const RewriteOptions& options = {});

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_FUSION_H_
