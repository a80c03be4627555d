// Transpose on the GPU as strided copies of any 1/2/4/8-byte element type (tensor/layout_impl.cu).

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

absl::Status TransposeGpu(KernelContext& ctx, const KernelFn& fb) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  if (!Movable(x)) return RunFallback(ctx, fb);
  const int rank = x->rank();
  std::vector<int64_t> perm(rank);
  for (int i = 0; i < rank; ++i) perm[i] = rank - 1 - i;
  perm = ctx.GetInts("perm", perm);
  std::vector<bool> seen(rank, false);
  if (static_cast<int>(perm.size()) != rank) return RunFallback(ctx, fb);
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[p]) return RunFallback(ctx, fb);
    seen[p] = true;
  }
  const std::vector<int64_t> in_strides = RowMajorStrides(x->shape());
  Shape out(rank);
  StridedShape s;
  s.rank = rank;
  for (int i = 0; i < rank; ++i) {
    out[i] = x->shape()[perm[i]];
    s.dims[i] = out[i];
    s.strides[0][i] = in_strides[perm[i]];
  }
  SetPackedDest(out, &s);
  return CopyOut(ctx, *x, out, s, 0);
}

}  // namespace

absl::Status TransposeKernel(KernelContext& ctx) {
  return TransposeGpu(ctx, ref::TransposeKernel);
}

}  // namespace cuda
}  // namespace rt
}  // namespace tp
