// Pooling: MaxPool (with Indices), AveragePool (count_include_pad, ceil_mode, dilations), LpPool
// and the global pools (average, max, Lp). Window sums in double.

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/reference/nn/conv_params.h"
#include "runtime/reference/util.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {

enum class PoolKind { kMax, kAverage, kLp };

absl::Status PoolRef(KernelContext& ctx, PoolKind kind) {
  const bool is_max = kind == PoolKind::kMax;
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  // MaxPool also takes int8 / uint8 (opset 12); every value is exact in double.
  if (!is_max || IsQuantized(x->dtype()) || x->dtype() == DType::kBool) {
    RETURN_IF_ERROR(CheckFloatInput(ctx, *x, "input X"));
  }
  ASSIGN_OR_RETURN(PoolParams p, ResolvePool(ctx, x->shape()));
  const int64_t storage_order = ctx.GetInt("storage_order", 0);
  ASSIGN_OR_RETURN(std::vector<double> xv, ReadAs<double>(*x));
  const int nd = p.spatial_rank();
  std::vector<int64_t> os_dims = p.out_spatial;
  const std::vector<int64_t> kc = CoordinateTable(p.kernel);
  const std::vector<int64_t> oc = CoordinateTable(p.out_spatial);
  int64_t ks = 1, os = 1, is = 1;
  for (int d = 0; d < nd; ++d) {
    ks *= p.kernel[d];
    os *= p.out_spatial[d];
    is *= p.in_spatial[d];
  }
  const bool want_indices = is_max && ctx.WantsOutput(1);
  const double p_norm = static_cast<double>(ctx.GetInt("p", 2));
  if (kind == PoolKind::kLp && p_norm <= 0) {
    return ctx.Invalid(absl::StrCat("attribute 'p' = ", p_norm, ", expected > 0"));
  }
  std::vector<double> y(p.batch * p.channels * os, 0.0);
  std::vector<int64_t> indices(want_indices ? y.size() : 0, 0);
  for (int64_t nc = 0; nc < p.batch * p.channels; ++nc) {
    for (int64_t o = 0; o < os; ++o) {
      double best = -std::numeric_limits<double>::infinity();
      int64_t best_index = 0;
      double sum = 0;
      int64_t valid = 0, padded = 0;
      for (int64_t k = 0; k < ks; ++k) {
        int64_t flat = 0, col_major = 0, col_stride = 1;
        bool inside = true, in_padded = true;
        for (int d = 0; d < nd; ++d) {
          const int64_t pos = oc[o * nd + d] * p.strides[d] - p.pads_begin[d] +
                              kc[k * nd + d] * p.dilations[d];
          if (pos < 0 || pos >= p.in_spatial[d]) inside = false;
          if (pos < -p.pads_begin[d] || pos >= p.in_spatial[d] + p.pads_end[d]) in_padded = false;
          flat = flat * p.in_spatial[d] + pos;
          col_major += pos * col_stride;
          col_stride *= p.in_spatial[d];
        }
        if (in_padded) ++padded;
        if (!inside) continue;
        ++valid;
        const double v = xv[nc * is + flat];
        sum += kind == PoolKind::kLp ? std::pow(std::fabs(v), p_norm) : v;
        // NaN propagates (as in PyTorch); the first maximum wins ties.
        if (valid == 1 || (!std::isnan(best) && (v > best || std::isnan(v)))) {
          best = v;
          best_index = nc * is + (storage_order == 0 ? flat : col_major);
        }
      }
      if (is_max) {
        y[nc * os + o] = valid > 0 ? best : -std::numeric_limits<double>::infinity();
        if (want_indices) indices[nc * os + o] = best_index;
      } else if (kind == PoolKind::kLp) {
        // Padding contributes zeros.
        y[nc * os + o] = std::pow(sum, 1.0 / p_norm);
      } else {
        const int64_t divisor = p.count_include_pad ? padded : valid;
        y[nc * os + o] = divisor > 0 ? sum / divisor : 0.0;
      }
    }
  }
  ASSIGN_OR_RETURN(Tensor out, WriteAs<double>(x->dtype(), p.OutputShape(), y));
  ctx.SetOutput(0, std::move(out));
  if (want_indices) {
    ASSIGN_OR_RETURN(Tensor idx, WriteAs<int64_t>(DType::kI64, p.OutputShape(), indices));
    ctx.SetOutput(1, std::move(idx));
  }
  return absl::OkStatus();
}

absl::Status GlobalPool(KernelContext& ctx, PoolKind kind) {
  const bool is_max = kind == PoolKind::kMax;
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  RETURN_IF_ERROR(CheckFloatInput(ctx, *x, "input X"));
  const double p_norm = static_cast<double>(ctx.GetInt("p", 2));
  if (x->rank() < 2) return ctx.Invalid("input must have rank >= 2");
  const int64_t nc = x->shape()[0] * x->shape()[1];
  const int64_t inner = nc == 0 ? 0 : x->num_elements() / nc;
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*x));
  std::vector<double> y(nc);
  for (int64_t i = 0; i < nc; ++i) {
    double acc = is_max ? -INFINITY : 0.0;
    for (int64_t j = 0; j < inner; ++j) {
      const double e = v[i * inner + j];
      if (kind == PoolKind::kLp) {
        acc += std::pow(std::fabs(e), p_norm);
      } else {
        acc = is_max ? std::max(acc, e) : acc + e;
      }
    }
    if (kind == PoolKind::kLp) {
      y[i] = std::pow(acc, 1.0 / p_norm);
    } else {
      y[i] = is_max ? acc : acc / static_cast<double>(inner);
    }
  }
  Shape out(x->rank(), 1);
  out[0] = x->shape()[0];
  out[1] = x->shape()[1];
  ASSIGN_OR_RETURN(Tensor t, WriteAs<double>(x->dtype(), out, y));
  ctx.SetOutput(0, std::move(t));
  return absl::OkStatus();
}

// Y zero-filled, then X[k] placed where I[k] points. I holds MaxPool's Indices: flat over the
// whole unpooled tensor of the shape kernel_shape / strides / pads imply. An output_shape input
// may enlarge that shape; each index keeps its coordinates (the extra rows and columns stay 0).
absl::Status MaxUnpoolKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* ind, ctx.Input(1));
  RETURN_IF_ERROR(CheckFloatInput(ctx, *x, "input X"));
  if (ind->shape() != x->shape()) {
    return ctx.Invalid(absl::StrCat("I has shape ", ShapeToString(ind->shape()), ", X ",
                                    ShapeToString(x->shape()), "; expected the same"));
  }
  if (x->rank() < 3) return ctx.Invalid("X must be [N, C, D1, ...]");
  const size_t nd = x->rank() - 2;
  const std::vector<int64_t> kernel = ctx.GetInts("kernel_shape", {});
  const std::vector<int64_t> strides = ctx.GetInts("strides", std::vector<int64_t>(nd, 1));
  const std::vector<int64_t> pads = ctx.GetInts("pads", std::vector<int64_t>(2 * nd, 0));
  if (kernel.size() != nd || strides.size() != nd || pads.size() != 2 * nd) {
    return ctx.Invalid(absl::StrCat("kernel_shape, strides and pads need ", nd, ", ", nd, " and ",
                                    2 * nd, " values"));
  }
  Shape inferred = {x->shape()[0], x->shape()[1]};
  for (size_t d = 0; d < nd; ++d) {
    inferred.push_back((x->shape()[2 + d] - 1) * strides[d] + kernel[d] - pads[d] - pads[nd + d]);
  }
  RETURN_IF_ERROR(CheckOutputSize(ctx, inferred));
  Shape out = inferred;
  if (const Tensor* os = ctx.OptionalInput(2)) {
    absl::StatusOr<std::vector<int64_t>> v = ReadInts(*os);
    RETURN_IF_ERROR(ctx.Annotate(v.status()));
    bool ok = v->size() == inferred.size();
    for (size_t d = 0; ok && d < v->size(); ++d) ok = (*v)[d] >= inferred[d];
    if (!ok) {
      return ctx.Invalid(absl::StrCat("output_shape ", ShapeToString(*v), " is smaller than ",
                                      ShapeToString(inferred), ", what the attributes imply"));
    }
    out = *v;
  }
  RETURN_IF_ERROR(CheckOutputSize(ctx, out));
  ASSIGN_OR_RETURN(int64_t total, NumElements(out));
  ASSIGN_OR_RETURN(int64_t inferred_total, NumElements(inferred));
  ASSIGN_OR_RETURN(std::vector<double> xv, ReadAs<double>(*x));
  ASSIGN_OR_RETURN(std::vector<int64_t> iv, ReadAs<int64_t>(*ind));
  const std::vector<int64_t> out_strides = RowMajorStrides(out);
  std::vector<double> y(total, 0.0);
  for (size_t k = 0; k < xv.size(); ++k) {
    if (iv[k] < 0 || iv[k] >= inferred_total) {
      return ctx.Invalid(absl::StrCat("index ", iv[k], " is outside the unpooled tensor (",
                                      inferred_total, " elements)"));
    }
    int64_t rest = iv[k], flat = 0;
    for (int d = static_cast<int>(inferred.size()) - 1; d >= 0; --d) {
      flat += (rest % inferred[d]) * out_strides[d];
      rest /= inferred[d];
    }
    y[flat] = xv[k];
  }
  ASSIGN_OR_RETURN(Tensor t, WriteAs<double>(x->dtype(), out, y));
  ctx.SetOutput(0, std::move(t));
  return absl::OkStatus();
}

absl::Status MaxPoolKernel(KernelContext& ctx) { return PoolRef(ctx, PoolKind::kMax); }

absl::Status AveragePoolKernel(KernelContext& ctx) { return PoolRef(ctx, PoolKind::kAverage); }

// (sum |x|^p)^(1/p) over each window; p is an int attribute (default 2).
absl::Status LpPoolKernel(KernelContext& ctx) { return PoolRef(ctx, PoolKind::kLp); }

absl::Status GlobalAveragePoolKernel(KernelContext& ctx) {
  return GlobalPool(ctx, PoolKind::kAverage);
}

absl::Status GlobalMaxPoolKernel(KernelContext& ctx) { return GlobalPool(ctx, PoolKind::kMax); }

absl::Status GlobalLpPoolKernel(KernelContext& ctx) { return GlobalPool(ctx, PoolKind::kLp); }

}  // namespace ref
}  // namespace rt
}  // namespace tp
