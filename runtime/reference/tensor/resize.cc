// Resize (nearest with every nearest_mode; linear and cubic with every
// coordinate_transformation_mode; scales or sizes; antialias none) and Upsample (opset 7-9).

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

struct Tap {
  int64_t index;
  double weight;
};

struct AxisPlan {
  std::vector<std::vector<Tap>> taps;  // per output coordinate
  std::vector<bool> outside;           // tf_crop_and_resize extrapolation
};

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

absl::StatusOr<AxisPlan> PlanAxis(const KernelContext& ctx, const ResizeAttrs& at, int64_t in,
                                  int64_t out, double scale, double roi_start, double roi_end) {
  AxisPlan plan;
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
    std::vector<Tap>& taps = plan.taps[x];
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

absl::Status Interpolate(KernelContext& ctx, const Tensor& x, const ResizeAttrs& at,
                         const std::vector<double>& scales, const Shape& out_shape,
                         const std::vector<double>& roi) {
  const int rank = x.rank();
  std::vector<AxisPlan> plans;
  for (int d = 0; d < rank; ++d) {
    const int64_t in = x.shape()[d], out = out_shape[d];
    const double rs = roi.empty() ? 0.0 : roi[d], re = roi.empty() ? 1.0 : roi[rank + d];
    if (in == out && scales[d] == 1.0 && at.coord != "tf_crop_and_resize") {
      AxisPlan p;
      for (int64_t i = 0; i < out; ++i) p.taps.push_back({{i, 1.0}});
      p.outside.assign(out, false);
      plans.push_back(std::move(p));
      continue;
    }
    if (in == 0 && out > 0) {
      return ctx.Error(absl::StatusCode::kInvalidArgument, "cannot resize an empty dim");
    }
    ASSIGN_OR_RETURN(AxisPlan p, PlanAxis(ctx, at, in, out, scales[d], rs, re));
    plans.push_back(std::move(p));
  }
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(x));
  std::vector<int64_t> st = RowMajorStrides(x.shape());
  ASSIGN_OR_RETURN(int64_t n, NumElements(out_shape));
  std::vector<double> y(n);
  std::vector<int64_t> pos(rank, 0);
  for (int64_t k = 0; k < n; ++k) {
    bool outside = false;
    for (int d = 0; d < rank; ++d) outside = outside || plans[d].outside[pos[d]];
    if (outside) {
      y[k] = at.extrapolation;
    } else {
      // Sum over the product of per-axis taps.
      std::vector<size_t> t(rank, 0);
      double acc = 0;
      while (true) {
        double w = 1;
        int64_t off = 0;
        for (int d = 0; d < rank; ++d) {
          const Tap& tap = plans[d].taps[pos[d]][t[d]];
          w *= tap.weight;
          off += tap.index * st[d];
        }
        acc += w * v[off];
        int d = rank - 1;
        for (; d >= 0; --d) {
          if (++t[d] < plans[d].taps[pos[d]].size()) break;
          t[d] = 0;
        }
        if (d < 0) break;
      }
      y[k] = acc;
    }
    for (int d = rank - 1; d >= 0; --d) {
      if (++pos[d] < out_shape[d]) break;
      pos[d] = 0;
    }
  }
  if (IsIntegral(x.dtype()) && at.mode == "nearest") {
    std::vector<int64_t> yi(y.begin(), y.end());
    ASSIGN_OR_RETURN(Tensor t, WriteAs<int64_t>(x.dtype(), out_shape, yi));
    ctx.SetOutput(0, std::move(t));
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(Tensor t, WriteAs<double>(x.dtype(), out_shape, y));
  ctx.SetOutput(0, std::move(t));
  return absl::OkStatus();
}

}  // namespace

absl::Status ResizeKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  const int rank = x->rank();
  ResizeAttrs at;
  at.mode = ctx.GetString("mode", "nearest");
  const Tensor* roi_t = nullptr;
  const Tensor* scales_t = nullptr;
  const Tensor* sizes_t = nullptr;
  if (ctx.opset() < 11) {
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
  if (ctx.opset() >= 18 &&
      (ctx.Attr("axes") != nullptr || ctx.GetInt("antialias", 0) != 0 ||
       ctx.GetString("keep_aspect_ratio_policy", "stretch") != "stretch")) {
    return ctx.Error(absl::StatusCode::kUnimplemented,
                     "axes, antialias and keep_aspect_ratio_policy are not supported");
  }
  std::vector<double> scales(rank, 1.0);
  Shape out(x->shape());
  if (sizes_t != nullptr && sizes_t->num_elements() > 0) {
    ASSIGN_OR_RETURN(std::vector<int64_t> sizes, ReadInts(*sizes_t));
    if (static_cast<int>(sizes.size()) != rank) {
      return ctx.Error(absl::StatusCode::kInvalidArgument,
                       absl::StrCat("sizes has ", sizes.size(), " values; input rank is ", rank));
    }
    for (int d = 0; d < rank; ++d) {
      if (sizes[d] < 0) return ctx.Error(absl::StatusCode::kInvalidArgument, "negative size");
      out[d] = sizes[d];
      scales[d] = x->shape()[d] == 0 ? 1.0
                                     : static_cast<double>(sizes[d]) / static_cast<double>(x->shape()[d]);
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
      const double o = std::floor(static_cast<double>(x->shape()[d]) * s[d]);
      if (!(o < 1e15)) return ctx.Error(absl::StatusCode::kInvalidArgument, "output too large");
      out[d] = static_cast<int64_t>(o);
    }
  } else {
    return ctx.Error(absl::StatusCode::kInvalidArgument,
                     "neither scales nor sizes is given; expected one of them");
  }
  {
    absl::Status size_ok = CheckOutputShape(out);
    if (!size_ok.ok()) return ctx.Error(size_ok.code(), size_ok.message());
  }
  std::vector<double> roi;
  if (at.coord == "tf_crop_and_resize") {
    if (roi_t == nullptr || roi_t->num_elements() != 2 * rank) {
      return ctx.Error(absl::StatusCode::kInvalidArgument,
                       absl::StrCat("roi must hold ", 2 * rank, " values for tf_crop_and_resize"));
    }
    ASSIGN_OR_RETURN(roi, ReadAs<double>(*roi_t));
  }
  return Interpolate(ctx, *x, at, scales, out, roi);
}

// Upsample-7 (scales attribute) and -9 (scales input): asymmetric coordinates, floor for nearest.
absl::Status UpsampleKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ResizeAttrs at;
  at.mode = ctx.GetString("mode", "nearest");
  at.coord = "asymmetric";
  at.nearest = "floor";
  std::vector<double> scales;
  if (ctx.opset() >= 9) {
    ASSIGN_OR_RETURN(const Tensor* s, ctx.Input(1));
    ASSIGN_OR_RETURN(scales, ReadAs<double>(*s));
  } else {
    for (float f : ctx.GetFloats("scales", {})) scales.push_back(f);
  }
  if (static_cast<int>(scales.size()) != x->rank()) {
    return ctx.Error(absl::StatusCode::kInvalidArgument,
                     absl::StrCat("scales has ", scales.size(), " values; input rank is ",
                                  x->rank()));
  }
  Shape out(x->shape());
  for (int d = 0; d < x->rank(); ++d) {
    const double o = std::floor(static_cast<double>(out[d]) * scales[d]);
    if (!(scales[d] > 0) || !(o < 1e15)) {
      return ctx.Error(absl::StatusCode::kInvalidArgument,
                       absl::StrCat("scale ", scales[d], " in dim ", d, "; expected > 0"));
    }
    out[d] = static_cast<int64_t>(o);
  }
  {
    absl::Status size_ok = CheckOutputShape(out);
    if (!size_ok.ok()) return ctx.Error(size_ok.code(), size_ok.message());
  }
  return Interpolate(ctx, *x, at, scales, out, {});
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
