// Slice for every plain dtype: one strided copy (negative steps read backwards).
#include <vector>

#include "core/status_macros.h"
#include "core/tensor.h"
#include "runtime/cpu/cpu_util.h"
#include "runtime/cpu/kernels.h"
#include "runtime/cpu/tensor/copy.h"
#include "runtime/reference/tensor/tensor_params.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace cpu {

absl::Status SliceKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x_in, ctx.Input(0));
  const int elem = CopyElementSize(x_in->dtype());
  if (elem == 0) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(SliceParams p, ResolveSlice(ctx, x_in->shape()));
  ASSIGN_OR_RETURN(Tensor x, x_in->Contiguous());
  const std::vector<int64_t> xs = RowMajorStrides(x.shape());
  std::vector<int64_t> strides(x.rank());
  int64_t base = 0;
  for (int d = 0; d < x.rank(); ++d) {
    strides[d] = xs[d] * p.step[d];
    base += p.start[d] * xs[d];
  }
  Tensor y = Tensor::Uninitialized(x.dtype(), p.out);
  CopyBox(x.data() + base * elem, strides, y.mutable_data(), RowMajorStrides(p.out), p.out, elem,
          Threads(ctx));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace cpu
}  // namespace rt
}  // namespace tp
