// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (reductions none / sum / mean, weights,
// ignore_index), in double.

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {
namespace {

// log_prob: [N, C, D] flattened (D = product of the extra dims); target: [N, D].
absl::Status Nll(KernelContext& ctx, const std::vector<double>& log_prob, DType dtype,
                 const Shape& input_shape, const Tensor& target_t, const Tensor* weight_t) {
  if (input_shape.size() < 2) {
    return ctx.Error(absl::StatusCode::kInvalidArgument, "input must have rank >= 2");
  }
  const int64_t N = input_shape[0], C = input_shape[1];
  Shape target_shape = input_shape;
  target_shape.erase(target_shape.begin() + 1);
  if (target_t.shape() != target_shape) {
    return ctx.Error(absl::StatusCode::kInvalidArgument,
                     absl::StrCat("target has shape ", ShapeToString(target_t.shape()),
                                  ", expected ", ShapeToString(target_shape)));
  }
  const int64_t D = N * C == 0 ? 0 : static_cast<int64_t>(log_prob.size()) / (N * C);
  ASSIGN_OR_RETURN(std::vector<int64_t> target, ReadInts(target_t));
  std::vector<double> weight(C, 1.0);
  if (weight_t != nullptr) {
    if (weight_t->num_elements() != C) {
      return ctx.Error(absl::StatusCode::kInvalidArgument, "weight must hold C values");
    }
    ASSIGN_OR_RETURN(weight, ReadAs<double>(*weight_t));
  }
  const bool has_ignore = ctx.Attr("ignore_index") != nullptr;
  const int64_t ignore = ctx.GetInt("ignore_index", 0);
  const std::string reduction = ctx.GetString("reduction", "mean");
  std::vector<double> loss(N * D, 0.0);
  double sum = 0, wsum = 0;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t d = 0; d < D; ++d) {
      const int64_t t = target[n * D + d];
      if (has_ignore && t == ignore) continue;
      if (t < 0 || t >= C) {
        return ctx.Error(absl::StatusCode::kInvalidArgument,
                         absl::StrCat("target ", t, " is outside [0, ", C, ")"));
      }
      const double l = -log_prob[(n * C + t) * D + d] * weight[t];
      loss[n * D + d] = l;
      sum += l;
      wsum += weight[t];
    }
  if (reduction == "none") {
    ASSIGN_OR_RETURN(Tensor y, WriteAs<double>(dtype, target_shape, loss));
    ctx.SetOutput(0, std::move(y));
  } else if (reduction == "sum" || reduction == "mean") {
    const double r = reduction == "sum" ? sum : sum / wsum;
    ASSIGN_OR_RETURN(Tensor y, WriteAs<double>(dtype, {}, {r}));
    ctx.SetOutput(0, std::move(y));
  } else {
    return ctx.Error(absl::StatusCode::kInvalidArgument,
                     absl::StrCat("reduction \"", reduction, "\"; expected none, sum or mean"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status NegativeLogLikelihoodLossKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* t, ctx.Input(1));
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*x));
  return Nll(ctx, v, x->dtype(), x->shape(), *t, ctx.OptionalInput(2));
}

absl::Status SoftmaxCrossEntropyLossKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* t, ctx.Input(1));
  if (x->rank() < 2) return ctx.Error(absl::StatusCode::kInvalidArgument, "rank must be >= 2");
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*x));
  const int64_t N = x->shape()[0], C = x->shape()[1];
  const int64_t D = N * C == 0 ? 0 : x->num_elements() / (N * C);
  // log_softmax over C.
  for (int64_t n = 0; n < N; ++n)
    for (int64_t d = 0; d < D; ++d) {
      double mx = -INFINITY;
      for (int64_t c = 0; c < C; ++c) mx = std::max(mx, v[(n * C + c) * D + d]);
      double s = 0;
      for (int64_t c = 0; c < C; ++c) s += std::exp(v[(n * C + c) * D + d] - mx);
      const double lse = mx + std::log(s);
      for (int64_t c = 0; c < C; ++c) v[(n * C + c) * D + d] -= lse;
    }
  RETURN_IF_ERROR(Nll(ctx, v, x->dtype(), x->shape(), *t, ctx.OptionalInput(2)));
  if (ctx.WantsOutput(1)) {
    ASSIGN_OR_RETURN(Tensor lp, WriteAs<double>(x->dtype(), x->shape(), v));
    ctx.SetOutput(1, std::move(lp));
  }
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
