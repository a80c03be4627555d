// Row-major single-precision matrix products for the cpu backend, on Eigen, split across threads.
//
// C[m x n] = alpha * op(A) * op(B) + beta * C, op(X) = X or X^T; every matrix is row-major with
// its own leading dimension (elements between rows), so sub-matrices of larger tensors can be
// used in place. The split is over C's columns (or rows when C is tall and narrow); each thread
// runs a single-threaded Eigen product on its block.
//
// Example:
//   Sgemm(false, true, m, n, k, 1.0f, a, k, b, k, 0.0f, c, n, ctx.num_threads());
#ifndef TENSORPORT_RUNTIME_CPU_GEMM_H_
#define TENSORPORT_RUNTIME_CPU_GEMM_H_

#include <cstdint>

namespace tp {
namespace rt {
namespace cpu {

void Sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
           const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
           int64_t ldc, int num_threads);

// y[r] = sum_k a[r * lda + k] * x[k] for r < rows: a matrix-vector product with the matrix
// row-major, four rows at a time (the recurrent step of a batch-1 RNN: a GEMM call would re-pack
// the matrix on every step).
void Sgemv(int64_t rows, int64_t cols, const float* a, int64_t lda, const float* x, float* y);

}  // namespace cpu
}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_CPU_GEMM_H_
