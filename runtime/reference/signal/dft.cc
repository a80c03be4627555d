// DFT and STFT (opset 17) as direct sums in double: real or complex input ([..., 2] last dim),
// onesided and inverse, frames with a window and a frame step.

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/reference/util.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {
namespace {

// out[k] = sum_n in[n] * exp(sign * 2 pi i k n / len), n < min(len, count) (zero padding past
// the signal), for k < bins. Complex values interleaved (re, im).
void Dft(const double* in, int64_t count, int64_t in_stride, bool in_complex, int64_t len,
         int64_t bins, bool inverse, double* out, int64_t out_stride) {
  const double sign = inverse ? 1.0 : -1.0;
  const int64_t n_max = std::min(len, count);
  for (int64_t k = 0; k < bins; ++k) {
    double re = 0, im = 0;
    for (int64_t n = 0; n < n_max; ++n) {
      // k * n mod len keeps the angle small, so cos/sin stay accurate for long transforms.
      const double angle = sign * 2.0 * M_PI * static_cast<double>((k * n) % len) / len;
      const double c = std::cos(angle), s = std::sin(angle);
      const double xr = in[n * in_stride], xi = in_complex ? in[n * in_stride + 1] : 0.0;
      re += xr * c - xi * s;
      im += xr * s + xi * c;
    }
    if (inverse) {
      re /= len;
      im /= len;
    }
    out[k * out_stride] = re;
    out[k * out_stride + 1] = im;
  }
}

}  // namespace

absl::Status DftKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  const int rank = x->rank();
  if (rank < 3 || (x->shape().back() != 1 && x->shape().back() != 2)) {
    return ctx.Invalid(absl::StrCat("input has shape ", ShapeToString(x->shape()),
                                     "; expected [batch, ..., 1 or 2]"));
  }
  const bool in_complex = x->shape().back() == 2;
  int64_t axis = ctx.GetInt("axis", 1);
  if (axis < 0) axis += rank;
  if (axis < 1 || axis >= rank - 1) {
    return ctx.Invalid(absl::StrCat("axis ", ctx.GetInt("axis", 1), " must be a signal axis"));
  }
  const bool inverse = ctx.GetInt("inverse", 0) != 0;
  const bool onesided = ctx.GetInt("onesided", 0) != 0;
  const int64_t n_in = x->shape()[axis];
  int64_t len = n_in;
  if (const Tensor* l = ctx.OptionalInput(1)) {
    ASSIGN_OR_RETURN(len, ScalarInt(ctx, *l, "dft_length"));
  }
  if (len <= 0 || len > (int64_t{1} << 24)) return ctx.Invalid("dft_length out of range");
  const int64_t bins = onesided ? len / 2 + 1 : len;
  Shape out = x->shape();
  out[axis] = bins;
  out.back() = 2;
  RETURN_IF_ERROR(CheckOutputShape(out));
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*x));
  ASSIGN_OR_RETURN(int64_t total, NumElements(out));
  std::vector<double> y(total);
  const int64_t c_in = x->shape().back();
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= x->shape()[i];
  for (int i = axis + 1; i < rank - 1; ++i) inner *= x->shape()[i];
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t in = 0; in < inner; ++in) {
      Dft(v.data() + (o * n_in * inner + in) * c_in, n_in, inner * c_in, in_complex, len, bins,
          inverse, y.data() + (o * bins * inner + in) * 2, inner * 2);
    }
  ASSIGN_OR_RETURN(Tensor t, WriteAs<double>(x->dtype(), out, y));
  ctx.SetOutput(0, std::move(t));
  return absl::OkStatus();
}

absl::Status StftKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* step_t, ctx.Input(1));
  const Tensor* window = ctx.OptionalInput(2);
  const Tensor* length_t = ctx.OptionalInput(3);
  if (x->rank() != 3 || (x->shape()[2] != 1 && x->shape()[2] != 2)) {
    return ctx.Invalid(absl::StrCat("signal has shape ", ShapeToString(x->shape()),
                                     "; expected [batch, length, 1 or 2]"));
  }
  ASSIGN_OR_RETURN(int64_t step, ScalarInt(ctx, *step_t, "frame_step"));
  int64_t frame = -1;
  if (length_t != nullptr) {
    ASSIGN_OR_RETURN(frame, ScalarInt(ctx, *length_t, "frame_length"));
  }
  std::vector<double> w;
  if (window != nullptr) {
    ASSIGN_OR_RETURN(w, ReadAs<double>(*window));
    if (window->rank() != 1 || (frame >= 0 && static_cast<int64_t>(w.size()) != frame)) {
      return ctx.Invalid("window must be 1-D with frame_length values");
    }
    frame = static_cast<int64_t>(w.size());
  }
  const int64_t batch = x->shape()[0], n = x->shape()[1], c_in = x->shape()[2];
  if (frame <= 0 || frame > n || step <= 0) {
    return ctx.Invalid(absl::StrCat("frame_length ", frame, " and frame_step ", step,
                                     " do not fit a signal of ", n));
  }
  if (w.empty()) w.assign(frame, 1.0);
  const bool onesided = ctx.GetInt("onesided", 1) != 0;
  const int64_t bins = onesided ? frame / 2 + 1 : frame;
  const int64_t frames = (n - frame) / step + 1;
  Shape out = {batch, frames, bins, 2};
  RETURN_IF_ERROR(CheckOutputShape(out));
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*x));
  std::vector<double> y(batch * frames * bins * 2), seg(frame * c_in);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t f = 0; f < frames; ++f) {
      for (int64_t i = 0; i < frame; ++i)
        for (int64_t c = 0; c < c_in; ++c) {
          seg[i * c_in + c] = v[(b * n + f * step + i) * c_in + c] * w[i];
        }
      Dft(seg.data(), frame, c_in, c_in == 2, frame, bins, false,
          y.data() + (b * frames + f) * bins * 2, 2);
    }
  ASSIGN_OR_RETURN(Tensor t, WriteAs<double>(x->dtype(), out, y));
  ctx.SetOutput(0, std::move(t));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
