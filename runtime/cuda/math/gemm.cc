// Gemm on cuBLAS, C broadcast on the device.

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

absl::Status GemmGpu(KernelContext& ctx, const KernelFn& fb) {
  ASSIGN_OR_RETURN(const Tensor* a, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* b, ctx.Input(1));
  const Tensor* c = ctx.OptionalInput(2);
  if (!AllF32({a, b}) || (c != nullptr && !AllF32({c}))) return RunFallback(ctx, fb);
  absl::StatusOr<GemmParams> p_or = ResolveGemm(ctx, a->shape(), b->shape(), c);
  if (!p_or.ok()) return RunFallback(ctx, fb);
  const GemmParams& p = *p_or;
  RETURN_IF_ERROR(CudaReady(ctx));
  const Shape out = {p.m, p.n};
  ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, p.m * p.n * 4));
  float beta = 0.0f;
  if (p.has_c && p.m * p.n > 0) {
    // Y = C broadcast to [m, n], then the GEMM accumulates onto it with beta.
    ASSIGN_OR_RETURN(DeviceBuffer dc, Upload(ctx, *c));
    StridedShape s;
    s.rank = 2;
    s.dims[0] = p.m;
    s.dims[1] = p.n;
    s.strides[0][0] = p.c_row_stride;
    s.strides[0][1] = p.c_col_stride;
    s.strides[1][0] = p.n;
    s.strides[1][1] = 1;
    RETURN_IF_ERROR(CudaCheck(ctx, LaunchStridedCopy(dc.get(), 0, dy.get(), 0, 4, s),
                              "bias broadcast kernel"));
    beta = static_cast<float>(p.beta);
  }
  if (p.m * p.n > 0) {
    if (p.k == 0) {
      if (!p.has_c) RETURN_IF_ERROR(CudaCheck(ctx, FillZero(dy.get(), p.m * p.n * 4), "zero fill"));
      if (p.has_c && p.beta != 1.0) return RunFallback(ctx, fb);
    } else {
      ASSIGN_OR_RETURN(void* h, CublasHandle(ctx));
      ASSIGN_OR_RETURN(DeviceBuffer da, Upload(ctx, *a));
      ASSIGN_OR_RETURN(DeviceBuffer db, Upload(ctx, *b));
      const int64_t lda = p.trans_a ? p.m : p.k;
      const int64_t ldb = p.trans_b ? p.k : p.n;
      RETURN_IF_ERROR(CublasCheck(ctx,
                                  BlasSgemm(h, p.trans_a, p.trans_b, p.m, p.n, p.k,
                                            static_cast<float>(p.alpha), da.as<float>(), lda,
                                            db.as<float>(), ldb, beta, dy.as<float>(), p.n),
                                  "cublasSgemm"));
    }
  }
  ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, DType::kF32, out));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace

absl::Status GemmKernel(KernelContext& ctx) {
  return GemmGpu(ctx, ref::GemmKernel);
}

}  // namespace cuda
}  // namespace rt
}  // namespace tp
