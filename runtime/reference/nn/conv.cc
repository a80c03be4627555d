// Conv and ConvTranspose (N-D, groups, dilations, strides, pads, auto_pad, output_padding,
// output_shape) as plain loops over the ONNX definitions, every sum in double.


#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/reference/nn/conv_params.h"
#include "runtime/reference/util.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {
namespace {

// Conv / ConvTranspose operands read as double, with the resolved geometry (bias zeros when B is
// absent).
struct ConvOperands {
  ConvParams p;
  DType dtype;
  std::vector<double> x, w, b;
};

absl::StatusOr<ConvOperands> ReadConvOperands(KernelContext& ctx, bool transpose) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* w, ctx.Input(1));
  const Tensor* b = ctx.OptionalInput(2);
  RETURN_IF_ERROR(CheckFloatInput(ctx, *x, "input X"));
  RETURN_IF_ERROR(CheckFloatInput(ctx, *w, "input W"));
  ConvOperands io;
  if (transpose) {
    ASSIGN_OR_RETURN(io.p, ResolveConvTranspose(ctx, x->shape(), w->shape()));
  } else {
    ASSIGN_OR_RETURN(io.p, ResolveConv(ctx, x->shape(), w->shape()));
  }
  RETURN_IF_ERROR(CheckBias(ctx, b, io.p.c_out));
  io.dtype = x->dtype();
  ASSIGN_OR_RETURN(io.x, ReadAs<double>(*x));
  ASSIGN_OR_RETURN(io.w, ReadAs<double>(*w));
  io.b.assign(io.p.c_out, 0.0);
  if (b != nullptr) {
    ASSIGN_OR_RETURN(io.b, ReadAs<double>(*b));
  }
  return io;
}

}  // namespace

absl::Status ConvKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(ConvOperands io, ReadConvOperands(ctx, /*transpose=*/false));
  const ConvParams& p = io.p;
  const std::vector<double>& xv = io.x;
  const std::vector<double>& wv = io.w;
  const std::vector<double>& bv = io.b;

  const int nd = p.spatial_rank();
  const int64_t ks = p.KernelSize(), os = p.OutSpatialSize(), is = p.InSpatialSize();
  const int64_t cin_g = p.c_in / p.group, cout_g = p.c_out / p.group;
  const std::vector<int64_t> kc = CoordinateTable(p.kernel);
  const std::vector<int64_t> oc = CoordinateTable(p.out_spatial);
  std::vector<double> y(p.batch * p.c_out * os, 0.0);
  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t m = 0; m < p.c_out; ++m) {
      const int64_t g = m / cout_g;
      for (int64_t o = 0; o < os; ++o) {
        double acc = bv[m];
        for (int64_t ci = 0; ci < cin_g; ++ci) {
          const int64_t c = g * cin_g + ci;
          for (int64_t k = 0; k < ks; ++k) {
            int64_t flat;
            if (!p.TapIndex(&oc[o * nd], &kc[k * nd], p.in_spatial, &flat)) continue;
            acc += xv[(n * p.c_in + c) * is + flat] * wv[(m * cin_g + ci) * ks + k];
          }
        }
        y[(n * p.c_out + m) * os + o] = acc;
      }
    }
  }
  ASSIGN_OR_RETURN(Tensor out, WriteAs<double>(io.dtype, p.OutputShape(), y));
  ctx.SetOutput(0, std::move(out));
  return absl::OkStatus();
}

// ConvTranspose as the scatter the ONNX definition describes: every input element adds
// x * w to the output positions i * stride - pad_begin + k * dilation.
absl::Status ConvTransposeKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(ConvOperands io, ReadConvOperands(ctx, /*transpose=*/true));
  const ConvParams& p = io.p;
  const std::vector<double>& xv = io.x;
  const std::vector<double>& wv = io.w;
  const std::vector<double>& bv = io.b;

  const int nd = p.spatial_rank();
  const int64_t ks = p.KernelSize(), os = p.OutSpatialSize(), is = p.InSpatialSize();
  const int64_t cin_g = p.c_in / p.group, cout_g = p.c_out / p.group;
  const std::vector<int64_t> kc = CoordinateTable(p.kernel);
  const std::vector<int64_t> ic = CoordinateTable(p.in_spatial);
  std::vector<double> y(p.batch * p.c_out * os, 0.0);
  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t m = 0; m < p.c_out; ++m) {
      for (int64_t o = 0; o < os; ++o) y[(n * p.c_out + m) * os + o] = bv[m];
    }
    for (int64_t c = 0; c < p.c_in; ++c) {
      const int64_t g = c / cin_g;
      for (int64_t i = 0; i < is; ++i) {
        const double xval = xv[(n * p.c_in + c) * is + i];
        for (int64_t k = 0; k < ks; ++k) {
          int64_t flat;
          if (!p.TapIndex(&ic[i * nd], &kc[k * nd], p.out_spatial, &flat)) continue;
          for (int64_t mo = 0; mo < cout_g; ++mo) {
            const int64_t m = g * cout_g + mo;
            y[(n * p.c_out + m) * os + flat] += xval * wv[(c * cout_g + mo) * ks + k];
          }
        }
      }
    }
  }
  ASSIGN_OR_RETURN(Tensor out, WriteAs<double>(io.dtype, p.OutputShape(), y));
  ctx.SetOutput(0, std::move(out));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
