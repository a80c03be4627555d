// ConvInteger and QLinearConv: convolutions of 8-bit integers with zero points subtracted
// (x per tensor; w per tensor or per output channel), accumulated exactly in int64. ConvInteger
// returns the int32 sums; QLinearConv adds the int32 bias, scales by x_scale * w_scale / y_scale,
// rounds half to even, adds y_zero_point and saturates to y's type. Geometry as Conv's.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/reference/nn/conv_params.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {
namespace {

bool Is8Bit(DType t) { return t == DType::kU8 || t == DType::kI8; }

// Per-tensor (1 value) or per-channel (`channels` values) parameter, as `channels` values.
absl::StatusOr<std::vector<double>> PerChannel(const KernelContext& ctx, const Tensor* t,
                                               int64_t channels, double def, const char* what) {
  if (t == nullptr) return std::vector<double>(channels, def);
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*t));
  if (v.size() == 1) return std::vector<double>(channels, v[0]);
  if (static_cast<int64_t>(v.size()) != channels) {
    return ctx.Invalid(absl::StrCat(what, " has ", v.size(), " values, expected 1 or ", channels));
  }
  return v;
}

// The integer sums sum((x - x_zp) * (w - w_zp[m])), laid out as Conv's output.
absl::StatusOr<std::vector<int64_t>> IntegerConv(KernelContext& ctx, const Tensor& x,
                                                 const Tensor& w, double x_zp,
                                                 const std::vector<double>& w_zp,
                                                 const ConvParams& p) {
  ASSIGN_OR_RETURN(std::vector<int64_t> xv, ReadAs<int64_t>(x));
  ASSIGN_OR_RETURN(std::vector<int64_t> wv, ReadAs<int64_t>(w));
  const int nd = p.spatial_rank();
  const int64_t ks = p.KernelSize(), os = p.OutSpatialSize(), is = p.InSpatialSize();
  const int64_t cin_g = p.c_in / p.group, cout_g = p.c_out / p.group;
  const std::vector<int64_t> kc = CoordinateTable(p.kernel);
  const std::vector<int64_t> oc = CoordinateTable(p.out_spatial);
  const int64_t xz = static_cast<int64_t>(x_zp);
  std::vector<int64_t> y(p.batch * p.c_out * os, 0);
  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t m = 0; m < p.c_out; ++m) {
      const int64_t g = m / cout_g, wz = static_cast<int64_t>(w_zp[m]);
      for (int64_t o = 0; o < os; ++o) {
        int64_t acc = 0;
        for (int64_t ci = 0; ci < cin_g; ++ci) {
          const int64_t c = g * cin_g + ci;
          for (int64_t k = 0; k < ks; ++k) {
            int64_t flat;
            // Padding holds the zero point: it adds nothing.
            if (!p.TapIndex(&oc[o * nd], &kc[k * nd], p.in_spatial, &flat)) continue;
            acc += (xv[(n * p.c_in + c) * is + flat] - xz) * (wv[(m * cin_g + ci) * ks + k] - wz);
          }
        }
        y[(n * p.c_out + m) * os + o] = acc;
      }
    }
  }
  return y;
}

}  // namespace

absl::Status ConvIntegerKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* w, ctx.Input(1));
  if (!Is8Bit(x->dtype()) || !Is8Bit(w->dtype())) {
    return ctx.Invalid(absl::StrCat("x is ", DTypeName(x->dtype()), ", w ", DTypeName(w->dtype()),
                                    "; expected u8 or i8"));
  }
  ASSIGN_OR_RETURN(ConvParams p, ResolveConv(ctx, x->shape(), w->shape()));
  ASSIGN_OR_RETURN(std::vector<double> xz,
                   PerChannel(ctx, ctx.OptionalInput(2), 1, 0, "x_zero_point"));
  ASSIGN_OR_RETURN(std::vector<double> wz,
                   PerChannel(ctx, ctx.OptionalInput(3), p.c_out, 0, "w_zero_point"));
  ASSIGN_OR_RETURN(std::vector<int64_t> y, IntegerConv(ctx, *x, *w, xz[0], wz, p));
  ASSIGN_OR_RETURN(Tensor out, WriteAs<int64_t>(DType::kI32, p.OutputShape(), y));
  ctx.SetOutput(0, std::move(out));
  return absl::OkStatus();
}

absl::Status QLinearConvKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* w, ctx.Input(3));
  ASSIGN_OR_RETURN(const Tensor* y_zp_t, ctx.Input(7));
  if (!Is8Bit(x->dtype()) || !Is8Bit(w->dtype()) || !Is8Bit(y_zp_t->dtype())) {
    return ctx.Invalid("x, w and y_zero_point must be u8 or i8");
  }
  ASSIGN_OR_RETURN(ConvParams p, ResolveConv(ctx, x->shape(), w->shape()));
  ASSIGN_OR_RETURN(std::vector<double> xs, PerChannel(ctx, *ctx.Input(1), 1, 1, "x_scale"));
  ASSIGN_OR_RETURN(std::vector<double> xz, PerChannel(ctx, *ctx.Input(2), 1, 0, "x_zero_point"));
  ASSIGN_OR_RETURN(std::vector<double> ws, PerChannel(ctx, *ctx.Input(4), p.c_out, 1, "w_scale"));
  ASSIGN_OR_RETURN(std::vector<double> wz,
                   PerChannel(ctx, *ctx.Input(5), p.c_out, 0, "w_zero_point"));
  ASSIGN_OR_RETURN(std::vector<double> ys, PerChannel(ctx, *ctx.Input(6), 1, 1, "y_scale"));
  ASSIGN_OR_RETURN(std::vector<double> yz, PerChannel(ctx, y_zp_t, 1, 0, "y_zero_point"));
  ASSIGN_OR_RETURN(std::vector<double> bias,
                   PerChannel(ctx, ctx.OptionalInput(8), p.c_out, 0, "B"));
  ASSIGN_OR_RETURN(std::vector<int64_t> acc, IntegerConv(ctx, *x, *w, xz[0], wz, p));
  const int64_t os = p.OutSpatialSize();
  const double lo = y_zp_t->dtype() == DType::kU8 ? 0 : -128;
  const double hi = y_zp_t->dtype() == DType::kU8 ? 255 : 127;
  std::vector<int64_t> y(acc.size());
  for (size_t i = 0; i < acc.size(); ++i) {
    const int64_t m = static_cast<int64_t>(i / os) % p.c_out;
    const double real = (static_cast<double>(acc[i]) + bias[m]) * xs[0] * ws[m];
    const double q = std::nearbyint(real / ys[0]) + yz[0];
    y[i] = static_cast<int64_t>(std::min(hi, std::max(lo, q)));
  }
  ASSIGN_OR_RETURN(Tensor out, WriteAs<int64_t>(y_zp_t->dtype(), p.OutputShape(), y));
  ctx.SetOutput(0, std::move(out));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
