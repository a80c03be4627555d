// Resize (nearest with every nearest_mode; linear and cubic with every
// coordinate_transformation_mode; scales or sizes; antialias none) and Upsample (opset 7-9), in
// double precision over the taps of reference/tensor/resize_params.h.

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/reference/tensor/resize_params.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {
namespace {

absl::Status Interpolate(KernelContext& ctx, const Tensor& x, const ResizePlan& plan) {
  const int rank = x.rank();
  const Shape& out_shape = plan.out;
  const std::vector<ResizeAxisPlan>& plans = plan.axes;
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(x));
  std::vector<int64_t> st = RowMajorStrides(x.shape());
  ASSIGN_OR_RETURN(int64_t n, NumElements(out_shape));
  std::vector<double> y(n);
  std::vector<int64_t> pos(rank, 0);
  for (int64_t k = 0; k < n; ++k) {
    bool outside = false;
    for (int d = 0; d < rank; ++d) outside = outside || plans[d].outside[pos[d]];
    if (outside) {
      y[k] = plan.extrapolation;
    } else {
      // Sum over the product of per-axis taps.
      std::vector<size_t> t(rank, 0);
      double acc = 0;
      while (true) {
        double w = 1;
        int64_t off = 0;
        for (int d = 0; d < rank; ++d) {
          const ResizeTap& tap = plans[d].taps[pos[d]][t[d]];
          w *= tap.weight;
          off += tap.index * st[d];
        }
        acc += w * v[off];
        int d = rank - 1;
        for (; d >= 0; --d) {
          if (++t[d] < plans[d].taps[pos[d]].size()) break;
          t[d] = 0;
        }
        if (d < 0) break;
      }
      y[k] = acc;
    }
    for (int d = rank - 1; d >= 0; --d) {
      if (++pos[d] < out_shape[d]) break;
      pos[d] = 0;
    }
  }
  if (IsIntegral(x.dtype()) && plan.mode == "nearest") {
    std::vector<int64_t> yi(y.begin(), y.end());
    ASSIGN_OR_RETURN(Tensor t, WriteAs<int64_t>(x.dtype(), out_shape, yi));
    ctx.SetOutput(0, std::move(t));
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(Tensor t, WriteAs<double>(x.dtype(), out_shape, y));
  ctx.SetOutput(0, std::move(t));
  return absl::OkStatus();
}

}  // namespace

absl::Status ResizeKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(ResizePlan plan, ResolveResize(ctx, "Resize", ctx.opset(), x->shape()));
  return Interpolate(ctx, *x, plan);
}

// Upsample-7 (scales attribute) and -9 (scales input): asymmetric coordinates, floor for nearest.
absl::Status UpsampleKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(ResizePlan plan, ResolveResize(ctx, "Upsample", ctx.opset(), x->shape()));
  return Interpolate(ctx, *x, plan);
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
