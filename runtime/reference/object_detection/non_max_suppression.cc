// NonMaxSuppression: per batch and class, boxes scoring above score_threshold are taken in
// descending score order (lower index first on ties) and kept unless their IOU with a kept box
// exceeds iou_threshold, up to max_output_boxes_per_class. Boxes are corners [y1, x1, y2, x2]
// (any diagonal) or, with center_point_box = 1, [x_center, y_center, width, height].
#include <algorithm>
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

struct Box {
  double y1, x1, y2, x2;  // y1 <= y2, x1 <= x2
};

Box MakeBox(const double* b, bool center) {
  if (center) {
    return {b[1] - b[3] / 2, b[0] - b[2] / 2, b[1] + b[3] / 2, b[0] + b[2] / 2};
  }
  return {std::min(b[0], b[2]), std::min(b[1], b[3]), std::max(b[0], b[2]), std::max(b[1], b[3])};
}

double Iou(const Box& a, const Box& b) {
  const double ih = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  const double iw = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  if (ih <= 0 || iw <= 0) return 0;
  const double inter = ih * iw;
  const double area_a = (a.y2 - a.y1) * (a.x2 - a.x1), area_b = (b.y2 - b.y1) * (b.x2 - b.x1);
  const double uni = area_a + area_b - inter;
  return uni > 0 ? inter / uni : 0;
}

absl::StatusOr<double> OptionalScalar(const KernelContext& ctx, int i, double def) {
  const Tensor* t = ctx.OptionalInput(i);
  if (t == nullptr) return def;
  if (t->num_elements() != 1) {
    return ctx.Invalid(absl::StrCat("input ", i, " has shape ", ShapeToString(t->shape()),
                                    ", expected one value"));
  }
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*t));
  return v[0];
}

}  // namespace

absl::Status NonMaxSuppressionKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* boxes, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* scores, ctx.Input(1));
  if (boxes->rank() != 3 || boxes->shape()[2] != 4) {
    return ctx.Invalid(absl::StrCat("boxes has shape ", ShapeToString(boxes->shape()),
                                    ", expected [batch, boxes, 4]"));
  }
  const int64_t batch = boxes->shape()[0], n = boxes->shape()[1];
  if (scores->rank() != 3 || scores->shape()[0] != batch || scores->shape()[2] != n) {
    return ctx.Invalid(absl::StrCat("scores has shape ", ShapeToString(scores->shape()),
                                    ", expected [", batch, ", classes, ", n, "]"));
  }
  const int64_t classes = scores->shape()[1];
  ASSIGN_OR_RETURN(double max_out, OptionalScalar(ctx, 2, 0));
  ASSIGN_OR_RETURN(double iou_threshold, OptionalScalar(ctx, 3, 0));
  ASSIGN_OR_RETURN(double score_threshold,
                   OptionalScalar(ctx, 4, -std::numeric_limits<double>::infinity()));
  const bool center = ctx.GetInt("center_point_box", 0) != 0;
  ASSIGN_OR_RETURN(std::vector<double> bv, ReadAs<double>(*boxes));
  ASSIGN_OR_RETURN(std::vector<double> sv, ReadAs<double>(*scores));
  std::vector<int64_t> selected;  // triples
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t c = 0; c < classes; ++c) {
      const double* s = sv.data() + (b * classes + c) * n;
      std::vector<int64_t> order;
      for (int64_t i = 0; i < n; ++i) {
        if (s[i] > score_threshold) order.push_back(i);
      }
      std::stable_sort(order.begin(), order.end(),
                       [s](int64_t i, int64_t j) { return s[i] > s[j]; });
      std::vector<Box> kept;
      for (int64_t i : order) {
        if (static_cast<double>(kept.size()) >= max_out) break;
        const Box box = MakeBox(bv.data() + (b * n + i) * 4, center);
        bool suppressed = false;
        for (const Box& k : kept) {
          if (Iou(box, k) > iou_threshold) {
            suppressed = true;
            break;
          }
        }
        if (suppressed) continue;
        kept.push_back(box);
        selected.insert(selected.end(), {b, c, i});
      }
    }
  }
  const int64_t count = static_cast<int64_t>(selected.size()) / 3;
  ASSIGN_OR_RETURN(Tensor y, WriteAs<int64_t>(DType::kI64, {count, 3}, selected));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
