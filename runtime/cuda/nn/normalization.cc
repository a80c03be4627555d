// Normalization cuda kernels: LayerNormalization (Y only; the Mean / InvStdDev outputs go to the
// reference kernel), InstanceNormalization, BatchNormalization (inference).

#include <vector>

#include "core/status_macros.h"
#include "runtime/cuda/cuda_context.h"
#include "runtime/cuda/kernel_util.h"
#include "runtime/cuda/kernels.h"
#include "runtime/cuda/nn/norm_impl.h"
#include "runtime/reference/kernels.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace cuda {
namespace {

absl::Status LayerNormGpu(KernelContext& ctx, const KernelFn& fb) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* scale, ctx.Input(1));
  const Tensor* bias = ctx.OptionalInput(2);
  if (!AllF32({x, scale}) || (bias != nullptr && !AllF32({bias})) || ctx.WantsOutput(1) ||
      ctx.WantsOutput(2)) {
    return RunFallback(ctx, fb);
  }
  absl::StatusOr<int> axis = NormalizeAxis(ctx.GetInt("axis", -1), x->rank());
  if (!axis.ok()) return RunFallback(ctx, fb);
  int64_t rows = 1, cols = 1;
  for (int d = 0; d < x->rank(); ++d) (d < *axis ? rows : cols) *= x->shape()[d];
  if (scale->num_elements() != cols || (bias != nullptr && bias->num_elements() != cols)) {
    return RunFallback(ctx, fb);  // broadcast parameters: rare, and the reference checks them
  }
  RETURN_IF_ERROR(CudaReady(ctx));
  const float eps = ctx.GetFloat("epsilon", 1e-5f);
  ASSIGN_OR_RETURN(DeviceBuffer dx, Upload(ctx, *x));
  ASSIGN_OR_RETURN(DeviceBuffer ds, Upload(ctx, *scale));
  DeviceBuffer db;
  if (bias != nullptr) {
    ASSIGN_OR_RETURN(db, Upload(ctx, *bias));
  }
  ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, x->nbytes()));
  RETURN_IF_ERROR(CudaCheck(ctx,
                            LaunchRowNorm(dx.as<float>(), ds.as<float>(), db.as<float>(),
                                          dy.as<float>(), rows, cols, RowNormAffine::kPerColumn,
                                          1, eps),
                            "layer norm kernel"));
  ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, DType::kF32, x->shape()));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status InstanceNormGpu(KernelContext& ctx, const KernelFn& fb) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* scale, ctx.Input(1));
  ASSIGN_OR_RETURN(const Tensor* bias, ctx.Input(2));
  if (!AllF32({x, scale, bias}) || x->rank() < 2) return RunFallback(ctx, fb);
  const int64_t n = x->shape()[0], c = x->shape()[1];
  int64_t spatial = 1;
  for (int d = 2; d < x->rank(); ++d) spatial *= x->shape()[d];
  if (scale->num_elements() != c || bias->num_elements() != c) return RunFallback(ctx, fb);
  RETURN_IF_ERROR(CudaReady(ctx));
  const float eps = ctx.GetFloat("epsilon", 1e-5f);
  ASSIGN_OR_RETURN(DeviceBuffer dx, Upload(ctx, *x));
  ASSIGN_OR_RETURN(DeviceBuffer ds, Upload(ctx, *scale));
  ASSIGN_OR_RETURN(DeviceBuffer db, Upload(ctx, *bias));
  ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, x->nbytes()));
  RETURN_IF_ERROR(CudaCheck(ctx,
                            LaunchRowNorm(dx.as<float>(), ds.as<float>(), db.as<float>(),
                                          dy.as<float>(), n * c, spatial,
                                          RowNormAffine::kPerRowChannel, c, eps),
                            "instance norm kernel"));
  ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, DType::kF32, x->shape()));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status BatchNormGpu(KernelContext& ctx, const KernelFn& fb) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  const Tensor* p[4];
  for (int i = 0; i < 4; ++i) {
    ASSIGN_OR_RETURN(p[i], ctx.Input(i + 1));
  }
  const bool training = ctx.opset() >= 14 && ctx.GetInt("training_mode", 0) != 0;
  if (training || ctx.opset() < 9 || !AllF32({x, p[0], p[1], p[2], p[3]}) || x->rank() < 2 ||
      ctx.WantsOutput(1) || ctx.WantsOutput(2)) {
    return RunFallback(ctx, fb);
  }
  const int64_t n = x->shape()[0], c = x->shape()[1];
  int64_t inner = 1;
  for (int d = 2; d < x->rank(); ++d) inner *= x->shape()[d];
  for (const Tensor* t : p) {
    if (t->num_elements() != c) return RunFallback(ctx, fb);
  }
  RETURN_IF_ERROR(CudaReady(ctx));
  const float eps = ctx.GetFloat("epsilon", 1e-5f);
  ASSIGN_OR_RETURN(DeviceBuffer dx, Upload(ctx, *x));
  ASSIGN_OR_RETURN(DeviceBuffer d0, Upload(ctx, *p[0]));
  ASSIGN_OR_RETURN(DeviceBuffer d1, Upload(ctx, *p[1]));
  ASSIGN_OR_RETURN(DeviceBuffer d2, Upload(ctx, *p[2]));
  ASSIGN_OR_RETURN(DeviceBuffer d3, Upload(ctx, *p[3]));
  ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, x->nbytes()));
  RETURN_IF_ERROR(CudaCheck(ctx,
                            LaunchBatchNorm(dx.as<float>(), d0.as<float>(), d1.as<float>(),
                                            d2.as<float>(), d3.as<float>(), dy.as<float>(), n, c,
                                            inner, eps),
                            "batch norm kernel"));
  ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, DType::kF32, x->shape()));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace

absl::Status LayerNormalizationKernel(KernelContext& ctx) {
  return LayerNormGpu(ctx, ref::LayerNormalizationKernel);
}
absl::Status InstanceNormalizationKernel(KernelContext& ctx) {
  return InstanceNormGpu(ctx, ref::InstanceNormalizationKernel);
}
absl::Status BatchNormalizationKernel(KernelContext& ctx) {
  return BatchNormGpu(ctx, ref::BatchNormalizationKernel);
}

}  // namespace cuda
}  // namespace rt
}  // namespace tp
