// Rewrite: transposes and scalar scales around a MatMul folded into one FusedMatMul of
// kFusedDomain (Y = alpha * op(A) op(B), op = transpose of the last two dims or not), which runs
// as one GEMM per batch with the transposes as GEMM flags and alpha as the GEMM's alpha:
//   MatMul(A, Transpose(B; perm swaps the last two dims))   => FusedMatMul(A, B, trans_b = 1)
//   MatMul(Transpose(A; same), B)                          => FusedMatMul(A, B, trans_a = 1)
//   MatMul(A, B) -> Mul(., c) / Div(., c), c a float32 scalar constant
//                                                          => FusedMatMul(..., alpha = c / 1/c)
// (attention's q @ k^T * scale). A folded Transpose's output must be read only by the MatMul, the
// MatMul's only by the Mul / Div, and neither may be a graph output.
//
// Example:
//   int fused = FuseMatMulTransposeScale(&work_graph);
#ifndef TENSORPORT_RUNTIME_REWRITE_MATMUL_REWRITE_H_
#define TENSORPORT_RUNTIME_REWRITE_MATMUL_REWRITE_H_

#include "runtime/rewrite/work_graph.h"

namespace tp {
namespace rt {

// Returns the number of FusedMatMul nodes made.
int FuseMatMulTransposeScale(WorkGraph* g);

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_REWRITE_MATMUL_REWRITE_H_
