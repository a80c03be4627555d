// Rewrite: PyTorch's primitive-op chains for a biased linear layer, LayerNorm and erf GELU,
// each into one node of kFusedDomain run by one cpu kernel (runtime/cpu/fused_kernels.h).
//
// Patterns (opset < 18 ReduceMean with an `axes` attribute):
//   MatMul(A, B) -> Add(., bias)            B a 2-D float constant [K, N], bias a 1-D float
//                                           constant [N] (either Add operand order)
//                                           => MatMulBias(A, B, bias)
//   ReduceMean(X, axes=[-1]) -> Sub(X, .) -> Pow(., 2) -> ReduceMean(axes=[-1]) -> Add(., eps)
//   -> Sqrt -> Div(Sub output, .) [-> Mul(., scale) [-> Add(., bias)]]
//                                           scale / bias 1-D float constants whose length is
//                                           X's inferred last dim
//                                           => LayerNormLastAxis(X [, scale [, bias]]), epsilon
//   Div(x, sqrt(2)) -> Erf -> Add(., 1) -> Mul(x, .) -> Mul(., 0.5)
//                                           => GeluErf(x)
// A chain fuses only when every intermediate value is consumed only inside the chain (the
// Sub output by exactly its Pow and Div, every other one by exactly one node) and is not a graph
// output. Operand order of Add and Mul may be swapped. Nodes left without consumers are dropped.
//
// Example:
//   FusionCounts c = FusePrimitiveChains(&work_graph);
#ifndef TENSORPORT_RUNTIME_REWRITE_PRIMITIVE_CHAINS_H_
#define TENSORPORT_RUNTIME_REWRITE_PRIMITIVE_CHAINS_H_

#include "runtime/rewrite/work_graph.h"

namespace tp {
namespace rt {

struct FusionCounts {
  int matmul_bias = 0;
  int layer_norm = 0;
  int gelu = 0;
};

FusionCounts FusePrimitiveChains(WorkGraph* g);

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_REWRITE_PRIMITIVE_CHAINS_H_
