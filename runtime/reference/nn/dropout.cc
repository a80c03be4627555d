// Dropout in inference: the identity (and an all-true mask); training mode with a non-zero ratio
// is random and not supported.

#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/reference/util.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {

absl::Status DropoutKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  if (ctx.opset() >= 12) {
    if (const Tensor* tm = ctx.OptionalInput(2)) {
      ASSIGN_OR_RETURN(std::vector<int64_t> v, ReadAs<int64_t>(*tm));
      double ratio = 0.5;
      if (const Tensor* r = ctx.OptionalInput(1)) {
        ASSIGN_OR_RETURN(std::vector<double> rv, ReadAs<double>(*r));
        if (!rv.empty()) ratio = rv[0];
      }
      // Training with ratio 0 keeps every element: still deterministic.
      if (!v.empty() && v[0] != 0 && ratio != 0.0) {
        return ctx.Error(absl::StatusCode::kUnimplemented,
                         "training_mode is true; only inference (identity) is supported");
      }
    }
  } else if (ctx.opset() < 7 && ctx.GetInt("is_test", 0) == 0) {
    return ctx.Error(absl::StatusCode::kUnimplemented, "is_test is 0; only inference is supported");
  }
  RETURN_IF_ERROR(SetPacked(ctx, 0, *x));
  if (ctx.WantsOutput(1)) {
    Tensor mask = Tensor::Zeros(DType::kBool, x->shape());
    std::memset(mask.mutable_data(), 1, mask.nbytes());
    ctx.SetOutput(1, std::move(mask));
  }
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
