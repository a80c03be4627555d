// Fast float32 reductions: the Reduce* family over any axes (Sum, Mean, Max, Min, Prod, L1, L2,
// SumSquare, LogSum, LogSumExp) and ArgMax / ArgMin. Reduced axes that are contiguous make the
// input [outer, reduced, inner]; others are first gathered into that form by one strided copy.
// Sums accumulate in double (float lanes flushed to double for trailing rows), as the reference
// does; Max / Min propagate NaN. Other dtypes go to the reference kernel.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/status_macros.h"
#include "core/tensor.h"
#include "runtime/cpu/cpu_util.h"
#include "runtime/cpu/kernels.h"
#include "runtime/cpu/tensor/copy.h"
#include "runtime/cpu/thread_pool.h"
#include "runtime/cpu/vector_math.h"
#include "runtime/reference/tensor/tensor_params.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace cpu {
namespace {

enum class Red { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kSumSquare, kLogSum, kLogSumExp };

// One reduction of n values read with stride `stride`.
double ReduceOne(Red kind, const float* x, int64_t n, int64_t stride) {
  if (stride == 1 && (kind == Red::kSum || kind == Red::kMean || kind == Red::kLogSum)) {
    const double s = SumOf(x, n);
    return kind == Red::kMean ? s / static_cast<double>(n) : kind == Red::kLogSum ? std::log(s) : s;
  }
  switch (kind) {
    case Red::kMax:
    case Red::kMin: {
      double acc = kind == Red::kMax ? -INFINITY : INFINITY;
      for (int64_t i = 0; i < n; ++i) {
        const double e = x[i * stride];
        if (std::isnan(e)) return NAN;
        acc = kind == Red::kMax ? std::max(acc, e) : std::min(acc, e);
      }
      return acc;
    }
    case Red::kLogSumExp: {
      if (n == 0) return -INFINITY;
      double m = -INFINITY;
      for (int64_t i = 0; i < n; ++i) m = std::max<double>(m, x[i * stride]);
      double s = 0;
      for (int64_t i = 0; i < n; ++i) s += std::exp(x[i * stride] - m);
      return std::log(s) + m;
    }
    default: {
      double acc = kind == Red::kProd ? 1.0 : 0.0;
      for (int64_t i = 0; i < n; ++i) {
        const double e = x[i * stride];
        switch (kind) {
          case Red::kProd: acc *= e; break;
          case Red::kL1: acc += std::fabs(e); break;
          case Red::kL2:
          case Red::kSumSquare: acc += e * e; break;
          default: acc += e;
        }
      }
      if (kind == Red::kMean) acc /= static_cast<double>(n);
      if (kind == Red::kL2) acc = std::sqrt(acc);
      if (kind == Red::kLogSum) acc = std::log(acc);
      return acc;
    }
  }
}

absl::Status Reduce(KernelContext& ctx, Red kind, int axes_input_since) {
  if (!AllF32(ctx, {0})) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(const Tensor* x_in, ctx.Input(0));
  const int rank = x_in->rank();
  bool noop = false;
  absl::StatusOr<std::vector<bool>> red_or =
      ResolveReducedAxes(ctx, rank, axes_input_since, &noop);
  if (!red_or.ok() || noop) return ReferenceFallback(ctx);  // the reference words / copies it
  const std::vector<bool>& red = *red_or;
  const bool keep = ctx.GetInt("keepdims", 1) != 0;
  const Shape& s = x_in->shape();
  Shape out;
  int64_t count = 1;
  for (int d = 0; d < rank; ++d) {
    if (red[d]) count *= s[d];
    if (!red[d]) out.push_back(s[d]);
    if (red[d] && keep) out.push_back(1);
  }
  if (count == 0) return ReferenceFallback(ctx);  // empty reductions: the reference's values
  ASSIGN_OR_RETURN(Tensor x, x_in->Contiguous());
  // [outer, count, inner]: directly when the reduced axes are one contiguous block, else the
  // kept axes gathered in front of the reduced ones.
  int first = rank, last = -1;
  for (int d = 0; d < rank; ++d) {
    if (red[d]) {
      first = std::min(first, d);
      last = d;
    }
  }
  bool block = true;
  for (int d = first; d <= last; ++d) block = block && red[d];
  int64_t outer = 1, inner = 1;
  if (block) {
    for (int d = 0; d < first; ++d) outer *= s[d];
    for (int d = last + 1; d < rank; ++d) inner *= s[d];
  } else {
    const std::vector<int64_t> xs = RowMajorStrides(s);
    Shape box;
    std::vector<int64_t> strides;
    for (int pass = 0; pass < 2; ++pass) {
      for (int d = 0; d < rank; ++d) {
        if (red[d] == (pass == 1)) {
          box.push_back(s[d]);
          strides.push_back(xs[d]);
        }
      }
    }
    Tensor g = Tensor::Uninitialized(DType::kF32, box);
    CopyBox(x.data(), strides, g.mutable_data(), RowMajorStrides(box), box, 4, Threads(ctx));
    x = std::move(g);
    outer = count == 0 ? 0 : x.num_elements() / count;
  }
  Tensor y = Tensor::Uninitialized(DType::kF32, out);
  const float* xp = x.data_as<float>();
  float* yp = y.mutable_data_as<float>();
  ParallelFor(ThreadsFor(ctx, x.num_elements(), Cost::kCheap), outer * inner,
              [&](int64_t k0, int64_t k1) {
                for (int64_t k = k0; k < k1; ++k) {
                  const int64_t o = k / inner, i = k % inner;
                  yp[k] = static_cast<float>(
                      ReduceOne(kind, xp + o * count * inner + i, count, inner));
                }
              });
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status ArgReduce(KernelContext& ctx, bool is_max) {
  if (!AllF32(ctx, {0})) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(const Tensor* x_in, ctx.Input(0));
  const int rank = x_in->rank();
  absl::StatusOr<int> axis_or = NormalizeAxis(ctx.GetInt("axis", 0), rank);
  if (!axis_or.ok() || x_in->num_elements() == 0) return ReferenceFallback(ctx);
  const int axis = *axis_or;
  const bool keep = ctx.GetInt("keepdims", 1) != 0;
  const bool last = ctx.GetInt("select_last_index", 0) != 0;
  const Shape& s = x_in->shape();
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= s[i];
  for (int i = axis + 1; i < rank; ++i) inner *= s[i];
  const int64_t n = s[axis];
  Shape out;
  for (int i = 0; i < rank; ++i) {
    if (i != axis) out.push_back(s[i]);
    if (i == axis && keep) out.push_back(1);
  }
  ASSIGN_OR_RETURN(Tensor x, x_in->Contiguous());
  Tensor y = Tensor::Uninitialized(DType::kI64, out);
  const float* xp = x.data_as<float>();
  int64_t* yp = y.mutable_data_as<int64_t>();
  ParallelFor(ThreadsFor(ctx, x.num_elements(), Cost::kCheap), outer * inner,
              [&](int64_t k0, int64_t k1) {
                for (int64_t k = k0; k < k1; ++k) {
                  const float* p = xp + (k / inner) * n * inner + k % inner;
                  int64_t best = 0;
                  float bv = p[0];
                  for (int64_t j = 1; j < n; ++j) {
                    const float e = p[j * inner];
                    const bool better =
                        is_max ? (last ? e >= bv : e > bv) : (last ? e <= bv : e < bv);
                    if (better) {
                      best = j;
                      bv = e;
                    }
                  }
                  yp[k] = best;
                }
              });
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
absl::Status ReduceSumSquareKernel(KernelContext& ctx) {
  return Reduce(ctx, Red::kSumSquare, 18);
}
absl::Status ReduceLogSumKernel(KernelContext& ctx) { return Reduce(ctx, Red::kLogSum, 18); }
absl::Status ReduceLogSumExpKernel(KernelContext& ctx) {
  return Reduce(ctx, Red::kLogSumExp, 18);
}
absl::Status ArgMaxKernel(KernelContext& ctx) { return ArgReduce(ctx, true); }
absl::Status ArgMinKernel(KernelContext& ctx) { return ArgReduce(ctx, false); }

}  // namespace cpu
}  // namespace rt
}  // namespace tp
