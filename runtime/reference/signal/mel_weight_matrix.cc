// MelWeightMatrix (opset 17): [dft_length / 2 + 1, num_mel_bins] triangular filters with peak 1
// between num_mel_bins + 2 points equally spaced on the mel scale mel(f) = 2595 log10(1 + f/700)
// from lower_edge_hertz to upper_edge_hertz, mapped to FFT bins as the operator's definition
// does: bin = floor((dft_length + 1) * f / sample_rate).
#include <cmath>
#include <cstdint>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/reference/util.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {
namespace {

absl::StatusOr<double> Scalar(const KernelContext& ctx, int i, const char* what) {
  ASSIGN_OR_RETURN(const Tensor* t, ctx.Input(i));
  if (t->num_elements() != 1) {
    return ctx.Invalid(
        absl::StrCat(what, " has shape ", ShapeToString(t->shape()), ", expected a scalar"));
  }
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*t));
  return v[0];
}

}  // namespace

absl::Status MelWeightMatrixKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* bins_t, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* dft_t, ctx.Input(1));
  ASSIGN_OR_RETURN(const Tensor* rate_t, ctx.Input(2));
  ASSIGN_OR_RETURN(int64_t mel_bins, ScalarInt(ctx, *bins_t, "num_mel_bins"));
  ASSIGN_OR_RETURN(int64_t dft_length, ScalarInt(ctx, *dft_t, "dft_length"));
  ASSIGN_OR_RETURN(int64_t sample_rate, ScalarInt(ctx, *rate_t, "sample_rate"));
  ASSIGN_OR_RETURN(double low_hz, Scalar(ctx, 3, "lower_edge_hertz"));
  ASSIGN_OR_RETURN(double high_hz, Scalar(ctx, 4, "upper_edge_hertz"));
  if (mel_bins <= 0 || dft_length <= 0 || sample_rate <= 0 || low_hz < 0 || high_hz < low_hz) {
    return ctx.Invalid(absl::StrCat("num_mel_bins ", mel_bins, ", dft_length ", dft_length,
                                    ", sample_rate ", sample_rate, ", edges ", low_hz, "..",
                                    high_hz, "; expected positive counts and 0 <= low <= high"));
  }
  absl::StatusOr<DType> dtype =
      DTypeFromOnnx(static_cast<int>(ctx.GetInt("output_datatype", onnx::TensorProto::FLOAT)));
  RETURN_IF_ERROR(ctx.Annotate(dtype.status()));
  const int64_t spec_bins = dft_length / 2 + 1;
  const Shape out = {spec_bins, mel_bins};
  RETURN_IF_ERROR(CheckOutputSize(ctx, out));
  const double low_mel = 2595.0 * std::log10(1.0 + low_hz / 700.0);
  const double high_mel = 2595.0 * std::log10(1.0 + high_hz / 700.0);
  const double step = (high_mel - low_mel) / static_cast<double>(mel_bins + 2);
  std::vector<int64_t> points(mel_bins + 2);
  for (int64_t i = 0; i < mel_bins + 2; ++i) {
    const double hz = 700.0 * (std::pow(10.0, (i * step + low_mel) / 2595.0) - 1.0);
    points[i] = static_cast<int64_t>(std::floor((dft_length + 1) * hz / sample_rate));
  }
  std::vector<double> w(spec_bins * mel_bins, 0.0);
  auto set = [&](int64_t j, int64_t i, double value) {
    if (j >= 0 && j < spec_bins) w[j * mel_bins + i] = value;
  };
  for (int64_t i = 0; i < mel_bins; ++i) {
    const int64_t left = points[i], center = points[i + 1], right = points[i + 2];
    if (center == left) {
      set(center, i, 1.0);
    } else {
      for (int64_t j = left; j <= center; ++j) {
        set(j, i, static_cast<double>(j - left) / static_cast<double>(center - left));
      }
    }
    for (int64_t j = center; j < right; ++j) {
      set(j, i, static_cast<double>(right - j) / static_cast<double>(right - center));
    }
  }
  ASSIGN_OR_RETURN(Tensor t, WriteAs<double>(*dtype, out, w));
  ctx.SetOutput(0, std::move(t));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
