// GridSample (opset 16, 4-D): samples X [N, C, H, W] at the normalized (x, y) locations of grid
// [N, Ho, Wo, 2] with bilinear, nearest (round half to even) or bicubic (A = -0.75)
// interpolation, zeros / border / reflection padding and align_corners, as PyTorch's
// grid_sample computes it.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {
namespace {

enum class Padding { kZeros, kBorder, kReflection };

double Unnormalize(double c, int64_t size, bool align) {
  return align ? (c + 1) / 2 * (size - 1) : ((c + 1) * size - 1) / 2;
}

// Reflects c into [low / 2, high / 2] (doubled bounds keep half-integers exact).
double Reflect(double c, double twice_low, double twice_high) {
  if (twice_low == twice_high) return 0;
  const double lo = twice_low / 2, span = (twice_high - twice_low) / 2;
  c = std::fabs(c - lo);
  const double extra = std::fmod(c, span);
  const int64_t flips = static_cast<int64_t>(std::floor(c / span));
  return flips % 2 == 0 ? extra + lo : span - extra + lo;
}

double Clip(double c, int64_t size) {
  return std::min(static_cast<double>(size - 1), std::max(c, 0.0));
}

// The padding's remapping of a source coordinate.
double Pad(double c, int64_t size, Padding padding, bool align) {
  if (padding == Padding::kBorder) return Clip(c, size);
  if (padding == Padding::kReflection) {
    c = align ? Reflect(c, 0, 2.0 * (size - 1)) : Reflect(c, -1, 2.0 * size - 1);
    return Clip(c, size);
  }
  return c;
}

// Cubic convolution weights of the 4 taps around t in [0, 1), A = -0.75.
void CubicWeights(double t, double w[4]) {
  const double a = -0.75;
  auto near = [a](double x) { return ((a + 2) * x - (a + 3)) * x * x + 1; };
  auto far = [a](double x) { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a; };
  w[0] = far(t + 1);
  w[1] = near(t);
  w[2] = near(1 - t);
  w[3] = far(2 - t);
}

}  // namespace

absl::Status GridSampleKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* grid, ctx.Input(1));
  if (x->rank() != 4) {
    return ctx.Error(
        absl::StatusCode::kUnimplemented,
        absl::StrCat("X has rank ", x->rank(), "; only 4-D [N, C, H, W] is supported"));
  }
  const int64_t n = x->shape()[0], c = x->shape()[1], h = x->shape()[2], w = x->shape()[3];
  if (grid->rank() != 4 || grid->shape()[0] != n || grid->shape()[3] != 2) {
    return ctx.Invalid(absl::StrCat("grid has shape ", ShapeToString(grid->shape()), ", expected [",
                                    n, ", H_out, W_out, 2]"));
  }
  const std::string mode = ctx.GetString("mode", "bilinear");
  const std::string pad_name = ctx.GetString("padding_mode", "zeros");
  const bool align = ctx.GetInt("align_corners", 0) != 0;
  if (mode != "bilinear" && mode != "nearest" && mode != "bicubic") {
    return ctx.Invalid(absl::StrCat("mode \"", mode, "\", expected bilinear, nearest or bicubic"));
  }
  Padding padding;
  if (pad_name == "zeros") {
    padding = Padding::kZeros;
  } else if (pad_name == "border") {
    padding = Padding::kBorder;
  } else if (pad_name == "reflection") {
    padding = Padding::kReflection;
  } else {
    return ctx.Invalid(
        absl::StrCat("padding_mode \"", pad_name, "\", expected zeros, border or reflection"));
  }
  const int64_t ho = grid->shape()[1], wo = grid->shape()[2];
  RETURN_IF_ERROR(ctx.Annotate(CheckOutputShape({n, c, ho, wo})));
  ASSIGN_OR_RETURN(std::vector<double> xv, ReadAs<double>(*x));
  ASSIGN_OR_RETURN(std::vector<double> gv, ReadAs<double>(*grid));
  std::vector<double> y(n * c * ho * wo, 0.0);
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t i = 0; i < ho; ++i) {
      for (int64_t j = 0; j < wo; ++j) {
        const double* g = gv.data() + ((b * ho + i) * wo + j) * 2;
        const double fx = Unnormalize(g[0], w, align), fy = Unnormalize(g[1], h, align);
        for (int64_t ch = 0; ch < c; ++ch) {
          const double* plane = xv.data() + (b * c + ch) * h * w;
          // Reads with zeros outside the map.
          auto at = [&](int64_t yy, int64_t xx) {
            return (yy < 0 || yy >= h || xx < 0 || xx >= w) ? 0.0 : plane[yy * w + xx];
          };
          double v = 0;
          if (mode == "bicubic") {
            // Taps around the unpadded coordinate, each tap's index remapped by the padding.
            const double x0 = std::floor(fx), y0 = std::floor(fy);
            double wx[4], wy[4];
            CubicWeights(fx - x0, wx);
            CubicWeights(fy - y0, wy);
            for (int p = 0; p < 4; ++p) {
              for (int q = 0; q < 4; ++q) {
                const double ty = Pad(y0 - 1 + p, h, padding, align);
                const double tx = Pad(x0 - 1 + q, w, padding, align);
                v += wy[p] * wx[q] * at(static_cast<int64_t>(ty), static_cast<int64_t>(tx));
              }
            }
          } else {
            const double px = Pad(fx, w, padding, align), py = Pad(fy, h, padding, align);
            if (mode == "nearest") {
              v = at(static_cast<int64_t>(std::nearbyint(py)),
                     static_cast<int64_t>(std::nearbyint(px)));
            } else {
              const double x0 = std::floor(px), y0 = std::floor(py);
              const double lx = px - x0, ly = py - y0;
              const int64_t xi = static_cast<int64_t>(x0), yi = static_cast<int64_t>(y0);
              v = (1 - ly) * (1 - lx) * at(yi, xi) + (1 - ly) * lx * at(yi, xi + 1) +
                  ly * (1 - lx) * at(yi + 1, xi) + ly * lx * at(yi + 1, xi + 1);
            }
          }
          y[((b * c + ch) * ho + i) * wo + j] = v;
        }
      }
    }
  }
  ASSIGN_OR_RETURN(Tensor t, WriteAs<double>(x->dtype(), {n, c, ho, wo}, y));
  ctx.SetOutput(0, std::move(t));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
