// RoiAlign (opset 10: output_half_pixel coordinates; 16: coordinate_transformation_mode, default
// half_pixel): each RoI bin averages (or takes the maximum of) bilinear samples on a regular grid
// of sampling_ratio x sampling_ratio points (adaptive: ceil(roi size / output size)). Samples
// follow Mask R-CNN / torchvision: outside [-1, size] they are zero, otherwise clamped to the map.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {
namespace {

// Bilinear value of plane `m` ([h, w]) at (y, x).
double Sample(const double* m, int64_t h, int64_t w, double y, double x) {
  if (y < -1.0 || y > static_cast<double>(h) || x < -1.0 || x > static_cast<double>(w)) return 0;
  y = std::max(y, 0.0);
  x = std::max(x, 0.0);
  int64_t y0 = static_cast<int64_t>(y), x0 = static_cast<int64_t>(x), y1, x1;
  if (y0 >= h - 1) {
    y0 = y1 = h - 1;
    y = static_cast<double>(y0);
  } else {
    y1 = y0 + 1;
  }
  if (x0 >= w - 1) {
    x0 = x1 = w - 1;
    x = static_cast<double>(x0);
  } else {
    x1 = x0 + 1;
  }
  const double ly = y - y0, lx = x - x0, hy = 1 - ly, hx = 1 - lx;
  return hy * hx * m[y0 * w + x0] + hy * lx * m[y0 * w + x1] + ly * hx * m[y1 * w + x0] +
         ly * lx * m[y1 * w + x1];
}

}  // namespace

absl::Status RoiAlignKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* rois, ctx.Input(1));
  ASSIGN_OR_RETURN(const Tensor* batch_indices, ctx.Input(2));
  if (x->rank() != 4) return ctx.Invalid("X must be [N, C, H, W]");
  const int64_t num = rois->rank() == 2 ? rois->shape()[0] : -1;
  if (num < 0 || rois->shape()[1] != 4 || batch_indices->shape() != Shape{num}) {
    return ctx.Invalid(absl::StrCat("rois ", ShapeToString(rois->shape()), " and batch_indices ",
                                    ShapeToString(batch_indices->shape()),
                                    ", expected [R, 4] and [R]"));
  }
  const std::string mode = ctx.GetString("mode", "avg");
  if (mode != "avg" && mode != "max") {
    return ctx.Invalid(absl::StrCat("mode \"", mode, "\", expected avg or max"));
  }
  const std::string ctm = ctx.GetString("coordinate_transformation_mode",
                                        ctx.opset() >= 16 ? "half_pixel" : "output_half_pixel");
  if (ctm != "half_pixel" && ctm != "output_half_pixel") {
    return ctx.Invalid(absl::StrCat("coordinate_transformation_mode \"", ctm,
                                    "\", expected half_pixel or output_half_pixel"));
  }
  const bool half_pixel = ctm == "half_pixel";
  const int64_t oh = ctx.GetInt("output_height", 1), ow = ctx.GetInt("output_width", 1);
  const int64_t ratio = ctx.GetInt("sampling_ratio", 0);
  const double scale = ctx.GetFloat("spatial_scale", 1.0f);
  if (oh < 1 || ow < 1 || ratio < 0) {
    return ctx.Invalid("output_height and output_width must be >= 1, sampling_ratio >= 0");
  }
  const int64_t n = x->shape()[0], c = x->shape()[1], h = x->shape()[2], w = x->shape()[3];
  const Shape out = {num, c, oh, ow};
  RETURN_IF_ERROR(ctx.Annotate(CheckOutputShape(out)));
  ASSIGN_OR_RETURN(std::vector<double> xv, ReadAs<double>(*x));
  ASSIGN_OR_RETURN(std::vector<double> rv, ReadAs<double>(*rois));
  ASSIGN_OR_RETURN(std::vector<int64_t> bi, ReadAs<int64_t>(*batch_indices));
  std::vector<double> y(num * c * oh * ow, 0.0);
  const double offset = half_pixel ? 0.5 : 0.0;
  for (int64_t r = 0; r < num; ++r) {
    if (bi[r] < 0 || bi[r] >= n) {
      return ctx.Invalid(absl::StrCat("batch_indices[", r, "] = ", bi[r], ", expected 0..", n - 1));
    }
    const double x0 = rv[r * 4] * scale - offset, y0 = rv[r * 4 + 1] * scale - offset;
    double rw = rv[r * 4 + 2] * scale - offset - x0, rh = rv[r * 4 + 3] * scale - offset - y0;
    if (!half_pixel) {
      rw = std::max(rw, 1.0);
      rh = std::max(rh, 1.0);
    }
    const double bin_h = rh / oh, bin_w = rw / ow;
    const int64_t gh = ratio > 0 ? ratio : static_cast<int64_t>(std::ceil(rh / oh));
    const int64_t gw = ratio > 0 ? ratio : static_cast<int64_t>(std::ceil(rw / ow));
    const double count = static_cast<double>(std::max<int64_t>(gh * gw, 1));
    for (int64_t ch = 0; ch < c; ++ch) {
      const double* plane = xv.data() + (bi[r] * c + ch) * h * w;
      for (int64_t py = 0; py < oh; ++py) {
        for (int64_t px = 0; px < ow; ++px) {
          double acc = mode == "max" ? -std::numeric_limits<double>::infinity() : 0.0;
          for (int64_t iy = 0; iy < gh; ++iy) {
            const double sy = y0 + py * bin_h + (iy + 0.5) * bin_h / gh;
            for (int64_t ix = 0; ix < gw; ++ix) {
              const double sx = x0 + px * bin_w + (ix + 0.5) * bin_w / gw;
              const double v = Sample(plane, h, w, sy, sx);
              acc = mode == "max" ? std::max(acc, v) : acc + v;
            }
          }
          if (gh * gw == 0) acc = 0;
          y[((r * c + ch) * oh + py) * ow + px] = mode == "max" ? acc : acc / count;
        }
      }
    }
  }
  ASSIGN_OR_RETURN(Tensor t, WriteAs<double>(x->dtype(), out, y));
  ctx.SetOutput(0, std::move(t));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
