// Gather on the GPU as strided copies of any 1/2/4/8-byte element type (tensor/layout_impl.cu).

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

absl::Status GatherGpu(KernelContext& ctx, const KernelFn& fb) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* idx_t, ctx.Input(1));
  if (!Movable(x) || (idx_t->dtype() != DType::kI64 && idx_t->dtype() != DType::kI32)) {
    return RunFallback(ctx, fb);
  }
  const int rank = x->rank();
  int64_t axis = ctx.GetInt("axis", 0);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return RunFallback(ctx, fb);
  absl::StatusOr<std::vector<int64_t>> idx = ReadAs<int64_t>(*idx_t);
  if (!idx.ok()) return RunFallback(ctx, fb);
  const int64_t dim = x->shape()[axis];
  for (int64_t& i : *idx) {
    if (i < -dim || i >= dim) return RunFallback(ctx, fb);  // the reference reports it
    if (i < 0) i += dim;
  }
  Shape out(x->shape().begin(), x->shape().begin() + axis);
  out.insert(out.end(), idx_t->shape().begin(), idx_t->shape().end());
  out.insert(out.end(), x->shape().begin() + axis + 1, x->shape().end());
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= x->shape()[d];
  for (int d = axis + 1; d < rank; ++d) inner *= x->shape()[d];
  const int64_t count = static_cast<int64_t>(idx->size());
  RETURN_IF_ERROR(CudaReady(ctx));
  const int es = ElementSize(x->dtype());
  ASSIGN_OR_RETURN(DeviceBuffer dx, Upload(ctx, *x));
  ASSIGN_OR_RETURN(DeviceBuffer di, UploadBytes(ctx, idx->data(), count * 8));
  ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, outer * count * inner * es));
  RETURN_IF_ERROR(CudaCheck(ctx,
                            LaunchGather(dx.get(), di.as<int64_t>(), dy.get(), es, outer, dim,
                                         count, inner),
                            "gather kernel"));
  ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, x->dtype(), out));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace

absl::Status GatherKernel(KernelContext& ctx) {
  return GatherGpu(ctx, ref::GatherKernel);
}

}  // namespace cuda
}  // namespace rt
}  // namespace tp
