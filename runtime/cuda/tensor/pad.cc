// Pad (constant, reflect, edge) on the GPU as strided copies of any 1/2/4/8-byte element type (tensor/layout_impl.cu).

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

absl::Status PadGpu(KernelContext& ctx, const KernelFn& fb) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  if (ctx.opset() < 11 || !Movable(x) || ctx.HasInput(3)) return RunFallback(ctx, fb);
  const std::string mode_name = ctx.GetString("mode", "constant");
  PadMode mode;
  if (mode_name == "constant") {
    mode = PadMode::kConstant;
  } else if (mode_name == "reflect") {
    mode = PadMode::kReflect;
  } else if (mode_name == "edge") {
    mode = PadMode::kEdge;
  } else {
    return RunFallback(ctx, fb);
  }
  ASSIGN_OR_RETURN(const Tensor* pads_t, ctx.Input(1));
  absl::StatusOr<std::vector<int64_t>> pads = ReadInts(*pads_t);
  const int rank = x->rank();
  if (!pads.ok() || static_cast<int>(pads->size()) != 2 * rank) return RunFallback(ctx, fb);
  uint64_t bits = 0;
  if (const Tensor* v = ctx.OptionalInput(2)) {
    if (v->dtype() != x->dtype() || v->num_elements() != 1) return RunFallback(ctx, fb);
    ASSIGN_OR_RETURN(Tensor packed, v->Contiguous());
    std::memcpy(&bits, packed.data(), ElementSize(v->dtype()));
  }
  PadGeometry g;
  g.rank = rank;
  Shape out(rank);
  for (int d = 0; d < rank; ++d) {
    const int64_t dim = x->shape()[d], pb = (*pads)[d], pe = (*pads)[d + rank];
    out[d] = dim + pb + pe;
    if (out[d] < 0) return RunFallback(ctx, fb);
    if (mode != PadMode::kConstant && (pb > 0 || pe > 0) && dim == 0) return RunFallback(ctx, fb);
    if (mode == PadMode::kReflect && (pb >= dim || pe >= dim) && (pb > 0 || pe > 0)) {
      return RunFallback(ctx, fb);
    }
    g.out_dims[d] = out[d];
    g.in_dims[d] = dim;
    g.pads_begin[d] = pb;
  }
  RETURN_IF_ERROR(CudaReady(ctx));
  const int es = ElementSize(x->dtype());
  ASSIGN_OR_RETURN(int64_t n, NumElements(out));
  ASSIGN_OR_RETURN(DeviceBuffer dx, Upload(ctx, *x));
  ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, n * es));
  RETURN_IF_ERROR(
      CudaCheck(ctx, LaunchPad(dx.get(), dy.get(), es, g, mode, bits), "pad kernel"));
  ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, x->dtype(), out));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace

absl::Status PadKernel(KernelContext& ctx) {
  return PadGpu(ctx, ref::PadKernel);
}

}  // namespace cuda
}  // namespace rt
}  // namespace tp
