// Split into outputs along one axis (sizes from the attribute before opset 13, the input from 13,
// or equal parts; opset 18's num_outputs).

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/reference/util.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {

absl::Status SplitKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  absl::StatusOr<int> axis_or = NormalizeAxis(ctx.GetInt("axis", 0), x.rank());
  RETURN_IF_ERROR(ctx.Annotate(axis_or.status()));
  const int axis = *axis_or;
  bool present = false;
  ASSIGN_OR_RETURN(std::vector<int64_t> split, IntsFromInputOrAttr(ctx, 1, 13, "split", &present));
  const int64_t dim = x.shape()[axis];
  const int n_out = ctx.num_outputs();
  if (split.empty()) {
    // Equal parts; from opset 18 `num_outputs` with a smaller last part.
    const int64_t parts = ctx.opset() >= 18 ? ctx.GetInt("num_outputs", n_out) : n_out;
    if (parts <= 0) return ctx.Invalid("no outputs to split into");
    const int64_t size = ctx.opset() >= 18 ? (dim + parts - 1) / parts : dim / parts;
    if (ctx.opset() < 18 && dim % parts != 0) {
      return ctx.Invalid(absl::StrCat("dim ", dim, " does not split evenly into ", parts));
    }
    for (int64_t i = 0; i < parts; ++i) split.push_back(std::min(size, dim - i * size));
  }
  int64_t total = 0;
  for (int64_t s : split) total += s;
  if (static_cast<int>(split.size()) != n_out || total != dim) {
    return ctx.Invalid(absl::StrCat("split [", absl::StrJoin(split, ", "), "] for ", n_out,
                                     " outputs along a dim of ", dim));
  }
  int64_t start = 0;
  for (int i = 0; i < n_out; ++i) {
    if (split[i] < 0) return ctx.Invalid("negative split size");
    if (ctx.WantsOutput(i)) ctx.SetOutput(i, SliceAxis(x, axis, start, split[i]));
    start += split[i];
  }
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
