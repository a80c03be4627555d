// Softmax and LogSoftmax cuda kernels (both opset conventions, via ResolveSoftmax).

#include <functional>
#include <vector>

#include "core/status_macros.h"
#include "runtime/cuda/cuda_context.h"
#include "runtime/cuda/kernel_util.h"
#include "runtime/cuda/kernels.h"
#include "runtime/cuda/nn/norm_impl.h"
#include "runtime/reference/kernels.h"
#include "runtime/reference/math/matmul_params.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace cuda {
namespace {

CudaKernelFn Softmax(bool log) {
  return [log](KernelContext& ctx, const KernelFn& fb) -> absl::Status {
    ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
    if (!AllF32({x})) return RunFallback(ctx, fb);
    absl::StatusOr<SoftmaxGeometry> g = ResolveSoftmax(ctx, x->shape());
    if (!g.ok()) return RunFallback(ctx, fb);
    RETURN_IF_ERROR(CudaReady(ctx));
    ASSIGN_OR_RETURN(DeviceBuffer dx, Upload(ctx, *x));
    ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, x->nbytes()));
    RETURN_IF_ERROR(CudaCheck(
        ctx, LaunchSoftmax(dx.as<float>(), dy.as<float>(), g->outer, g->axis, g->inner, log),
        "softmax kernel"));
    ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, DType::kF32, x->shape()));
    ctx.SetOutput(0, std::move(y));
    return absl::OkStatus();
  };
}

}  // namespace

absl::Status SoftmaxKernel(KernelContext& ctx) {
  return Softmax(false)(ctx, ref::SoftmaxKernel);
}
absl::Status LogSoftmaxKernel(KernelContext& ctx) {
  return Softmax(true)(ctx, ref::LogSoftmaxKernel);
}

}  // namespace cuda
}  // namespace rt
}  // namespace tp
