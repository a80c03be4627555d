// Split into outputs along one axis (sizes from the attribute before opset 13, the input from 13,
// or equal parts; opset 18's num_outputs).

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/reference/tensor/tensor_params.h"
#include "runtime/reference/util.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {

absl::Status SplitKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  int axis = 0;
  ASSIGN_OR_RETURN(std::vector<int64_t> split, ResolveSplit(ctx, x.shape(), &axis));
  int64_t start = 0;
  for (int i = 0; i < ctx.num_outputs(); ++i) {
    if (ctx.WantsOutput(i)) ctx.SetOutput(i, SliceAxis(x, axis, start, split[i]));
    start += split[i];
  }
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
