// DepthToSpace (DCR and CRD modes) and SpaceToDepth, as permutations of a 6-D view.


#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/reference/util.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {

absl::Status DepthToSpaceKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  const int64_t b = ctx.GetInt("blocksize", 0);
  if (x.rank() != 4 || b <= 0 || x.shape()[1] % (b * b) != 0) {
    return ctx.Invalid(absl::StrCat("input ", ShapeToString(x.shape()), " with blocksize ", b,
                                     "; expected [N, C, H, W] with C divisible by blocksize^2"));
  }
  const int64_t N = x.shape()[0], C = x.shape()[1], H = x.shape()[2], W = x.shape()[3];
  const Shape out = {N, C / (b * b), H * b, W * b};
  if (ctx.GetString("mode", "DCR") == "CRD") {
    ctx.SetOutput(0, PermuteAs(x, {N, C / (b * b), b, b, H, W}, {0, 1, 4, 2, 5, 3}, out));
  } else {
    ctx.SetOutput(0, PermuteAs(x, {N, b, b, C / (b * b), H, W}, {0, 3, 4, 1, 5, 2}, out));
  }
  return absl::OkStatus();
}

absl::Status SpaceToDepthKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  const int64_t b = ctx.GetInt("blocksize", 0);
  if (x.rank() != 4 || b <= 0 || x.shape()[2] % b != 0 || x.shape()[3] % b != 0) {
    return ctx.Invalid(absl::StrCat("input ", ShapeToString(x.shape()), " with blocksize ", b,
                                     "; expected [N, C, H, W] with H, W divisible by it"));
  }
  const int64_t N = x.shape()[0], C = x.shape()[1], H = x.shape()[2], W = x.shape()[3];
  ctx.SetOutput(0, PermuteAs(x, {N, C, H / b, b, W / b, b}, {0, 3, 5, 1, 2, 4},
                             {N, C * b * b, H / b, W / b}));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
