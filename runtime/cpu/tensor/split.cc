// Split for every plain dtype: each output is one strided copy of its slab.
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

absl::Status SplitKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x_in, ctx.Input(0));
  const int elem = CopyElementSize(x_in->dtype());
  if (elem == 0) return ReferenceFallback(ctx);
  int axis = 0;
  ASSIGN_OR_RETURN(std::vector<int64_t> split, ResolveSplit(ctx, x_in->shape(), &axis));
  ASSIGN_OR_RETURN(Tensor x, x_in->Contiguous());
  const std::vector<int64_t> xs = RowMajorStrides(x.shape());
  int64_t start = 0;
  for (int i = 0; i < ctx.num_outputs(); ++i) {
    if (ctx.WantsOutput(i)) {
      Shape out = x.shape();
      out[axis] = split[i];
      Tensor y = Tensor::Uninitialized(x.dtype(), out);
      CopyBox(x.data() + start * xs[axis] * elem, xs, y.mutable_data(), RowMajorStrides(out), out,
              elem, Threads(ctx));
      ctx.SetOutput(i, std::move(y));
    }
    start += split[i];
  }
  return absl::OkStatus();
}

}  // namespace cpu
}  // namespace rt
}  // namespace tp
