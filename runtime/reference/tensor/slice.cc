// Slice with starts / ends / axes / steps from attributes (opset < 10) or inputs, negative steps
// and clamping as NumPy does.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/reference/util.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {

absl::Status SliceKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  const int rank = x.rank();
  std::vector<int64_t> starts, ends, axes, steps;
  if (ctx.opset() >= 10) {
    for (int i = 1; i <= 4; ++i) {
      const Tensor* t = ctx.OptionalInput(i);
      if (t == nullptr) continue;
      absl::StatusOr<std::vector<int64_t>> v = ReadInts(*t);
      RETURN_IF_ERROR(ctx.Annotate(v.status()));
      (i == 1 ? starts : i == 2 ? ends : i == 3 ? axes : steps) = *v;
    }
  } else {
    starts = ctx.GetInts("starts", {});
    ends = ctx.GetInts("ends", {});
    axes = ctx.GetInts("axes", {});
  }
  if (axes.empty()) for (size_t i = 0; i < starts.size(); ++i) axes.push_back(i);
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size()) {
    return ctx.Invalid(absl::StrCat("starts/ends/axes/steps have ", starts.size(), "/",
                                     ends.size(), "/", axes.size(), "/", steps.size(),
                                     " entries; expected equal counts"));
  }
  std::vector<int64_t> st(rank, 0), step(rank, 1);
  Shape out = x.shape();
  for (size_t i = 0; i < starts.size(); ++i) {
    absl::StatusOr<int> a = NormalizeAxis(axes[i], rank);
    RETURN_IF_ERROR(ctx.Annotate(a.status()));
    const int64_t d = x.shape()[*a];
    const int64_t s = steps[i];
    if (s == 0) return ctx.Invalid("step is 0");
    int64_t b = starts[i], e = ends[i];
    if (b < 0) b += d;
    if (e < 0) e += d;
    if (s > 0) {
      b = std::clamp<int64_t>(b, 0, d);
      e = std::clamp<int64_t>(e, 0, d);
      out[*a] = e > b ? (e - b + s - 1) / s : 0;
    } else {
      b = std::clamp<int64_t>(b, 0, d - 1);
      e = std::clamp<int64_t>(e, -1, d - 1);
      out[*a] = b > e ? (b - e + (-s) - 1) / (-s) : 0;
    }
    st[*a] = b;
    step[*a] = s;
  }
  std::vector<int64_t> in_strides = RowMajorStrides(x.shape()), strides(rank);
  int64_t base = 0;
  for (int i = 0; i < rank; ++i) {
    strides[i] = in_strides[i] * step[i];
    base += st[i] * in_strides[i];
  }
  Tensor y = Tensor::Zeros(x.dtype(), out);
  StridedCopy(x.data(), base, strides, out, ElementSize(x.dtype()), y.mutable_data());
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
