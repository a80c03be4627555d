#include "runtime/reference/nn/conv_params.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/status_macros.h"
#include "runtime/reference/util.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace {

// Reads a per-spatial-dim attribute, `n` values, defaulting to `def`.
absl::StatusOr<std::vector<int64_t>> SpatialAttr(const KernelContext& ctx, absl::string_view name,
                                                 size_t n, int64_t def, int64_t min_value) {
  std::vector<int64_t> v = ctx.GetInts(name, std::vector<int64_t>(n, def));
  if (v.size() != n) {
    return ctx.Invalid(absl::StrCat("attribute '", name, "' has ", v.size(), " values, expected ",
                                     n, " (one per spatial dim)"));
  }
  for (int64_t x : v) {
    if (x < min_value) {
      return ctx.Invalid(absl::StrCat("attribute '", name, "' = [", absl::StrJoin(v, ", "),
                                       "], expected values >= ", min_value));
    }
  }
  return v;
}

// Explicit pads [b1..bn, e1..en] -> begin/end.
absl::Status ExplicitPads(const KernelContext& ctx, size_t n, std::vector<int64_t>* begin,
                          std::vector<int64_t>* end) {
  std::vector<int64_t> pads = ctx.GetInts("pads", std::vector<int64_t>(2 * n, 0));
  if (pads.size() != 2 * n) {
    return ctx.Invalid(absl::StrCat("attribute 'pads' has ", pads.size(), " values, expected ",
                                     2 * n));
  }
  for (int64_t p : pads) {
    if (p < 0) {
      return ctx.Invalid(absl::StrCat("attribute 'pads' = [", absl::StrJoin(pads, ", "),
                                       "], expected non-negative values"));
    }
  }
  begin->assign(pads.begin(), pads.begin() + n);
  end->assign(pads.begin() + n, pads.end());
  return absl::OkStatus();
}

// Forward-conv-style geometry shared by Conv and the pools: fills pads and out_spatial.
absl::Status ForwardGeometry(const KernelContext& ctx, const std::vector<int64_t>& in,
                             const std::vector<int64_t>& kernel,
                             const std::vector<int64_t>& strides,
                             const std::vector<int64_t>& dilations, bool ceil_mode,
                             std::vector<int64_t>* pads_begin, std::vector<int64_t>* pads_end,
                             std::vector<int64_t>* out) {
  const size_t n = kernel.size();
  std::string auto_pad = ctx.GetString("auto_pad", "NOTSET");
  out->assign(n, 0);
  pads_begin->assign(n, 0);
  pads_end->assign(n, 0);
  if (auto_pad == "NOTSET") {
    RETURN_IF_ERROR(ExplicitPads(ctx, n, pads_begin, pads_end));
  } else if (auto_pad != "VALID" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER") {
    return ctx.Invalid(absl::StrCat("attribute 'auto_pad' is \"", auto_pad,
                                     "\", expected NOTSET, VALID, SAME_UPPER or SAME_LOWER"));
  }
  for (size_t i = 0; i < n; ++i) {
    const int64_t ek = (kernel[i] - 1) * dilations[i] + 1;
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      const int64_t o = (in[i] + strides[i] - 1) / strides[i];
      const int64_t total = std::max<int64_t>(0, (o - 1) * strides[i] + ek - in[i]);
      if (auto_pad == "SAME_UPPER") {
        (*pads_begin)[i] = total / 2;
        (*pads_end)[i] = total - total / 2;
      } else {
        (*pads_end)[i] = total / 2;
        (*pads_begin)[i] = total - total / 2;
      }
      (*out)[i] = o;
      continue;
    }
    const int64_t span = in[i] + (*pads_begin)[i] + (*pads_end)[i] - ek;
    if (span < 0) {
      return ctx.Invalid(absl::StrCat("spatial dim ", i, ": input ", in[i], " plus pads ",
                                       (*pads_begin)[i], "+", (*pads_end)[i],
                                       " is smaller than the dilated kernel ", ek));
    }
    int64_t o = ceil_mode ? (span + strides[i] - 1) / strides[i] + 1 : span / strides[i] + 1;
    // PyTorch / ONNX reference: the last window must start inside the input or the begin pad.
    if (ceil_mode && (o - 1) * strides[i] >= in[i] + (*pads_begin)[i]) --o;
    (*out)[i] = o;
  }
  return absl::OkStatus();
}

absl::Status CheckRank(const KernelContext& ctx, const Shape& s, absl::string_view what,
                       int min_rank) {
  if (static_cast<int>(s.size()) < min_rank) {
    return ctx.Invalid(absl::StrCat(what, " has shape ", ShapeToString(s), ", expected rank >= ",
                                     min_rank));
  }
  return absl::OkStatus();
}

// Conv and ConvTranspose: X of rank >= 3 and W of the same rank.
absl::Status CheckConvRanks(const KernelContext& ctx, const Shape& x, const Shape& w) {
  RETURN_IF_ERROR(CheckRank(ctx, x, "input X", 3));
  if (w.size() != x.size()) {
    return ctx.Invalid(absl::StrCat("weight W has shape ", ShapeToString(w), ", expected rank ",
                                     x.size(), " like X ", ShapeToString(x)));
  }
  return absl::OkStatus();
}

// What Conv and ConvTranspose read alike once the channels check out: X's spatial dims, the
// kernel from W (and `kernel_shape` agreeing with it), strides, dilations.
absl::Status ResolveConvWindow(const KernelContext& ctx, const Shape& x, const Shape& w,
                               ConvParams* p) {
  const size_t n = x.size() - 2;
  p->in_spatial.assign(x.begin() + 2, x.end());
  p->kernel.assign(w.begin() + 2, w.end());
  std::vector<int64_t> ks = ctx.GetInts("kernel_shape", p->kernel);
  if (ks != p->kernel) {
    return ctx.Invalid(absl::StrCat("attribute 'kernel_shape' = [", absl::StrJoin(ks, ", "),
                                     "], W's spatial dims are [", absl::StrJoin(p->kernel, ", "),
                                     "]"));
  }
  for (int64_t k : p->kernel) {
    if (k < 1) return ctx.Invalid(absl::StrCat("W ", ShapeToString(w), " has an empty kernel"));
  }
  ASSIGN_OR_RETURN(p->strides, SpatialAttr(ctx, "strides", n, 1, 1));
  ASSIGN_OR_RETURN(p->dilations, SpatialAttr(ctx, "dilations", n, 1, 1));
  return absl::OkStatus();
}

}  // namespace

std::vector<int64_t> CoordinateTable(const std::vector<int64_t>& dims) {
  const int64_t count = Product(dims);
  const size_t rank = dims.size();
  std::vector<int64_t> table(count * rank);
  for (int64_t i = 0; i < count; ++i) {
    int64_t rest = i;
    for (int d = static_cast<int>(rank) - 1; d >= 0; --d) {
      table[i * rank + d] = rest % dims[d];
      rest /= dims[d];
    }
  }
  return table;
}

absl::Status CheckBias(const KernelContext& ctx, const Tensor* b, int64_t channels) {
  if (b != nullptr && b->shape() != Shape{channels}) {
    return ctx.Invalid(absl::StrCat("input B has shape ", ShapeToString(b->shape()),
                                     ", expected [", channels, "]"));
  }
  return absl::OkStatus();
}

bool ConvParams::TapIndex(const int64_t* base, const int64_t* tap,
                          const std::vector<int64_t>& extent, int64_t* flat) const {
  const int nd = spatial_rank();
  int64_t f = 0;
  for (int d = 0; d < nd; ++d) {
    const int64_t pos = base[d] * strides[d] - pads_begin[d] + tap[d] * dilations[d];
    if (pos < 0 || pos >= extent[d]) return false;
    f = f * extent[d] + pos;
  }
  *flat = f;
  return true;
}

Shape ConvParams::OutputShape() const {
  Shape s = {batch, c_out};
  s.insert(s.end(), out_spatial.begin(), out_spatial.end());
  return s;
}

int64_t ConvParams::KernelSize() const { return Product(kernel); }

int64_t ConvParams::InSpatialSize() const { return Product(in_spatial); }

int64_t ConvParams::OutSpatialSize() const { return Product(out_spatial); }

absl::StatusOr<ConvParams> ResolveConv(const KernelContext& ctx, const Shape& x, const Shape& w) {
  RETURN_IF_ERROR(CheckConvRanks(ctx, x, w));
  ConvParams p;
  p.batch = x[0];
  p.c_in = x[1];
  p.c_out = w[0];
  p.group = ctx.GetInt("group", 1);
  if (p.group < 1 || p.c_in % p.group != 0 || p.c_out % p.group != 0 ||
      w[1] * p.group != p.c_in) {
    return ctx.Invalid(absl::StrCat("X ", ShapeToString(x), ", W ", ShapeToString(w), ", group ",
                                     p.group, ": expected W[1] * group == X[1] and W[0] % group "
                                     "== 0"));
  }
  RETURN_IF_ERROR(ResolveConvWindow(ctx, x, w, &p));
  RETURN_IF_ERROR(ForwardGeometry(ctx, p.in_spatial, p.kernel, p.strides, p.dilations, false,
                                  &p.pads_begin, &p.pads_end, &p.out_spatial));
  RETURN_IF_ERROR(CheckOutputSize(ctx, p.OutputShape()));
  return p;
}

absl::StatusOr<ConvParams> ResolveConvTranspose(const KernelContext& ctx, const Shape& x,
                                                const Shape& w) {
  RETURN_IF_ERROR(CheckConvRanks(ctx, x, w));
  const size_t n = x.size() - 2;
  ConvParams p;
  p.batch = x[0];
  p.c_in = x[1];
  p.group = ctx.GetInt("group", 1);
  if (p.group < 1 || w[0] != p.c_in || p.c_in % p.group != 0) {
    return ctx.Invalid(absl::StrCat("X ", ShapeToString(x), ", W ", ShapeToString(w), ", group ",
                                     p.group, ": expected W[0] == X[1], divisible by group"));
  }
  p.c_out = w[1] * p.group;
  RETURN_IF_ERROR(ResolveConvWindow(ctx, x, w, &p));
  ASSIGN_OR_RETURN(std::vector<int64_t> out_pad, SpatialAttr(ctx, "output_padding", n, 0, 0));
  std::vector<int64_t> out_shape = ctx.GetInts("output_shape", {});
  if (out_shape.size() == n + 2) out_shape.erase(out_shape.begin(), out_shape.begin() + 2);
  if (!out_shape.empty() && out_shape.size() != n) {
    return ctx.Invalid(absl::StrCat("attribute 'output_shape' = [", absl::StrJoin(out_shape, ", "),
                                     "], expected ", n, " spatial dims"));
  }
  std::string auto_pad = ctx.GetString("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "VALID" && auto_pad != "SAME_UPPER" &&
      auto_pad != "SAME_LOWER") {
    return ctx.Invalid(absl::StrCat("attribute 'auto_pad' is \"", auto_pad,
                                     "\", expected NOTSET, VALID, SAME_UPPER or SAME_LOWER"));
  }
  p.pads_begin.assign(n, 0);
  p.pads_end.assign(n, 0);
  p.out_spatial.assign(n, 0);
  if (auto_pad == "NOTSET" && out_shape.empty()) {
    RETURN_IF_ERROR(ExplicitPads(ctx, n, &p.pads_begin, &p.pads_end));
  }
  for (size_t i = 0; i < n; ++i) {
    if (out_pad[i] >= std::max(p.strides[i], p.dilations[i])) {
      return ctx.Invalid(absl::StrCat("output_padding ", out_pad[i], " in spatial dim ", i,
                                       ", expected less than stride or dilation"));
    }
    const int64_t ek = (p.kernel[i] - 1) * p.dilations[i] + 1;
    const int64_t full = p.strides[i] * (p.in_spatial[i] - 1) + out_pad[i] + ek;
    int64_t target = -1;
    if (!out_shape.empty()) {
      target = out_shape[i];
    } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      target = p.in_spatial[i] * p.strides[i];
    }
    if (target >= 0) {
      // A target above the full size gives negative padding: extra trailing outputs that only
      // the bias reaches (ONNX's test_convtranspose_output_shape). Halves round down, as in the
      // spec's Python reference.
      const int64_t total = full - target;
      const int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);
      if (auto_pad == "SAME_UPPER") {
        p.pads_begin[i] = half;
        p.pads_end[i] = total - half;
      } else {
        p.pads_begin[i] = total - half;
        p.pads_end[i] = half;
      }
      p.out_spatial[i] = target;
    } else {
      p.out_spatial[i] = full - p.pads_begin[i] - p.pads_end[i];
    }
  }
  RETURN_IF_ERROR(CheckOutputSize(ctx, p.OutputShape()));
  return p;
}

Shape PoolParams::OutputShape() const {
  Shape s = {batch, channels};
  s.insert(s.end(), out_spatial.begin(), out_spatial.end());
  return s;
}

absl::StatusOr<PoolParams> ResolvePool(const KernelContext& ctx, const Shape& x) {
  RETURN_IF_ERROR(CheckRank(ctx, x, "input X", 3));
  const size_t n = x.size() - 2;
  PoolParams p;
  p.batch = x[0];
  p.channels = x[1];
  p.in_spatial.assign(x.begin() + 2, x.end());
  p.kernel = ctx.GetInts("kernel_shape", {});
  if (p.kernel.size() != n) {
    return ctx.Invalid(absl::StrCat("attribute 'kernel_shape' has ", p.kernel.size(),
                                     " values, expected ", n, " for X ", ShapeToString(x)));
  }
  for (int64_t k : p.kernel) {
    if (k < 1) {
      return ctx.Invalid(absl::StrCat("attribute 'kernel_shape' = [",
                                       absl::StrJoin(p.kernel, ", "), "], expected positive"));
    }
  }
  ASSIGN_OR_RETURN(p.strides, SpatialAttr(ctx, "strides", n, 1, 1));
  ASSIGN_OR_RETURN(p.dilations, SpatialAttr(ctx, "dilations", n, 1, 1));
  p.count_include_pad = ctx.GetInt("count_include_pad", 0) != 0;
  const bool ceil_mode = ctx.GetInt("ceil_mode", 0) != 0;
  RETURN_IF_ERROR(ForwardGeometry(ctx, p.in_spatial, p.kernel, p.strides, p.dilations, ceil_mode,
                                  &p.pads_begin, &p.pads_end, &p.out_spatial));
  RETURN_IF_ERROR(CheckOutputSize(ctx, p.OutputShape()));
  return p;
}

}  // namespace rt
}  // namespace tp
