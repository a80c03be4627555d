// Fast float32 Gemm: one GEMM plus the broadcast C.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "core/tensor.h"
#include "runtime/cpu/cpu_util.h"
#include "runtime/cpu/gemm.h"
#include "runtime/cpu/kernels.h"
#include "runtime/reference/math/matmul_params.h"

namespace tp {
namespace rt {
namespace cpu {

absl::Status GemmKernel(KernelContext& ctx) {
  if (!AllF32(ctx, {0, 1, 2})) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(const Tensor* a_in, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* b_in, ctx.Input(1));
  const Tensor* c_in = ctx.OptionalInput(2);
  ASSIGN_OR_RETURN(GemmParams p, ResolveGemm(ctx, a_in->shape(), b_in->shape(), c_in));
  ASSIGN_OR_RETURN(Tensor at, a_in->Contiguous());
  ASSIGN_OR_RETURN(Tensor bt, b_in->Contiguous());
  Tensor yt = Tensor::Uninitialized(DType::kF32, {p.m, p.n});
  float* y = yt.mutable_data_as<float>();
  if (p.has_c) {
    ASSIGN_OR_RETURN(Tensor ct, c_in->Contiguous());
    const float* c = ct.data_as<float>();
    const float beta = static_cast<float>(p.beta);
    for (int64_t i = 0; i < p.m; ++i) {
      for (int64_t j = 0; j < p.n; ++j) {
        y[i * p.n + j] = beta * c[i * p.c_row_stride + j * p.c_col_stride];
      }
    }
  }
  Sgemm(p.trans_a, p.trans_b, p.m, p.n, p.k, static_cast<float>(p.alpha), at.data_as<float>(),
        a_in->shape()[1], bt.data_as<float>(), b_in->shape()[1], p.has_c ? 1.0f : 0.0f, y, p.n,
        Threads(ctx));
  ctx.SetOutput(0, std::move(yt));
  return absl::OkStatus();
}

}  // namespace cpu
}  // namespace rt
}  // namespace tp
