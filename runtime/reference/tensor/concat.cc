// Concat along one axis, any element type.


#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/reference/util.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {

absl::Status ConcatKernel(KernelContext& ctx) {
  std::vector<Tensor> ins;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    ASSIGN_OR_RETURN(const Tensor* t, ctx.Input(i));
    ins.push_back(*t);
  }
  if (ins.empty()) return ctx.Invalid("no inputs");
  absl::StatusOr<int> axis = NormalizeAxis(ctx.GetInt("axis", 0), ins[0].rank());
  RETURN_IF_ERROR(ctx.Annotate(axis.status()));
  absl::StatusOr<Tensor> y = ConcatAlong(ins, *axis);
  RETURN_IF_ERROR(ctx.Annotate(y.status()));
  ctx.SetOutput(0, *std::move(y));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
