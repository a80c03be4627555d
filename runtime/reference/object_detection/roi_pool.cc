// MaxRoiPool (opset 1, Fast R-CNN): rois [R, 5] = (batch index, x1, y1, x2, y2) scaled by
// spatial_scale and rounded; each of the pooled_shape bins takes the maximum of its cells (0 for
// an empty bin).
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

absl::Status MaxRoiPoolKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* rois, ctx.Input(1));
  if (x->rank() != 4) return ctx.Invalid("X must be [N, C, H, W]");
  if (rois->rank() != 2 || rois->shape()[1] != 5) {
    return ctx.Invalid(
        absl::StrCat("rois has shape ", ShapeToString(rois->shape()), ", expected [R, 5]"));
  }
  const std::vector<int64_t> pooled = ctx.GetInts("pooled_shape", {});
  if (pooled.size() != 2 || pooled[0] < 1 || pooled[1] < 1) {
    return ctx.Invalid("attribute 'pooled_shape' must be two values >= 1");
  }
  const double scale = ctx.GetFloat("spatial_scale", 1.0f);
  const int64_t n = x->shape()[0], c = x->shape()[1], h = x->shape()[2], w = x->shape()[3];
  const int64_t num = rois->shape()[0], ph = pooled[0], pw = pooled[1];
  const Shape out = {num, c, ph, pw};
  RETURN_IF_ERROR(ctx.Annotate(CheckOutputShape(out)));
  ASSIGN_OR_RETURN(std::vector<double> xv, ReadAs<double>(*x));
  ASSIGN_OR_RETURN(std::vector<double> rv, ReadAs<double>(*rois));
  std::vector<double> y(num * c * ph * pw, 0.0);
  for (int64_t r = 0; r < num; ++r) {
    const int64_t b = static_cast<int64_t>(rv[r * 5]);
    if (b < 0 || b >= n) {
      return ctx.Invalid(absl::StrCat("roi ", r, " names batch ", b, ", expected 0..", n - 1));
    }
    const int64_t x1 = std::llround(rv[r * 5 + 1] * scale);
    const int64_t y1 = std::llround(rv[r * 5 + 2] * scale);
    const int64_t x2 = std::llround(rv[r * 5 + 3] * scale);
    const int64_t y2 = std::llround(rv[r * 5 + 4] * scale);
    const double bin_h = static_cast<double>(std::max<int64_t>(y2 - y1 + 1, 1)) / ph;
    const double bin_w = static_cast<double>(std::max<int64_t>(x2 - x1 + 1, 1)) / pw;
    for (int64_t ch = 0; ch < c; ++ch) {
      const double* plane = xv.data() + (b * c + ch) * h * w;
      for (int64_t i = 0; i < ph; ++i) {
        const int64_t hs =
            std::clamp<int64_t>(static_cast<int64_t>(std::floor(i * bin_h)) + y1, 0, h);
        const int64_t he =
            std::clamp<int64_t>(static_cast<int64_t>(std::ceil((i + 1) * bin_h)) + y1, 0, h);
        for (int64_t j = 0; j < pw; ++j) {
          const int64_t ws =
              std::clamp<int64_t>(static_cast<int64_t>(std::floor(j * bin_w)) + x1, 0, w);
          const int64_t we =
              std::clamp<int64_t>(static_cast<int64_t>(std::ceil((j + 1) * bin_w)) + x1, 0, w);
          double best = -std::numeric_limits<double>::infinity();
          for (int64_t yy = hs; yy < he; ++yy) {
            for (int64_t xx = ws; xx < we; ++xx) best = std::max(best, plane[yy * w + xx]);
          }
          y[((r * c + ch) * ph + i) * pw + j] = (he <= hs || we <= ws) ? 0.0 : best;
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
