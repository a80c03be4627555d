// MatMul on cuBLAS (strided batched SGEMM when the batch layout allows, else one GEMM per
// matrix).

#include <vector>

#include "core/status_macros.h"
#include "runtime/cuda/cuda_context.h"
#include "runtime/cuda/device_api.h"
#include "runtime/cuda/kernel_util.h"
#include "runtime/cuda/kernels.h"
#include "runtime/cuda/tensor/layout_impl.h"
#include "runtime/reference/kernels.h"
#include "runtime/reference/math/matmul_params.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace cuda {
namespace {

// Stride between consecutive batch matrices when batch[i] == i * step for one step (0 or 1).
bool UniformStep(const std::vector<int64_t>& batch, int64_t* step) {
  if (batch.empty()) {
    *step = 0;
    return true;
  }
  const int64_t s = batch.size() > 1 ? batch[1] - batch[0] : 0;
  if (batch[0] != 0 || (s != 0 && s != 1)) return false;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (batch[i] != static_cast<int64_t>(i) * s) return false;
  }
  *step = s;
  return true;
}

absl::Status MatMulGpu(KernelContext& ctx, const KernelFn& fb) {
  ASSIGN_OR_RETURN(const Tensor* a, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* b, ctx.Input(1));
  if (!AllF32({a, b})) return RunFallback(ctx, fb);
  absl::StatusOr<MatMulPlan> plan_or = PlanMatMul(ctx, a->shape(), b->shape());
  if (!plan_or.ok()) return RunFallback(ctx, fb);
  const MatMulPlan& p = *plan_or;
  RETURN_IF_ERROR(CudaReady(ctx));
  ASSIGN_OR_RETURN(int64_t out_n, NumElements(p.out_shape));
  ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, out_n * 4));
  const int64_t batch = static_cast<int64_t>(p.a_batch.size());
  if (out_n > 0 && p.k == 0) {
    RETURN_IF_ERROR(CudaCheck(ctx, FillZero(dy.get(), out_n * 4), "zero fill"));
  } else if (out_n > 0) {
    ASSIGN_OR_RETURN(void* h, CublasHandle(ctx));
    ASSIGN_OR_RETURN(DeviceBuffer da, Upload(ctx, *a));
    ASSIGN_OR_RETURN(DeviceBuffer db, Upload(ctx, *b));
    const float* pa = da.as<float>();
    const float* pb = db.as<float>();
    float* py = dy.as<float>();
    int64_t sa, sb;
    const bool uniform = UniformStep(p.a_batch, &sa) && UniformStep(p.b_batch, &sb);
    if (uniform && sa == 1 && sb == 0) {
      // Every batch shares B: [batch * m, k] x [k, n].
      RETURN_IF_ERROR(CublasCheck(ctx,
                                  BlasSgemm(h, false, false, batch * p.m, p.n, p.k, 1.0f, pa, p.k,
                                            pb, p.n, 0.0f, py, p.n),
                                  "cublasSgemm"));
    } else if (uniform) {
      RETURN_IF_ERROR(CublasCheck(
          ctx,
          BlasSgemmStridedBatched(h, false, false, p.m, p.n, p.k, 1.0f, pa, p.k, sa * p.m * p.k,
                                  pb, p.n, sb * p.k * p.n, 0.0f, py, p.n, p.m * p.n, batch),
          "cublasSgemmStridedBatched"));
    } else {
      for (int64_t i = 0; i < batch; ++i) {
        RETURN_IF_ERROR(CublasCheck(
            ctx,
            BlasSgemm(h, false, false, p.m, p.n, p.k, 1.0f, pa + p.a_batch[i] * p.m * p.k, p.k,
                      pb + p.b_batch[i] * p.k * p.n, p.n, 0.0f, py + i * p.m * p.n, p.n),
            "cublasSgemm"));
      }
    }
  }
  ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, DType::kF32, p.out_shape));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace

absl::Status MatMulKernel(KernelContext& ctx) {
  return MatMulGpu(ctx, ref::MatMulKernel);
}

}  // namespace cuda
}  // namespace rt
}  // namespace tp
