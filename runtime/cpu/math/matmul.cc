// Fast float32 MatMul: batched GEMM (NumPy batch broadcasting from reference/math/matmul_params.h).

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
#include "runtime/cpu/thread_pool.h"
#include "runtime/reference/math/matmul_params.h"

namespace tp {
namespace rt {
namespace cpu {

absl::Status MatMulKernel(KernelContext& ctx) {
  if (!AllF32(ctx, {0, 1})) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(const Tensor* a_in, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* b_in, ctx.Input(1));
  ASSIGN_OR_RETURN(MatMulPlan p, PlanMatMul(ctx, a_in->shape(), b_in->shape()));
  ASSIGN_OR_RETURN(Tensor at, a_in->Contiguous());
  ASSIGN_OR_RETURN(Tensor bt, b_in->Contiguous());
  Tensor yt = Tensor::Uninitialized(DType::kF32, p.out_shape);
  const float* a = at.data_as<float>();
  const float* b = bt.data_as<float>();
  float* y = yt.mutable_data_as<float>();
  const int threads = Threads(ctx);
  const int64_t batches = p.a_batch.size();
  const int64_t mk = p.m * p.k, kn = p.k * p.n, mn = p.m * p.n;
  if (batches >= threads && batches > 1) {
    ParallelFor(threads, batches, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) {
        Sgemm(false, false, p.m, p.n, p.k, 1.0f, a + p.a_batch[i] * mk, p.k,
              b + p.b_batch[i] * kn, p.n, 0.0f, y + i * mn, p.n, 1);
      }
    });
  } else {
    for (int64_t i = 0; i < batches; ++i) {
      Sgemm(false, false, p.m, p.n, p.k, 1.0f, a + p.a_batch[i] * mk, p.k, b + p.b_batch[i] * kn,
            p.n, 0.0f, y + i * mn, p.n, threads);
    }
  }
  ctx.SetOutput(0, std::move(yt));
  return absl::OkStatus();
}

}  // namespace cpu
}  // namespace rt
}  // namespace tp
