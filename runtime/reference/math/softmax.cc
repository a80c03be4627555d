// Softmax, LogSoftmax and Hardmax. Opset < 13 flattens the dims from `axis` on into one row; from
// 13 the normalization runs along the single axis. Sums in double.

#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {
namespace {

enum class SoftKind { kSoftmax, kLogSoftmax, kHardmax };

// Opset < 13: the input is coerced to 2-D [prod(dims < axis), prod(dims >= axis)] (axis default
// 1); from 13 the normalization runs along the single axis (default -1).
absl::Status SoftmaxFamily(KernelContext& ctx, SoftKind kind) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  const int rank = x->rank();
  const bool legacy = ctx.opset() < 13;
  absl::StatusOr<int> axis_or = NormalizeAxis(ctx.GetInt("axis", legacy ? 1 : -1), rank);
  RETURN_IF_ERROR(ctx.Annotate(axis_or.status()));
  const int axis = *axis_or;
  const Shape& s = x->shape();
  int64_t outer = 1, n = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= s[i];
  if (legacy) {
    for (int i = axis; i < rank; ++i) n *= s[i];
  } else {
    n = s[axis];
    for (int i = axis + 1; i < rank; ++i) inner *= s[i];
  }
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*x));
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t in = 0; in < inner; ++in) {
      auto at = [&](int64_t j) -> double& { return v[(o * n + j) * inner + in]; };
      if (n == 0) continue;
      double mx = at(0);
      int64_t arg = 0;
      for (int64_t j = 1; j < n; ++j) if (at(j) > mx) { mx = at(j); arg = j; }
      if (kind == SoftKind::kHardmax) {
        for (int64_t j = 0; j < n; ++j) at(j) = j == arg ? 1.0 : 0.0;
        continue;
      }
      double sum = 0;
      for (int64_t j = 0; j < n; ++j) sum += std::exp(at(j) - mx);
      for (int64_t j = 0; j < n; ++j) {
        at(j) = kind == SoftKind::kSoftmax ? std::exp(at(j) - mx) / sum
                                           : at(j) - mx - std::log(sum);
      }
    }
  }
  ASSIGN_OR_RETURN(Tensor y, WriteAs<double>(x->dtype(), s, v));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace

absl::Status SoftmaxKernel(KernelContext& ctx) { return SoftmaxFamily(ctx, SoftKind::kSoftmax); }

absl::Status LogSoftmaxKernel(KernelContext& ctx) {
  return SoftmaxFamily(ctx, SoftKind::kLogSoftmax);
}

absl::Status HardmaxKernel(KernelContext& ctx) { return SoftmaxFamily(ctx, SoftKind::kHardmax); }

}  // namespace ref
}  // namespace rt
}  // namespace tp
