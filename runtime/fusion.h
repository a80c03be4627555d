// Graph fusion for the cpu backend: rewrites a few primitive-op chains that PyTorch exports into
// single nodes of the private domain kFusedDomain, each run by one fused cpu kernel
// (runtime/cpu/fused_kernels.h). The session uses the fused node list only for runs without a
// capture callback and without overrides, so `verify` (which always captures) never sees it.
//
// Patterns (opset < 18 ReduceMean with an `axes` attribute; constants must come from Constant
// nodes, so ReplaceInitializer can never change a value that was baked into an attribute):
//   MatMul(A, B) -> Add(., bias)            B a 2-D float initializer [K, N], bias a 1-D float
//                                           initializer [N] (either Add operand order)
//                                           => MatMulBias(A, B, bias)
//   ReduceMean(X, axes=[-1]) -> Sub(X, .) -> Pow(., 2) -> ReduceMean(axes=[-1]) -> Add(., eps)
//   -> Sqrt -> Div(Sub output, .) [-> Mul(., scale) [-> Add(., bias)]]
//                                           scale / bias 1-D float initializers whose length is
//                                           X's inferred last dim
//                                           => LayerNormLastAxis(X [, scale [, bias]]), epsilon
//   Div(x, sqrt(2)) -> Erf -> Add(., 1) -> Mul(x, .) -> Mul(., 0.5)
//                                           => GeluErf(x)
// A chain fuses only when every intermediate value is consumed only inside the chain (the
// Sub output by exactly its Pow and Div, every other one by exactly one node) and is not a graph
// output. Operand order of Add and Mul may be swapped. Constant nodes left without consumers are
// dropped.
//
// Example:
//   ASSIGN_OR_RETURN(FusedGraph fg, FuseForCpu(model.graph(), order, initializers, opsets));
//   // fg.nodes: the graph's nodes in a valid execution order, fused chains replaced.
#ifndef TENSORPORT_RUNTIME_FUSION_H_
#define TENSORPORT_RUNTIME_FUSION_H_

#include <map>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "core/tensor.h"

namespace tp {
namespace rt {

inline constexpr char kFusedDomain[] = "tensorport.fused";

struct FusedGraph {
  // Nodes in execution order (fused nodes in kFusedDomain, the rest copied unchanged).
  std::vector<onnx::NodeProto> nodes;
  int matmul_bias = 0;  // chains fused, by pattern
  int layer_norm = 0;
  int gelu = 0;
};

// `order`: a topological order of graph.node() indices. `initializers`: the bound initializers.
// Uses graph.value_info / inputs / outputs (shape inference results) for the LayerNorm affine
// length check; without them, the affine Mul/Add are left unfused.
FusedGraph FuseForCpu(const onnx::GraphProto& graph, const std::vector<int>& order,
                      const std::map<std::string, Tensor>& initializers, int default_opset);

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_FUSION_H_
