#include "runtime/cpu/gemm.h"

#include <algorithm>

#include <immintrin.h>
#include <omp.h>

#include <eigen3/Eigen/Dense>

#include "oneapi/dnnl/dnnl.h"

#include "runtime/cpu/thread_pool.h"

namespace tp {
namespace rt {
namespace cpu {
namespace {

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Stride = Eigen::OuterStride<>;
using ConstMap = Eigen::Map<const RowMat, Eigen::Unaligned, Stride>;
using MutMap = Eigen::Map<RowMat, Eigen::Unaligned, Stride>;

// One block of C: rows [r0, r1), columns [c0, c1).
void Block(bool trans_a, bool trans_b, int64_t r0, int64_t r1, int64_t c0, int64_t c1, int64_t k,
           float alpha, const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
           float* c, int64_t ldc) {
  const int64_t rows = r1 - r0, cols = c1 - c0;
  if (rows <= 0 || cols <= 0) return;
  MutMap cm(c + r0 * ldc + c0, rows, cols, Stride(ldc));
  if (k == 0) {
    if (beta == 0) {
      cm.setZero();
    } else {
      cm *= beta;
    }
    return;
  }
  // op(A) rows r0..r1: A is [m x k] (or [k x m] when transposed).
  const float* a0 = trans_a ? a + r0 : a + r0 * lda;
  const float* b0 = trans_b ? b + c0 * ldb : b + c0;
  auto run = [&](const auto& am, const auto& bm) {
    if (beta == 0) {
      if (alpha == 1) {
        cm.noalias() = am * bm;
      } else {
        cm.noalias() = alpha * (am * bm);
      }
    } else {
      if (beta != 1) cm *= beta;
      if (alpha == 1) {
        cm.noalias() += am * bm;
      } else {
        cm.noalias() += alpha * (am * bm);
      }
    }
  };
  ConstMap am(a0, trans_a ? k : rows, trans_a ? rows : k, Stride(lda));
  ConstMap bm(b0, trans_b ? cols : k, trans_b ? k : cols, Stride(ldb));
  if (trans_a && trans_b) {
    run(am.transpose(), bm.transpose());
  } else if (trans_a) {
    run(am.transpose(), bm);
  } else if (trans_b) {
    run(am, bm.transpose());
  } else {
    run(am, bm);
  }
}

}  // namespace

void Sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
           const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
           int64_t ldc, int num_threads) {
  if (m <= 0 || n <= 0) return;
  if (k > 0) {
    omp_set_num_threads(std::max(num_threads, 1));
    if (dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta,
                   c, ldc) == dnnl_success) {
      return;
    }
  }
  // Below ~1 MFLOP the thread hand-off costs more than it saves.
  const double flops = 2.0 * m * n * std::max<int64_t>(k, 1);
  if (num_threads <= 1 || flops < 1e6) {
    Block(trans_a, trans_b, 0, m, 0, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  if (n >= m || n >= 64 * num_threads) {
    // Column blocks, rounded to 16 so each thread's panel stays vector-aligned in length.
    const int64_t parts = std::min<int64_t>(num_threads, (n + 15) / 16);
    ParallelFor(static_cast<int>(parts), parts, [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        const int64_t c0 = (n * p / parts) / 16 * 16;
        const int64_t c1 = p + 1 == parts ? n : (n * (p + 1) / parts) / 16 * 16;
        Block(trans_a, trans_b, 0, m, c0, c1, k, alpha, a, lda, b, ldb, beta, c, ldc);
      }
    });
  } else {
    ParallelFor(num_threads, m, [&](int64_t r0, int64_t r1) {
      Block(trans_a, trans_b, r0, r1, 0, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    });
  }
}

void Sgemv(int64_t rows, int64_t cols, const float* a, int64_t lda, const float* x, float* y) {
  int64_t r = 0;
  const int64_t c8 = cols / 8 * 8;
  auto hsum = [](__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
  };
  for (; r + 4 <= rows; r += 4) {
    const float* a0 = a + r * lda;
    const float* a1 = a0 + lda;
    const float* a2 = a1 + lda;
    const float* a3 = a2 + lda;
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    for (int64_t k = 0; k < c8; k += 8) {
      const __m256 xv = _mm256_loadu_ps(x + k);
      s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a0 + k), xv, s0);
      s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a1 + k), xv, s1);
      s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a2 + k), xv, s2);
      s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a3 + k), xv, s3);
    }
    float t0 = hsum(s0), t1 = hsum(s1), t2 = hsum(s2), t3 = hsum(s3);
    for (int64_t k = c8; k < cols; ++k) {
      t0 += a0[k] * x[k];
      t1 += a1[k] * x[k];
      t2 += a2[k] * x[k];
      t3 += a3[k] * x[k];
    }
    y[r] = t0;
    y[r + 1] = t1;
    y[r + 2] = t2;
    y[r + 3] = t3;
  }
  for (; r < rows; ++r) {
    const float* ar = a + r * lda;
    __m256 s0 = _mm256_setzero_ps();
    for (int64_t k = 0; k < c8; k += 8) {
      s0 = _mm256_fmadd_ps(_mm256_loadu_ps(ar + k), _mm256_loadu_ps(x + k), s0);
    }
    float t = hsum(s0);
    for (int64_t k = c8; k < cols; ++k) t += ar[k] * x[k];
    y[r] = t;
  }
}

}  // namespace cpu
}  // namespace rt
}  // namespace tp
