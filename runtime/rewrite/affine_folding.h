// Rewrite: per-channel affine ops after a convolution or a linear layer are folded into its
// weights and bias, so they cost nothing at run time.
//
//   Conv / ConvTranspose -> BatchNormalization (inference form: one output)
//       W'[m] = W[m] * s[m], B'[m] = (B[m] - mean[m]) * s[m] + beta[m], s = gamma / sqrt(var + eps)
//   Conv / ConvTranspose -> Mul(., c)   c a scalar or per-channel constant ([C, 1, ..] / [1, C, ..])
//       W'[m] = W[m] * c[m], B'[m] = B[m] * c[m]
//   Conv / ConvTranspose -> Add(., c)   c per-channel or scalar: B'[m] = B[m] + c[m]
//   MatMul(A, B) -> Mul(., c)           B a 2-D constant, c a scalar or [N] constant:
//       B'[:, n] = B[:, n] * c[n]
//   Gemm(A, B, C) -> Mul(., c) / Add(., d)   B constant, C absent or a constant scalar / [N]:
//       columns of op(B) and C scaled by c; d added to beta * C
// (m runs over output channels, n over output columns.) Weights, bias and the affine operands must
// be float32 constants, the first node's output must be read only by the affine node and not be a
// graph output. The folded node keeps the first node's name and takes the affine node's output;
// new weights are computed in double precision and added as constants (the originals stay for
// runs of the graph as written).
//
// Example:
//   int folded = FoldAffineOps(&work_graph);
#ifndef TENSORPORT_RUNTIME_REWRITE_AFFINE_FOLDING_H_
#define TENSORPORT_RUNTIME_REWRITE_AFFINE_FOLDING_H_

#include "runtime/rewrite/work_graph.h"

namespace tp {
namespace rt {

// Returns the number of affine nodes folded away.
int FoldAffineOps(WorkGraph* g);

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_REWRITE_AFFINE_FOLDING_H_
