// The Reduce* family on the GPU (f32, ranks up to kMaxRank); other cases go to the reference
// kernel.

#include <functional>
#include <vector>

#include "core/status_macros.h"
#include "runtime/cuda/cuda_context.h"
#include "runtime/cuda/kernel_util.h"
#include "runtime/cuda/kernels.h"
#include "runtime/cuda/reduction/reduce_impl.h"
#include "runtime/reference/kernels.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace cuda {
namespace {

CudaKernelFn Reduce(ReduceKind kind, int axes_input_since) {
  return [kind, axes_input_since](KernelContext& ctx, const KernelFn& fb) -> absl::Status {
    ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
    const int rank = x->rank();
    if (!AllF32({x}) || rank > kMaxRank) return RunFallback(ctx, fb);
    std::vector<int64_t> axes;
    if (ctx.opset() >= axes_input_since) {
      if (const Tensor* a = ctx.OptionalInput(1)) {
        absl::StatusOr<std::vector<int64_t>> v = ReadInts(*a);
        if (!v.ok()) return RunFallback(ctx, fb);
        axes = *v;
      }
    } else {
      axes = ctx.GetInts("axes", {});
    }
    std::vector<bool> reduced(rank, axes.empty());
    if (axes.empty() && ctx.opset() >= axes_input_since &&
        ctx.GetInt("noop_with_empty_axes", 0) != 0) {
      return RunFallback(ctx, fb);  // identity
    }
    for (int64_t a : axes) {
      absl::StatusOr<int> ax = NormalizeAxis(a, rank);
      if (!ax.ok()) return RunFallback(ctx, fb);
      reduced[*ax] = true;
    }
    const bool keepdims = ctx.GetInt("keepdims", 1) != 0;
    const std::vector<int64_t> strides = RowMajorStrides(x->shape());
    ReduceGeometry g;
    Shape out;
    for (int d = 0; d < rank; ++d) {
      const int64_t dim = x->shape()[d];
      if (reduced[d]) {
        if (dim == 0) return RunFallback(ctx, fb);
        g.red_dims[g.red_rank] = dim;
        g.red_strides[g.red_rank++] = strides[d];
        if (keepdims) out.push_back(1);
      } else {
        g.kept_dims[g.kept_rank] = dim;
        g.kept_strides[g.kept_rank++] = strides[d];
        out.push_back(dim);
      }
    }
    RETURN_IF_ERROR(CudaReady(ctx));
    ASSIGN_OR_RETURN(int64_t n, NumElements(out));
    ASSIGN_OR_RETURN(DeviceBuffer dx, Upload(ctx, *x));
    ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, n * 4));
    RETURN_IF_ERROR(CudaCheck(ctx, LaunchReduce(kind, dx.as<float>(), dy.as<float>(), g),
                              "reduce kernel"));
    ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, DType::kF32, out));
    ctx.SetOutput(0, std::move(y));
    return absl::OkStatus();
  };
}

}  // namespace

absl::Status ReduceSumKernel(KernelContext& ctx) {
  return Reduce(ReduceKind::kSum, 13)(ctx, ref::ReduceSumKernel);
}
absl::Status ReduceMeanKernel(KernelContext& ctx) {
  return Reduce(ReduceKind::kMean, 18)(ctx, ref::ReduceMeanKernel);
}
absl::Status ReduceMaxKernel(KernelContext& ctx) {
  return Reduce(ReduceKind::kMax, 18)(ctx, ref::ReduceMaxKernel);
}
absl::Status ReduceMinKernel(KernelContext& ctx) {
  return Reduce(ReduceKind::kMin, 18)(ctx, ref::ReduceMinKernel);
}
absl::Status ReduceProdKernel(KernelContext& ctx) {
  return Reduce(ReduceKind::kProd, 18)(ctx, ref::ReduceProdKernel);
}
absl::Status ReduceL1Kernel(KernelContext& ctx) {
  return Reduce(ReduceKind::kL1, 18)(ctx, ref::ReduceL1Kernel);
}
absl::Status ReduceL2Kernel(KernelContext& ctx) {
  return Reduce(ReduceKind::kL2, 18)(ctx, ref::ReduceL2Kernel);
}
absl::Status ReduceSumSquareKernel(KernelContext& ctx) {
  return Reduce(ReduceKind::kSumSquare, 18)(ctx, ref::ReduceSumSquareKernel);
}
absl::Status ReduceLogSumKernel(KernelContext& ctx) {
  return Reduce(ReduceKind::kLogSum, 18)(ctx, ref::ReduceLogSumKernel);
}
absl::Status ReduceLogSumExpKernel(KernelContext& ctx) {
  return Reduce(ReduceKind::kLogSumExp, 18)(ctx, ref::ReduceLogSumExpKernel);
}

}  // namespace cuda
}  // namespace rt
}  // namespace tp
