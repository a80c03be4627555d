// Rewrite: convolutions onto oneDNN, with activations kept in the blocked layout between
// consecutive ops (runtime/cpu/blocked.h: [N, C/8, spatial..., 8]).
//
// Every float32 1-D or 2-D Conv / ConvTranspose with constant weights (and bias) that oneDNN
// takes becomes a FusedConv / FusedConvTranspose node of kFusedDomain, whose output is blocked
// when its channel count is a multiple of 8. A blocked value stays blocked through the ops that
// have a blocked form, so a CNN's body runs without a reorder between its layers:
//   - element-wise activations (Relu, LeakyRelu, Clip, HardSigmoid, HardSwish, Sigmoid, Tanh, Erf,
//     Exp, Neg, Abs, Sqrt, Softplus, Elu, Identity, the fused GeluErf): the same op on the
//     blocked tensor;
//   - Add, Sub, Mul, Div of two blocked values with the same channel count (broadcasting over
//     batch and spatial dims, e.g. squeeze-excitation's [N, C, 1, 1] scale), or of a blocked value
//     and a scalar or per-channel constant (re-laid-out as a blocked constant);
//   - Concat along channels (axis 1) of blocked values;
//   - GlobalAveragePool, GlobalMaxPool, MaxPool, AveragePool => BlockedGlobalPool, BlockedPool;
//   - Resize / Upsample over the spatial dims (nearest, linear) => BlockedResize;
//   - BatchNormalization (inference) => BlockedChannelAffine.
// Any other reader gets the plain tensor from a ToPlain node (one per value) under the value's
// original name; a graph output that ends blocked is reordered the same way, so names and
// results are those of the graph as written. Values need shapes from shape inference (at least
// channel counts and ranks); where they are unknown nothing changes.
//
// Example:
//   LayoutCounts c = UseBlockedLayout(&work_graph);
#ifndef TENSORPORT_RUNTIME_REWRITE_BLOCKED_LAYOUT_H_
#define TENSORPORT_RUNTIME_REWRITE_BLOCKED_LAYOUT_H_

#include "runtime/rewrite/work_graph.h"

namespace tp {
namespace rt {

struct LayoutCounts {
  int convs = 0;          // Conv / ConvTranspose on oneDNN
  int blocked_convs = 0;  // ... whose output is blocked
  int blocked_ops = 0;    // other nodes running on blocked tensors
  int reorders = 0;       // ToPlain nodes inserted
};

LayoutCounts UseBlockedLayout(WorkGraph* g);

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_REWRITE_BLOCKED_LAYOUT_H_
