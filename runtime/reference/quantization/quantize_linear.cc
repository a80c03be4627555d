// QuantizeLinear, DequantizeLinear (per tensor or per axis) and DynamicQuantizeLinear, rounding
// half to even and saturating like the ONNX spec.

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {
namespace {

// For each element of x, the index into a per-axis parameter (0 when per tensor).
absl::StatusOr<std::vector<int64_t>> ParamIndex(const KernelContext& ctx, const Tensor& x,
                                                const Tensor& scale) {
  std::vector<int64_t> idx(x.num_elements(), 0);
  if (scale.num_elements() == 1 && scale.rank() <= 1) return idx;
  if (scale.rank() != 1) return ctx.Invalid("scale must be a scalar or 1-D");
  absl::StatusOr<int> axis = NormalizeAxis(ctx.GetInt("axis", 1), x.rank());
  if (!axis.ok()) return ctx.Invalid(std::string(axis.status().message()));
  if (x.shape()[*axis] != scale.num_elements()) {
    return ctx.Invalid(absl::StrCat("scale has ", scale.num_elements(), " values for axis ",
                                     *axis, " of size ", x.shape()[*axis]));
  }
  int64_t inner = 1;
  for (int i = *axis + 1; i < x.rank(); ++i) inner *= x.shape()[i];
  for (size_t k = 0; k < idx.size(); ++k) idx[k] = (k / inner) % x.shape()[*axis];
  return idx;
}

int64_t Saturate(double v, DType t) {
  const double lo = t == DType::kI8 ? -128 : 0, hi = t == DType::kI8 ? 127 : 255;
  return static_cast<int64_t>(std::min(std::max(v, lo), hi));
}

}  // namespace

absl::Status QuantizeLinearKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* scale, ctx.Input(1));
  const Tensor* zp = ctx.OptionalInput(2);
  const DType out = zp != nullptr ? zp->dtype() : DType::kU8;
  if (out != DType::kU8 && out != DType::kI8) {
    return ctx.Error(absl::StatusCode::kUnimplemented,
                     absl::StrCat("zero point type ", DTypeName(out), "; expected u8 or i8"));
  }
  ASSIGN_OR_RETURN(std::vector<int64_t> idx, ParamIndex(ctx, *x, *scale));
  ASSIGN_OR_RETURN(std::vector<double> xv, ReadAs<double>(*x));
  ASSIGN_OR_RETURN(std::vector<double> sv, ReadAs<double>(*scale));
  std::vector<int64_t> zv(sv.size(), 0);
  if (zp != nullptr) {
    ASSIGN_OR_RETURN(zv, ReadAs<int64_t>(*zp));
    if (zv.size() != sv.size()) return ctx.Invalid("zero point and scale sizes differ");
  }
  std::vector<int64_t> y(xv.size());
  for (size_t k = 0; k < y.size(); ++k) {
    const float q = static_cast<float>(xv[k]) / static_cast<float>(sv[idx[k]]);
    y[k] = Saturate(std::nearbyint(q) + zv[idx[k]], out);
  }
  ASSIGN_OR_RETURN(Tensor t, WriteAs<int64_t>(out, x->shape(), y));
  ctx.SetOutput(0, std::move(t));
  return absl::OkStatus();
}

absl::Status DequantizeLinearKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* scale, ctx.Input(1));
  const Tensor* zp = ctx.OptionalInput(2);
  ASSIGN_OR_RETURN(std::vector<int64_t> idx, ParamIndex(ctx, *x, *scale));
  ASSIGN_OR_RETURN(std::vector<int64_t> xv, ReadAs<int64_t>(*x));
  ASSIGN_OR_RETURN(std::vector<double> sv, ReadAs<double>(*scale));
  std::vector<int64_t> zv(sv.size(), 0);
  if (zp != nullptr) {
    ASSIGN_OR_RETURN(zv, ReadAs<int64_t>(*zp));
    if (zv.size() != sv.size()) return ctx.Invalid("zero point and scale sizes differ");
  }
  std::vector<double> y(xv.size());
  for (size_t k = 0; k < y.size(); ++k) {
    y[k] = static_cast<float>(xv[k] - zv[idx[k]]) * static_cast<float>(sv[idx[k]]);
  }
  ASSIGN_OR_RETURN(Tensor t, WriteAs<double>(scale->dtype(), x->shape(), y));
  ctx.SetOutput(0, std::move(t));
  return absl::OkStatus();
}

absl::Status DynamicQuantizeLinearKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(std::vector<double> xv, ReadAs<double>(*x));
  float lo = 0, hi = 0;
  for (double v : xv) {
    lo = std::min(lo, static_cast<float>(v));
    hi = std::max(hi, static_cast<float>(v));
  }
  const float scale = (hi - lo) / 255.0f;
  const float safe = scale == 0 ? 1.0f : scale;
  const int64_t zp = Saturate(std::nearbyint(0.0f - lo / safe), DType::kU8);
  std::vector<int64_t> y(xv.size());
  for (size_t k = 0; k < y.size(); ++k) {
    y[k] = Saturate(std::nearbyint(static_cast<float>(xv[k]) / safe) + zp, DType::kU8);
  }
  ASSIGN_OR_RETURN(Tensor t, WriteAs<int64_t>(DType::kU8, x->shape(), y));
  ctx.SetOutput(0, std::move(t));
  ctx.SetOutput(1, TensorFromFloats({}, {scale}));
  ASSIGN_OR_RETURN(Tensor z, WriteAs<int64_t>(DType::kU8, {}, {zp}));
  ctx.SetOutput(2, std::move(z));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
