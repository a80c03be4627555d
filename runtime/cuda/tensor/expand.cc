// Expand on the GPU as strided copies of any 1/2/4/8-byte element type (tensor/layout_impl.cu).

#include <vector>

#include "core/status_macros.h"
#include "runtime/cuda/cuda_context.h"
#include "runtime/cuda/kernel_util.h"
#include "runtime/cuda/kernels.h"
#include "runtime/cuda/tensor/layout_impl.h"
#include "runtime/reference/kernels.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace cuda {
namespace {

absl::Status ExpandGpu(KernelContext& ctx, const KernelFn& fb) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* shape_t, ctx.Input(1));
  if (!Movable(x)) return RunFallback(ctx, fb);
  absl::StatusOr<std::vector<int64_t>> dims = ReadInts(*shape_t);
  if (!dims.ok()) return RunFallback(ctx, fb);
  absl::StatusOr<Shape> out = BroadcastShapes({x->shape(), Shape(dims->begin(), dims->end())});
  StridedShape s;
  if (!out.ok() || !MakeStrided(*out, {x->shape()}, &s)) return RunFallback(ctx, fb);
  SetPackedDest(*out, &s);
  return CopyOut(ctx, *x, *out, s, 0);
}

}  // namespace

absl::Status ExpandKernel(KernelContext& ctx) {
  return ExpandGpu(ctx, ref::ExpandKernel);
}

}  // namespace cuda
}  // namespace rt
}  // namespace tp
