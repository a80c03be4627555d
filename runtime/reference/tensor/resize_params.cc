#include "runtime/reference/tensor/resize_params.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace {

struct ResizeAttrs {
  std::string mode = "nearest";
  std::string coord = "half_pixel";
  std::string nearest = "round_prefer_floor";
  double cubic_a = -0.75;
  bool exclude_outside = false;
  double extrapolation = 0.0;
};

std::vector<double> CubicCoeffs(double r, double a) {
  auto near = [a](double x) { return ((a + 2) * x - (a + 3)) * x * x + 1; };
  auto far = [a](double x) { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a; };
  return {far(r + 1), near(r), near(1 - r), far(2 - r)};
}

absl::StatusOr<ResizeAxisPlan> PlanAxis(const KernelContext& ctx, const ResizeAttrs& at, int64_t in,
                                  int64_t out, double scale, double roi_start, double roi_end) {
  ResizeAxisPlan plan;
  plan.taps.resize(out);
  plan.outside.assign(out, false);
  // The ONNX reference sizes the coordinate transforms by in * scale (not the rounded output
  // size); with `sizes` the two agree.
  const double resized = static_cast<double>(in) * scale;
  for (int64_t x = 0; x < out; ++x) {
    double c;
    const double xd = static_cast<double>(x);
    if (at.coord == "half_pixel") {
      c = (xd + 0.5) / scale - 0.5;
    } else if (at.coord == "pytorch_half_pixel") {
      c = resized > 1 ? (xd + 0.5) / scale - 0.5 : 0.0;
    } else if (at.coord == "align_corners") {
      c = resized == 1 ? 0.0 : xd * static_cast<double>(in - 1) / (resized - 1);
    } else if (at.coord == "asymmetric") {
      c = xd / scale;
    } else if (at.coord == "tf_half_pixel_for_nearest" || at.coord == "tf_half_pixel_for_nn") {
      c = (xd + 0.5) / scale;
    } else if (at.coord == "tf_crop_and_resize") {
      c = out > 1 ? roi_start * (in - 1) + xd * (roi_end - roi_start) * (in - 1) / (out - 1)
                  : 0.5 * (roi_start + roi_end) * (in - 1);
      if (c < 0 || c > in - 1) {
        plan.outside[x] = true;
        continue;
      }
    } else {
      return ctx.Error(absl::StatusCode::kUnimplemented,
                       absl::StrCat("coordinate_transformation_mode \"", at.coord,
                                    "\" is not supported"));
    }
    std::vector<ResizeTap>& taps = plan.taps[x];
    auto clamp = [in](int64_t i) { return std::min<int64_t>(std::max<int64_t>(i, 0), in - 1); };
    if (at.mode == "nearest") {
      double r;
      const double fl = std::floor(c);
      const bool half = c - fl == 0.5;
      if (at.nearest == "round_prefer_floor") r = half ? fl : std::round(c);
      else if (at.nearest == "round_prefer_ceil") r = half ? fl + 1 : std::round(c);
      else if (at.nearest == "floor") r = fl;
      else if (at.nearest == "ceil") r = std::ceil(c);
      else {
        return ctx.Error(absl::StatusCode::kUnimplemented,
                         absl::StrCat("nearest_mode \"", at.nearest, "\" is not supported"));
      }
      taps.push_back({clamp(static_cast<int64_t>(r)), 1.0});
      continue;
    }
    const int64_t base = static_cast<int64_t>(std::floor(c));
    const double ratio = c - static_cast<double>(base);
    std::vector<double> w;
    int64_t first;
    if (at.mode == "linear") {
      w = {1 - ratio, ratio};
      first = base;
    } else if (at.mode == "cubic") {
      w = CubicCoeffs(ratio, at.cubic_a);
      first = base - 1;
    } else {
      return ctx.Error(absl::StatusCode::kUnimplemented,
                       absl::StrCat("mode \"", at.mode, "\" is not supported"));
    }
    double sum = 0;
    for (size_t k = 0; k < w.size(); ++k) {
      const int64_t i = first + static_cast<int64_t>(k);
      if (at.exclude_outside && (i < 0 || i >= in)) w[k] = 0;
      sum += w[k];
    }
    for (size_t k = 0; k < w.size(); ++k) {
      if (w[k] == 0) continue;
      taps.push_back({clamp(first + static_cast<int64_t>(k)), at.exclude_outside ? w[k] / sum : w[k]});
    }
    if (taps.empty()) taps.push_back({clamp(base), 0.0});
  }
  return plan;
}

// Per-axis plans for `x` resized to `out` (identity axes marked, tf_crop_and_resize per roi).
absl::Status PlanAxes(const KernelContext& ctx, const ResizeAttrs& at, const Shape& x,
                      const std::vector<double>& scales, const std::vector<double>& roi,
                      ResizePlan* plan) {
  const int rank = static_cast<int>(x.size());
  for (int d = 0; d < rank; ++d) {
    const int64_t in = x[d], out = plan->out[d];
    const double rs = roi.empty() ? 0.0 : roi[d], re = roi.empty() ? 1.0 : roi[rank + d];
    if (in == out && scales[d] == 1.0 && at.coord != "tf_crop_and_resize") {
      ResizeAxisPlan p;
      for (int64_t i = 0; i < out; ++i) p.taps.push_back({{i, 1.0}});
      p.outside.assign(out, false);
      p.identity = true;
      plan->axes.push_back(std::move(p));
      continue;
    }
    if (in == 0 && out > 0) {
      return ctx.Error(absl::StatusCode::kInvalidArgument, "cannot resize an empty dim");
    }
    ASSIGN_OR_RETURN(ResizeAxisPlan p, PlanAxis(ctx, at, in, out, scales[d], rs, re));
    plan->axes.push_back(std::move(p));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ResizePlan> ResolveResize(const KernelContext& ctx, absl::string_view op, int opset,
                                         const Shape& x) {
  const int rank = static_cast<int>(x.size());
  ResizeAttrs at;
  at.mode = ctx.GetString("mode", "nearest");
  ResizePlan plan;
  plan.out = x;
  std::vector<double> scales(rank, 1.0), roi;
  if (op == "Upsample") {
    at.coord = "asymmetric";
    at.nearest = "floor";
    std::vector<double> s;
    if (opset >= 9) {
      ASSIGN_OR_RETURN(const Tensor* st, ctx.Input(1));
      ASSIGN_OR_RETURN(s, ReadAs<double>(*st));
    } else {
      for (float f : ctx.GetFloats("scales", {})) s.push_back(f);
    }
    if (static_cast<int>(s.size()) != rank) {
      return ctx.Error(absl::StatusCode::kInvalidArgument,
                       absl::StrCat("scales has ", s.size(), " values; input rank is ", rank));
    }
    for (int d = 0; d < rank; ++d) {
      const double o = std::floor(static_cast<double>(x[d]) * s[d]);
      if (!(s[d] > 0) || !(o < 1e15)) {
        return ctx.Error(absl::StatusCode::kInvalidArgument,
                         absl::StrCat("scale ", s[d], " in dim ", d, "; expected > 0"));
      }
      scales[d] = s[d];
      plan.out[d] = static_cast<int64_t>(o);
    }
  } else {
    const Tensor* roi_t = nullptr;
    const Tensor* scales_t = nullptr;
    const Tensor* sizes_t = nullptr;
    if (opset < 11) {
      at.coord = "asymmetric";
      at.nearest = "floor";
      scales_t = ctx.OptionalInput(1);
    } else {
      at.coord = ctx.GetString("coordinate_transformation_mode", "half_pixel");
      at.nearest = ctx.GetString("nearest_mode", "round_prefer_floor");
      at.cubic_a = ctx.GetFloat("cubic_coeff_a", -0.75f);
      at.exclude_outside = ctx.GetInt("exclude_outside", 0) != 0;
      at.extrapolation = ctx.GetFloat("extrapolation_value", 0.0f);
      roi_t = ctx.OptionalInput(1);
      scales_t = ctx.OptionalInput(2);
      sizes_t = ctx.OptionalInput(3);
    }
    if (opset >= 18 &&
        (ctx.Attr("axes") != nullptr || ctx.GetInt("antialias", 0) != 0 ||
         ctx.GetString("keep_aspect_ratio_policy", "stretch") != "stretch")) {
      return ctx.Error(absl::StatusCode::kUnimplemented,
                       "axes, antialias and keep_aspect_ratio_policy are not supported");
    }
    if (sizes_t != nullptr && sizes_t->num_elements() > 0) {
      ASSIGN_OR_RETURN(std::vector<int64_t> sizes, ReadInts(*sizes_t));
      if (static_cast<int>(sizes.size()) != rank) {
        return ctx.Error(absl::StatusCode::kInvalidArgument,
                         absl::StrCat("sizes has ", sizes.size(), " values; input rank is ", rank));
      }
      for (int d = 0; d < rank; ++d) {
        if (sizes[d] < 0) return ctx.Error(absl::StatusCode::kInvalidArgument, "negative size");
        plan.out[d] = sizes[d];
        scales[d] = x[d] == 0 ? 1.0 : static_cast<double>(sizes[d]) / static_cast<double>(x[d]);
      }
    } else if (scales_t != nullptr && scales_t->num_elements() > 0) {
      ASSIGN_OR_RETURN(std::vector<double> s, ReadAs<double>(*scales_t));
      if (static_cast<int>(s.size()) != rank) {
        return ctx.Error(absl::StatusCode::kInvalidArgument,
                         absl::StrCat("scales has ", s.size(), " values; input rank is ", rank));
      }
      for (int d = 0; d < rank; ++d) {
        if (!(s[d] > 0)) {
          return ctx.Error(absl::StatusCode::kInvalidArgument,
                           absl::StrCat("scale ", s[d], " in dim ", d, "; expected > 0"));
        }
        scales[d] = s[d];
        const double o = std::floor(static_cast<double>(x[d]) * s[d]);
        if (!(o < 1e15)) return ctx.Error(absl::StatusCode::kInvalidArgument, "output too large");
        plan.out[d] = static_cast<int64_t>(o);
      }
    } else {
      return ctx.Error(absl::StatusCode::kInvalidArgument,
                       "neither scales nor sizes is given; expected one of them");
    }
    if (at.coord == "tf_crop_and_resize") {
      if (roi_t == nullptr || roi_t->num_elements() != 2 * rank) {
        return ctx.Error(absl::StatusCode::kInvalidArgument,
                         absl::StrCat("roi must hold ", 2 * rank, " values for tf_crop_and_resize"));
      }
      ASSIGN_OR_RETURN(roi, ReadAs<double>(*roi_t));
    }
  }
  {
    absl::Status size_ok = CheckOutputShape(plan.out);
    if (!size_ok.ok()) return ctx.Error(size_ok.code(), size_ok.message());
  }
  plan.mode = at.mode;
  plan.extrapolation = at.extrapolation;
  RETURN_IF_ERROR(PlanAxes(ctx, at, x, scales, roi, &plan));
  return plan;
}

}  // namespace rt
}  // namespace tp
