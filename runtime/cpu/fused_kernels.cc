#include "runtime/cpu/fused_kernels.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/cpu/gemm.h"
#include "runtime/cpu/kernels.h"
#include "runtime/cpu/thread_pool.h"
#include "runtime/cpu/vector_math.h"
#include "runtime/fusion.h"
#include "runtime/reference/math/matmul_params.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace cpu {
namespace {

// The same thresholds as the element-wise kernels (elementwise.cc): memory-bound work is threaded
// from 512K elements, polynomial work from 64K.
constexpr int64_t kParallelCheap = 1 << 19;
constexpr int64_t kParallelMath = 1 << 16;
constexpr int64_t kGeluBlock = 1024;  // elements per GELU block (two 4 KiB buffers in L1)

int ThreadsFor(const KernelContext& ctx, int64_t elements, int64_t threshold) {
  return elements >= threshold ? std::max(1, ctx.num_threads()) : 1;
}

absl::StatusOr<Tensor> F32Input(KernelContext& ctx, int i, const char* what) {
  ASSIGN_OR_RETURN(const Tensor* t, ctx.Input(i));
  if (t->dtype() != DType::kF32) {
    return ctx.Error(absl::StatusCode::kInvalidArgument,
                     absl::StrCat(what, " is ", DTypeName(t->dtype()), ", expected float32"));
  }
  return t->Contiguous();
}

// Y[..., N] = A[..., K] x B[K, N] + bias[N]: the bias is written first and the GEMM accumulates
// onto it (beta = 1), so the bias costs no extra pass over Y.
absl::Status MatMulBias(KernelContext& ctx) {
  ASSIGN_OR_RETURN(Tensor a, F32Input(ctx, 0, "A"));
  ASSIGN_OR_RETURN(Tensor b, F32Input(ctx, 1, "B"));
  ASSIGN_OR_RETURN(Tensor bias, F32Input(ctx, 2, "bias"));
  if (b.rank() != 2 || bias.rank() != 1 || bias.shape()[0] != b.shape()[1] || a.rank() < 1 ||
      a.shape().back() != b.shape()[0]) {
    return ctx.Error(absl::StatusCode::kInvalidArgument,
                     absl::StrCat("A ", ShapeToString(a.shape()), ", B ", ShapeToString(b.shape()),
                                  ", bias ", ShapeToString(bias.shape()),
                                  ": expected A [..., K], B [K, N], bias [N]"));
  }
  const int64_t k = b.shape()[0], n = b.shape()[1];
  Shape out(a.shape().begin(), a.shape().end() - 1);
  out.push_back(n);
  const int64_t m = k > 0 ? a.num_elements() / k : [&] {
    int64_t r = 1;
    for (size_t d = 0; d + 1 < a.shape().size(); ++d) r *= a.shape()[d];
    return r;
  }();
  Tensor yt = Tensor::Uninitialized(DType::kF32, out);
  float* y = yt.mutable_data_as<float>();
  const float* bv = bias.data_as<float>();
  for (int64_t r = 0; r < m; ++r) std::copy(bv, bv + n, y + r * n);
  if (m > 0 && n > 0 && k > 0) {
    Sgemm(false, false, m, n, k, 1.0f, a.data_as<float>(), k, b.data_as<float>(), n, 1.0f, y, n,
          std::max(1, ctx.num_threads()));
  }
  ctx.SetOutput(0, std::move(yt));
  return absl::OkStatus();
}

// Y = alpha * op(A) op(B) with op = transpose of the last two dims where trans_a / trans_b say,
// batched with MatMul's broadcasting: one GEMM per batch (batches split across threads when
// there are enough, else each GEMM threaded).
absl::Status FusedMatMul(KernelContext& ctx) {
  ASSIGN_OR_RETURN(Tensor a, F32Input(ctx, 0, "A"));
  ASSIGN_OR_RETURN(Tensor b, F32Input(ctx, 1, "B"));
  const bool ta = ctx.GetInt("trans_a", 0) != 0, tb = ctx.GetInt("trans_b", 0) != 0;
  const float alpha = ctx.GetFloat("alpha", 1.0f);
  if ((ta && a.rank() < 2) || (tb && b.rank() < 2)) {
    return ctx.Invalid("a transposed operand must have rank >= 2");
  }
  auto logical = [](Shape s, bool t) {
    if (t) std::swap(s[s.size() - 2], s[s.size() - 1]);
    return s;
  };
  ASSIGN_OR_RETURN(MatMulPlan p, PlanMatMul(ctx, logical(a.shape(), ta), logical(b.shape(), tb)));
  Tensor yt = Tensor::Uninitialized(DType::kF32, p.out_shape);
  const float* ap = a.data_as<float>();
  const float* bp = b.data_as<float>();
  float* y = yt.mutable_data_as<float>();
  const int threads = std::max(1, ctx.num_threads());
  const int64_t batches = p.a_batch.size();
  const int64_t mk = p.m * p.k, kn = p.k * p.n, mn = p.m * p.n;
  const int64_t lda = ta ? p.m : p.k, ldb = tb ? p.k : p.n;
  auto gemm = [&](int64_t i, int t) {
    Sgemm(ta, tb, p.m, p.n, p.k, alpha, ap + p.a_batch[i] * mk, lda, bp + p.b_batch[i] * kn, ldb,
          0.0f, y + i * mn, p.n, t);
  };
  if (batches >= threads && batches > 1) {
    ParallelFor(threads, batches, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) gemm(i, 1);
    });
  } else {
    for (int64_t i = 0; i < batches; ++i) gemm(i, threads);
  }
  ctx.SetOutput(0, std::move(yt));
  return absl::OkStatus();
}

// Sum of x[i]^2 with the squares rounded to float first, summed like SumOf (what Pow then the
// cpu ReduceMean compute).
inline double SumOfSquares(const float* x, int64_t n) {
  float lanes[16] = {};
  double total = 0;
  int64_t i = 0;
  while (i + 16 <= n) {
    const int64_t end = std::min<int64_t>(n - (n - i) % 16, i + 1024);
    for (; i < end; i += 16) {
      for (int j = 0; j < 16; ++j) lanes[j] += x[i + j] * x[i + j];
    }
    for (int j = 0; j < 16; ++j) {
      total += lanes[j];
      lanes[j] = 0;
    }
  }
  for (; i < n; ++i) total += x[i] * x[i];
  return total;
}

absl::Status LayerNormLastAxis(KernelContext& ctx) {
  ASSIGN_OR_RETURN(Tensor xt, F32Input(ctx, 0, "X"));
  if (xt.rank() < 1) {
    return ctx.Error(absl::StatusCode::kInvalidArgument, "X is a scalar, expected rank >= 1");
  }
  const int64_t d = xt.shape().back();
  Tensor scale, bias;
  if (ctx.HasInput(1)) {
    ASSIGN_OR_RETURN(scale, F32Input(ctx, 1, "scale"));
    if (scale.num_elements() != d) {
      return ctx.Error(absl::StatusCode::kInvalidArgument,
                       absl::StrCat("scale has ", scale.num_elements(), " elements, expected ", d));
    }
  }
  if (ctx.HasInput(2)) {
    ASSIGN_OR_RETURN(bias, F32Input(ctx, 2, "bias"));
    if (bias.num_elements() != d) {
      return ctx.Error(absl::StatusCode::kInvalidArgument,
                       absl::StrCat("bias has ", bias.num_elements(), " elements, expected ", d));
    }
  }
  const float eps = ctx.GetFloat("epsilon", 1e-5f);
  Tensor yt = Tensor::Uninitialized(DType::kF32, xt.shape());
  if (d == 0 || xt.num_elements() == 0) {
    ctx.SetOutput(0, std::move(yt));
    return absl::OkStatus();
  }
  const float* x = xt.data_as<float>();
  float* y = yt.mutable_data_as<float>();
  const float* s = ctx.HasInput(1) ? scale.data_as<float>() : nullptr;
  const float* b = ctx.HasInput(2) ? bias.data_as<float>() : nullptr;
  const int64_t rows = xt.num_elements() / d;
  ParallelFor(ThreadsFor(ctx, rows * d, kParallelCheap), rows, [x, y, s, b, d, eps](int64_t r0,
                                                                                   int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * d;
      float* yr = y + r * d;
      const float mean = static_cast<float>(SumOf(xr, d) / static_cast<double>(d));
      for (int64_t i = 0; i < d; ++i) yr[i] = xr[i] - mean;
      const float var = static_cast<float>(SumOfSquares(yr, d) / static_cast<double>(d));
      const float denom = std::sqrt(var + eps);
      for (int64_t i = 0; i < d; ++i) yr[i] = yr[i] / denom;
      if (s != nullptr) {
        for (int64_t i = 0; i < d; ++i) yr[i] = yr[i] * s[i];
      }
      if (b != nullptr) {
        for (int64_t i = 0; i < d; ++i) yr[i] = yr[i] + b[i];
      }
    }
  });
  ctx.SetOutput(0, std::move(yt));
  return absl::OkStatus();
}

// y = (x * (erf(x / sqrt2) + 1)) * 0.5, in blocks that stay in L1.
absl::Status GeluErf(KernelContext& ctx) {
  ASSIGN_OR_RETURN(Tensor xt, F32Input(ctx, 0, "X"));
  const float sqrt2 = ctx.GetFloat("sqrt2", 1.41421356f);
  Tensor yt = Tensor::Uninitialized(DType::kF32, xt.shape());
  const float* x = xt.data_as<float>();
  float* y = yt.mutable_data_as<float>();
  const int64_t total = xt.num_elements();
  const int64_t blocks = (total + kGeluBlock - 1) / kGeluBlock;
  ParallelFor(ThreadsFor(ctx, total, kParallelMath), blocks, [x, y, total, sqrt2](int64_t b0,
                                                                                 int64_t b1) {
    float t[kGeluBlock];
    for (int64_t blk = b0; blk < b1; ++blk) {
      const int64_t i0 = blk * kGeluBlock, len = std::min<int64_t>(kGeluBlock, total - i0);
      const float* xb = x + i0;
      float* yb = y + i0;
      for (int64_t i = 0; i < len; ++i) t[i] = xb[i] / sqrt2;
      ErfArray(t, t, len);
      for (int64_t i = 0; i < len; ++i) yb[i] = (xb[i] * (t[i] + 1.0f)) * 0.5f;
    }
  });
  ctx.SetOutput(0, std::move(yt));
  return absl::OkStatus();
}

}  // namespace

const KernelTable& FusedKernelTable() {
  static const KernelTable* table = new KernelTable(
      "cpu-fused", {
                       {kFusedDomain, "MatMulBias", 0, 1 << 30, MatMulBias},
                       {kFusedDomain, "FusedMatMul", 0, 1 << 30, FusedMatMul},
                       {kFusedDomain, "LayerNormLastAxis", 0, 1 << 30, LayerNormLastAxis},
                       {kFusedDomain, "GeluErf", 0, 1 << 30, GeluErf},
                       {kFusedDomain, "HardSwish", 0, 1 << 30, HardSwishKernel},
                       {kFusedDomain, "FusedConv", 0, 1 << 30, FusedConvKernel},
                       {kFusedDomain, "FusedConvTranspose", 0, 1 << 30, FusedConvTransposeKernel},
                       {kFusedDomain, "ToPlain", 0, 1 << 30, ToPlainKernel},
                       {kFusedDomain, "BlockedGlobalPool", 0, 1 << 30, BlockedGlobalPoolKernel},
                       {kFusedDomain, "BlockedPool", 0, 1 << 30, BlockedPoolKernel},
                       {kFusedDomain, "BlockedResize", 0, 1 << 30, BlockedResizeKernel},
                       {kFusedDomain, "BlockedChannelAffine", 0, 1 << 30,
                        BlockedChannelAffineKernel},
                   });
  return *table;
}

}  // namespace cpu
}  // namespace rt
}  // namespace tp
