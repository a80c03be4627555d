// Slice on the GPU as strided copies of any 1/2/4/8-byte element type (tensor/layout_impl.cu).

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

absl::Status SliceGpu(KernelContext& ctx, const KernelFn& fb) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  if (ctx.opset() < 10 || !Movable(x)) return RunFallback(ctx, fb);
  ASSIGN_OR_RETURN(const Tensor* starts_t, ctx.Input(1));
  ASSIGN_OR_RETURN(const Tensor* ends_t, ctx.Input(2));
  absl::StatusOr<std::vector<int64_t>> starts = ReadInts(*starts_t);
  absl::StatusOr<std::vector<int64_t>> ends = ReadInts(*ends_t);
  if (!starts.ok() || !ends.ok() || starts->size() != ends->size()) return RunFallback(ctx, fb);
  const int rank = x->rank();
  const size_t n = starts->size();
  std::vector<int64_t> axes(n), steps(n, 1);
  for (size_t i = 0; i < n; ++i) axes[i] = static_cast<int64_t>(i);
  if (const Tensor* a = ctx.OptionalInput(3)) {
    absl::StatusOr<std::vector<int64_t>> v = ReadInts(*a);
    if (!v.ok() || v->size() != n) return RunFallback(ctx, fb);
    axes = *v;
  }
  if (const Tensor* st = ctx.OptionalInput(4)) {
    absl::StatusOr<std::vector<int64_t>> v = ReadInts(*st);
    if (!v.ok() || v->size() != n) return RunFallback(ctx, fb);
    steps = *v;
  }
  const Shape& in = x->shape();
  const std::vector<int64_t> in_strides = RowMajorStrides(in);
  Shape out = in;
  std::vector<int64_t> first(rank, 0), step(rank, 1);
  std::vector<bool> seen(rank, false);
  for (size_t i = 0; i < n; ++i) {
    int64_t axis = axes[i];
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank || seen[axis] || steps[i] == 0) return RunFallback(ctx, fb);
    seen[axis] = true;
    const int64_t dim = in[axis];
    int64_t start = (*starts)[i], end = (*ends)[i];
    const int64_t stp = steps[i];
    if (start < 0) start += dim;
    if (end < 0) end += dim;
    int64_t count;
    if (stp > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
      count = end > start ? (end - start + stp - 1) / stp : 0;
    } else {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
      count = start > end ? (start - end - stp - 1) / (-stp) : 0;
    }
    out[axis] = count;
    first[axis] = count > 0 ? start : 0;
    step[axis] = stp;
  }
  StridedShape s;
  s.rank = rank;
  int64_t base = 0;
  for (int d = 0; d < rank; ++d) {
    s.dims[d] = out[d];
    s.strides[0][d] = step[d] * in_strides[d];
    base += first[d] * in_strides[d];
  }
  SetPackedDest(out, &s);
  return CopyOut(ctx, *x, out, s, base);
}

}  // namespace

absl::Status SliceKernel(KernelContext& ctx) {
  return SliceGpu(ctx, ref::SliceKernel);
}

}  // namespace cuda
}  // namespace rt
}  // namespace tp
