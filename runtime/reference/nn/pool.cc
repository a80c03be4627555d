// Pooling: MaxPool (with Indices), AveragePool (count_include_pad, ceil_mode, dilations) and the
// global pools. Window sums in double.

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

absl::Status PoolRef(KernelContext& ctx, bool is_max) {
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
        sum += v;
        // NaN propagates (as in PyTorch); the first maximum wins ties.
        if (valid == 1 || (!std::isnan(best) && (v > best || std::isnan(v)))) {
          best = v;
          best_index = nc * is + (storage_order == 0 ? flat : col_major);
        }
      }
      if (is_max) {
        y[nc * os + o] = valid > 0 ? best : -std::numeric_limits<double>::infinity();
        if (want_indices) indices[nc * os + o] = best_index;
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

absl::Status GlobalPool(KernelContext& ctx, bool is_max) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  if (x->rank() < 2) return ctx.Invalid("input must have rank >= 2");
  const int64_t nc = x->shape()[0] * x->shape()[1];
  const int64_t inner = nc == 0 ? 0 : x->num_elements() / nc;
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*x));
  std::vector<double> y(nc);
  for (int64_t i = 0; i < nc; ++i) {
    double acc = is_max ? -INFINITY : 0.0;
    for (int64_t j = 0; j < inner; ++j) {
      const double e = v[i * inner + j];
      acc = is_max ? std::max(acc, e) : acc + e;
    }
    y[i] = is_max ? acc : acc / static_cast<double>(inner);
  }
  Shape out(x->rank(), 1);
  out[0] = x->shape()[0];
  out[1] = x->shape()[1];
  ASSIGN_OR_RETURN(Tensor t, WriteAs<double>(x->dtype(), out, y));
  ctx.SetOutput(0, std::move(t));
  return absl::OkStatus();
}

absl::Status MaxPoolKernel(KernelContext& ctx) { return PoolRef(ctx, /*is_max=*/true); }

absl::Status AveragePoolKernel(KernelContext& ctx) { return PoolRef(ctx, /*is_max=*/false); }

absl::Status GlobalAveragePoolKernel(KernelContext& ctx) { return GlobalPool(ctx, false); }

absl::Status GlobalMaxPoolKernel(KernelContext& ctx) { return GlobalPool(ctx, true); }

}  // namespace ref
}  // namespace rt
}  // namespace tp
