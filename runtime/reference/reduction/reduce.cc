// The Reduce* family (axes from the attribute, or from input 1 from opset 13 for ReduceSum and 18
// for the others; keepdims, noop_with_empty_axes) and ArgMax / ArgMin (select_last_index).
// Accumulation in double.

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/reference/tensor/tensor_params.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {
namespace {

enum class Red { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kSumSquare, kLogSum, kLogSumExp };

absl::Status Reduce(KernelContext& ctx, Red kind, int axes_input_since) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  const int rank = x->rank();
  bool noop = false;
  absl::StatusOr<std::vector<bool>> red_or = ResolveReducedAxes(ctx, rank, axes_input_since, &noop);
  RETURN_IF_ERROR(ctx.Annotate(red_or.status()));
  const std::vector<bool>& red = *red_or;
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*x));
  if (noop) {
    ctx.SetOutput(0, *x);
    return absl::OkStatus();
  }
  const bool keep = ctx.GetInt("keepdims", 1) != 0;
  Shape kept_shape(rank), out_shape;
  for (int i = 0; i < rank; ++i) {
    kept_shape[i] = red[i] ? 1 : x->shape()[i];
    if (!red[i] || keep) out_shape.push_back(kept_shape[i]);
  }
  ASSIGN_OR_RETURN(int64_t n_out, NumElements(kept_shape));
  // Each input element's output slot: strides of the kept shape, 0 along reduced axes.
  std::vector<int64_t> ks = RowMajorStrides(kept_shape);
  for (int i = 0; i < rank; ++i) if (red[i]) ks[i] = 0;
  double init = 0;
  if (kind == Red::kMax) init = -std::numeric_limits<double>::infinity();
  if (kind == Red::kMin) init = std::numeric_limits<double>::infinity();
  if (kind == Red::kProd) init = 1;
  std::vector<double> acc(n_out, init), mx(n_out, -std::numeric_limits<double>::infinity());
  std::vector<int64_t> count(n_out, 0);
  std::vector<int64_t> pos(rank, 0);
  // LogSumExp subtracts the max first for stability.
  auto walk = [&](auto&& f) {
    std::fill(pos.begin(), pos.end(), 0);
    int64_t o = 0;
    for (size_t k = 0; k < v.size(); ++k) {
      f(o, v[k]);
      for (int d = rank - 1; d >= 0; --d) {
        if (++pos[d] < x->shape()[d]) { o += ks[d]; break; }
        o -= ks[d] * (x->shape()[d] - 1);
        pos[d] = 0;
      }
    }
  };
  if (kind == Red::kLogSumExp) {
    walk([&](int64_t o, double e) { mx[o] = std::max(mx[o], e); });
  }
  walk([&](int64_t o, double e) {
    ++count[o];
    switch (kind) {
      case Red::kSum: case Red::kMean: case Red::kLogSum: acc[o] += e; break;
      case Red::kMax: acc[o] = (std::isnan(e) || std::isnan(acc[o])) ? NAN : std::max(acc[o], e); break;
      case Red::kMin: acc[o] = (std::isnan(e) || std::isnan(acc[o])) ? NAN : std::min(acc[o], e); break;
      case Red::kProd: acc[o] *= e; break;
      case Red::kL1: acc[o] += std::fabs(e); break;
      case Red::kL2: case Red::kSumSquare: acc[o] += e * e; break;
      case Red::kLogSumExp: acc[o] += std::exp(e - mx[o]); break;
    }
  });
  for (int64_t o = 0; o < n_out; ++o) {
    switch (kind) {
      case Red::kMean: acc[o] /= static_cast<double>(count[o]); break;
      case Red::kL2: acc[o] = std::sqrt(acc[o]); break;
      case Red::kLogSum: acc[o] = std::log(acc[o]); break;
      case Red::kLogSumExp:
        acc[o] = count[o] == 0 ? -std::numeric_limits<double>::infinity()
                               : std::log(acc[o]) + mx[o];
        break;
      default: break;
    }
  }
  if (IsIntegral(x->dtype())) {
    std::vector<int64_t> vi(acc.size());
    for (size_t k = 0; k < acc.size(); ++k) vi[k] = static_cast<int64_t>(acc[k]);
    ASSIGN_OR_RETURN(Tensor y, WriteAs<int64_t>(x->dtype(), out_shape, vi));
    ctx.SetOutput(0, std::move(y));
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(Tensor y, WriteAs<double>(x->dtype(), out_shape, acc));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status ArgReduce(KernelContext& ctx, bool is_max) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  const int rank = x->rank();
  absl::StatusOr<int> axis_or = NormalizeAxis(ctx.GetInt("axis", 0), rank);
  RETURN_IF_ERROR(ctx.Annotate(axis_or.status()));
  const int axis = *axis_or;
  const bool keep = ctx.GetInt("keepdims", 1) != 0;
  const bool last = ctx.GetInt("select_last_index", 0) != 0;
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*x));
  const Shape& s = x->shape();
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= s[i];
  for (int i = axis + 1; i < rank; ++i) inner *= s[i];
  const int64_t n = s[axis];
  Shape out_shape;
  for (int i = 0; i < rank; ++i) {
    if (i != axis) out_shape.push_back(s[i]);
    else if (keep) out_shape.push_back(1);
  }
  std::vector<int64_t> out(outer * inner, 0);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t in = 0; in < inner; ++in) {
      int64_t best = 0;
      double bv = v[o * n * inner + in];
      for (int64_t j = 1; j < n; ++j) {
        const double e = v[(o * n + j) * inner + in];
        const bool better = is_max ? (last ? e >= bv : e > bv) : (last ? e <= bv : e < bv);
        if (better) { best = j; bv = e; }
      }
      out[o * inner + in] = best;
    }
  }
  ASSIGN_OR_RETURN(Tensor y, WriteAs<int64_t>(DType::kI64, out_shape, out));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace

absl::Status ReduceSumKernel(KernelContext& ctx) { return Reduce(ctx, Red::kSum, 13); }
absl::Status ReduceMeanKernel(KernelContext& ctx) { return Reduce(ctx, Red::kMean, 18); }
absl::Status ReduceMaxKernel(KernelContext& ctx) { return Reduce(ctx, Red::kMax, 18); }
absl::Status ReduceMinKernel(KernelContext& ctx) { return Reduce(ctx, Red::kMin, 18); }
absl::Status ReduceProdKernel(KernelContext& ctx) { return Reduce(ctx, Red::kProd, 18); }
absl::Status ReduceL1Kernel(KernelContext& ctx) { return Reduce(ctx, Red::kL1, 18); }
absl::Status ReduceL2Kernel(KernelContext& ctx) { return Reduce(ctx, Red::kL2, 18); }
absl::Status ReduceSumSquareKernel(KernelContext& ctx) { return Reduce(ctx, Red::kSumSquare, 18); }
absl::Status ReduceLogSumKernel(KernelContext& ctx) { return Reduce(ctx, Red::kLogSum, 18); }
absl::Status ReduceLogSumExpKernel(KernelContext& ctx) { return Reduce(ctx, Red::kLogSumExp, 18); }
absl::Status ArgMaxKernel(KernelContext& ctx) { return ArgReduce(ctx, /*is_max=*/true); }
absl::Status ArgMinKernel(KernelContext& ctx) { return ArgReduce(ctx, /*is_max=*/false); }

}  // namespace ref
}  // namespace rt
}  // namespace tp
