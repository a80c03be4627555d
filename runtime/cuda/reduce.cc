// Reduction cuda kernels: ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1,
// ReduceL2, ReduceSumSquare, ReduceLogSum, ReduceLogSumExp over any axes (attribute before the
// op's axes-as-input opset, optional input 1 after), keepdims, noop_with_empty_axes. Reductions
// over zero elements go to the reference kernel.
#include <vector>

#include "core/status_macros.h"
#include "runtime/cuda/cuda_context.h"
#include "runtime/cuda/kernels.h"
#include "runtime/cuda/reduce_impl.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace cuda {
namespace {

constexpr int M = 18;

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

std::vector<CudaKernelDef> CudaReduceKernels() {
  using K = ReduceKind;
  return {
      {"ReduceSum", 1, M, Reduce(K::kSum, 13)},
      {"ReduceMean", 1, M, Reduce(K::kMean, 18)},
      {"ReduceMax", 1, M, Reduce(K::kMax, 18)},
      {"ReduceMin", 1, M, Reduce(K::kMin, 18)},
      {"ReduceProd", 1, M, Reduce(K::kProd, 18)},
      {"ReduceL1", 1, M, Reduce(K::kL1, 18)},
      {"ReduceL2", 1, M, Reduce(K::kL2, 18)},
      {"ReduceSumSquare", 1, M, Reduce(K::kSumSquare, 18)},
      {"ReduceLogSum", 1, M, Reduce(K::kLogSum, 18)},
      {"ReduceLogSumExp", 1, M, Reduce(K::kLogSumExp, 18)},
  };
}

}  // namespace cuda
}  // namespace rt
}  // namespace tp
