#include "runtime/reference/tensor/tensor_params.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"
#include "runtime/reference/util.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {

absl::StatusOr<SliceParams> ResolveSlice(const KernelContext& ctx, const Shape& x) {
  const int rank = static_cast<int>(x.size());
  std::vector<int64_t> starts, ends, axes, steps;
  if (ctx.opset() >= 10) {
    for (int i = 1; i <= 4; ++i) {
      const Tensor* t = ctx.OptionalInput(i);
      if (t == nullptr) continue;
      absl::StatusOr<std::vector<int64_t>> v = ReadInts(*t);
      RETURN_IF_ERROR(ctx.Annotate(v.status()));
      (i == 1 ? starts : i == 2 ? ends : i == 3 ? axes : steps) = *v;
    }
  } else {
    starts = ctx.GetInts("starts", {});
    ends = ctx.GetInts("ends", {});
    axes = ctx.GetInts("axes", {});
  }
  if (axes.empty()) for (size_t i = 0; i < starts.size(); ++i) axes.push_back(i);
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size()) {
    return ctx.Invalid(absl::StrCat("starts/ends/axes/steps have ", starts.size(), "/",
                                     ends.size(), "/", axes.size(), "/", steps.size(),
                                     " entries; expected equal counts"));
  }
  SliceParams p;
  p.start.assign(rank, 0);
  p.step.assign(rank, 1);
  p.out = x;
  for (size_t i = 0; i < starts.size(); ++i) {
    absl::StatusOr<int> a = NormalizeAxis(axes[i], rank);
    RETURN_IF_ERROR(ctx.Annotate(a.status()));
    const int64_t d = x[*a];
    const int64_t s = steps[i];
    if (s == 0) return ctx.Invalid("step is 0");
    int64_t b = starts[i], e = ends[i];
    if (b < 0) b += d;
    if (e < 0) e += d;
    if (s > 0) {
      b = std::clamp<int64_t>(b, 0, d);
      e = std::clamp<int64_t>(e, 0, d);
      p.out[*a] = e > b ? (e - b + s - 1) / s : 0;
    } else {
      b = std::clamp<int64_t>(b, 0, d - 1);
      e = std::clamp<int64_t>(e, -1, d - 1);
      p.out[*a] = b > e ? (b - e + (-s) - 1) / (-s) : 0;
    }
    p.start[*a] = b;
    p.step[*a] = s;
  }
  return p;
}

absl::StatusOr<PadParams> ResolvePad(const KernelContext& ctx, const Shape& x) {
  const int rank = static_cast<int>(x.size());
  PadParams p;
  p.mode = ctx.GetString("mode", "constant");
  std::vector<int64_t> pads;
  std::vector<int64_t> axes;
  if (ctx.opset() >= 11) {
    ASSIGN_OR_RETURN(const Tensor* t, ctx.Input(1));
    absl::StatusOr<std::vector<int64_t>> v = ReadInts(*t);
    RETURN_IF_ERROR(ctx.Annotate(v.status()));
    pads = *v;
    if (const Tensor* c = ctx.OptionalInput(2)) {
      if (c->num_elements() > 0) {
        ASSIGN_OR_RETURN(std::vector<double> cv, ReadAs<double>(*c));
        p.value = cv[0];
      }
    }
    if (const Tensor* a = ctx.OptionalInput(3)) {
      absl::StatusOr<std::vector<int64_t>> av = ReadInts(*a);
      RETURN_IF_ERROR(ctx.Annotate(av.status()));
      axes = *av;
    }
  } else {
    pads = ctx.GetInts(ctx.opset() < 2 ? "paddings" : "pads", {});
    p.value = ctx.GetFloat("value", 0.0f);
  }
  if (axes.empty()) for (int i = 0; i < rank; ++i) axes.push_back(i);
  if (pads.size() != 2 * axes.size()) {
    return ctx.Invalid(absl::StrCat("pads has ", pads.size(), " values; expected ",
                                     2 * axes.size()));
  }
  p.before.assign(rank, 0);
  p.after.assign(rank, 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    absl::StatusOr<int> a = NormalizeAxis(axes[i], rank);
    RETURN_IF_ERROR(ctx.Annotate(a.status()));
    p.before[*a] = pads[i];
    p.after[*a] = pads[i + axes.size()];
  }
  p.out.assign(rank, 0);
  for (int i = 0; i < rank; ++i) {
    p.out[i] = x[i] + p.before[i] + p.after[i];
    if (p.out[i] < 0) return ctx.Invalid("pads make a dim negative");
    if (i == rank - 1) RETURN_IF_ERROR(ctx.Annotate(CheckOutputShape(p.out)));
    if (p.mode != "constant" && x[i] == 0 && p.out[i] > 0) {
      return ctx.Invalid(absl::StrCat("mode ", p.mode, " cannot pad an empty dim"));
    }
  }
  if (p.mode != "constant" && p.mode != "reflect" && p.mode != "edge" && p.mode != "wrap") {
    return ctx.Error(absl::StatusCode::kUnimplemented,
                     absl::StrCat("mode \"", p.mode, "\" is not supported"));
  }
  return p;
}

int64_t PadSource(const std::string& mode, int64_t p, int64_t n) {
  if (p >= 0 && p < n) return p;
  if (mode == "constant") return -1;
  if (mode == "edge") return std::clamp<int64_t>(p, 0, n - 1);
  if (mode == "wrap") return ((p % n) + n) % n;
  // reflect, without repeating the edge
  if (n == 1) return 0;
  const int64_t period = 2 * (n - 1);
  p = ((p % period) + period) % period;
  return p >= n ? period - p : p;
}

absl::StatusOr<std::vector<int64_t>> ResolveSplit(const KernelContext& ctx, const Shape& x,
                                                  int* axis_out) {
  absl::StatusOr<int> axis_or = NormalizeAxis(ctx.GetInt("axis", 0), static_cast<int>(x.size()));
  RETURN_IF_ERROR(ctx.Annotate(axis_or.status()));
  const int axis = *axis_or;
  bool present = false;
  ASSIGN_OR_RETURN(std::vector<int64_t> split, IntsFromInputOrAttr(ctx, 1, 13, "split", &present));
  const int64_t dim = x[axis];
  const int n_out = ctx.num_outputs();
  if (split.empty()) {
    // Equal parts; from opset 18 `num_outputs` with a smaller last part.
    const int64_t parts = ctx.opset() >= 18 ? ctx.GetInt("num_outputs", n_out) : n_out;
    if (parts <= 0) return ctx.Invalid("no outputs to split into");
    const int64_t size = ctx.opset() >= 18 ? (dim + parts - 1) / parts : dim / parts;
    if (ctx.opset() < 18 && dim % parts != 0) {
      return ctx.Invalid(absl::StrCat("dim ", dim, " does not split evenly into ", parts));
    }
    for (int64_t i = 0; i < parts; ++i) split.push_back(std::min(size, dim - i * size));
  }
  int64_t total = 0;
  for (int64_t s : split) total += s;
  if (static_cast<int>(split.size()) != n_out || total != dim) {
    return ctx.Invalid(absl::StrCat("split [", absl::StrJoin(split, ", "), "] for ", n_out,
                                     " outputs along a dim of ", dim));
  }
  for (int64_t s : split) {
    if (s < 0) return ctx.Invalid("negative split size");
  }
  *axis_out = axis;
  return split;
}

absl::StatusOr<std::vector<bool>> ResolveReducedAxes(const KernelContext& ctx, int rank,
                                                     int axes_input_since, bool* noop) {
  std::vector<int64_t> axes;
  if (ctx.opset() >= axes_input_since) {
    if (const Tensor* a = ctx.OptionalInput(1)) {
      ASSIGN_OR_RETURN(axes, ReadInts(*a));
    }
  } else {
    axes = ctx.GetInts("axes", {});
  }
  std::vector<bool> reduced(rank, false);
  *noop = false;
  if (axes.empty()) {
    if (ctx.opset() >= axes_input_since && ctx.GetInt("noop_with_empty_axes", 0) != 0) {
      *noop = true;
      return reduced;
    }
    reduced.assign(rank, true);
    return reduced;
  }
  for (int64_t a : axes) {
    ASSIGN_OR_RETURN(int ax, NormalizeAxis(a, rank));
    reduced[ax] = true;
  }
  return reduced;
}

}  // namespace rt
}  // namespace tp
