// Concat on the GPU as strided copies of any 1/2/4/8-byte element type (tensor/layout_impl.cu).

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

absl::Status ConcatGpu(KernelContext& ctx, const KernelFn& fb) {
  std::vector<const Tensor*> ins;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    ASSIGN_OR_RETURN(const Tensor* t, ctx.Input(i));
    if (!Movable(t)) return RunFallback(ctx, fb);
    ins.push_back(t);
  }
  if (ins.empty()) return RunFallback(ctx, fb);
  const int rank = ins[0]->rank();
  int64_t axis = ctx.GetInt("axis", 0);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return RunFallback(ctx, fb);
  Shape out = ins[0]->shape();
  out[axis] = 0;
  for (const Tensor* t : ins) {
    if (t->dtype() != ins[0]->dtype() || t->rank() != rank) return RunFallback(ctx, fb);
    for (int d = 0; d < rank; ++d) {
      if (d != axis && t->shape()[d] != out[d]) return RunFallback(ctx, fb);
    }
    out[axis] += t->shape()[axis];
  }
  RETURN_IF_ERROR(CudaReady(ctx));
  const int es = ElementSize(ins[0]->dtype());
  ASSIGN_OR_RETURN(int64_t total, NumElements(out));
  ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, total * es));
  const std::vector<int64_t> out_strides = RowMajorStrides(out);
  int64_t offset = 0;
  for (const Tensor* t : ins) {
    if (t->num_elements() > 0) {
      ASSIGN_OR_RETURN(DeviceBuffer dx, Upload(ctx, *t));
      StridedShape s;
      s.rank = rank;
      const std::vector<int64_t> st = RowMajorStrides(t->shape());
      for (int d = 0; d < rank; ++d) {
        s.dims[d] = t->shape()[d];
        s.strides[0][d] = st[d];
        s.strides[1][d] = out_strides[d];
      }
      RETURN_IF_ERROR(CudaCheck(ctx,
                                LaunchStridedCopy(dx.get(), 0, dy.get(),
                                                  offset * out_strides[axis], es, s),
                                "concat copy kernel"));
      // dx returns to the cache; the next upload into it queues behind this copy.
    }
    offset += t->shape()[axis];
  }
  ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, ins[0]->dtype(), out));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace

absl::Status ConcatKernel(KernelContext& ctx) {
  return ConcatGpu(ctx, ref::ConcatKernel);
}

}  // namespace cuda
}  // namespace rt
}  // namespace tp
