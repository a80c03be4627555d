// Slice with starts / ends / axes / steps from attributes (opset < 10) or inputs, negative steps
// and clamping as NumPy does.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/reference/tensor/tensor_params.h"
#include "runtime/reference/util.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {

absl::Status SliceKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  ASSIGN_OR_RETURN(SliceParams p, ResolveSlice(ctx, x.shape()));
  const int rank = x.rank();
  std::vector<int64_t> in_strides = RowMajorStrides(x.shape()), strides(rank);
  int64_t base = 0;
  for (int i = 0; i < rank; ++i) {
    strides[i] = in_strides[i] * p.step[i];
    base += p.start[i] * in_strides[i];
  }
  Tensor y = Tensor::Zeros(x.dtype(), p.out);
  StridedCopy(x.data(), base, strides, p.out, ElementSize(x.dtype()), y.mutable_data());
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
