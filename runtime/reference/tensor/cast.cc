// Cast (to any tensor element type; float to integer truncates toward zero, to bool is != 0,
// narrowing floats round to nearest even) and CastLike.
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {

absl::Status CastKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  absl::StatusOr<DType> to = DTypeFromOnnx(static_cast<int>(ctx.GetInt("to", 0)));
  if (!to.ok()) return ctx.Error(to.status().code(), to.status().message());
  ASSIGN_OR_RETURN(Tensor y, Cast(*x, *to));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status CastLikeKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* like, ctx.Input(1));
  ASSIGN_OR_RETURN(Tensor y, Cast(*x, like->dtype()));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
