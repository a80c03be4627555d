// Element-wise unary reference kernels: math functions, activations (with their attributes),
// Not, Clip, Shrink, IsNaN and IsInf.
//
// Floating types compute in double and round once to the output type; integer and bool types
// compute in int64 where the op is defined for them (Neg, Abs, Sign, Relu, Clip, Shrink).
#include <cmath>
#include <functional>
#include <limits>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {
namespace {

using DFn = std::function<double(double)>;
using IFn = std::function<int64_t(int64_t)>;

absl::Status Unsupported(const KernelContext& ctx, DType t) {
  return ctx.Error(absl::StatusCode::kUnimplemented,
                   absl::StrCat("element type ", DTypeName(t), " is not supported"));
}

// y = f(x) for floating x (double per element, one rounding), fi(x) for integer x when given.
absl::Status RunUnary(KernelContext& ctx, const DFn& f, const IFn& fi = nullptr) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  if (x->dtype() == DType::kF32 && x->is_packed()) {
    // Same arithmetic as below, without the copies.
    Tensor y = Tensor::Zeros(DType::kF32, x->shape());
    const float* src = x->data_as<float>();
    float* dst = y.mutable_data_as<float>();
    for (int64_t i = 0; i < x->num_elements(); ++i) {
      dst[i] = static_cast<float>(f(static_cast<double>(src[i])));
    }
    ctx.SetOutput(0, std::move(y));
    return absl::OkStatus();
  }
  if (IsFloating(x->dtype())) {
    ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*x));
    for (double& e : v) e = f(e);
    ASSIGN_OR_RETURN(Tensor y, WriteAs<double>(x->dtype(), x->shape(), v));
    ctx.SetOutput(0, std::move(y));
    return absl::OkStatus();
  }
  if (fi && IsIntegral(x->dtype())) {
    ASSIGN_OR_RETURN(std::vector<int64_t> v, ReadAs<int64_t>(*x));
    for (int64_t& e : v) e = fi(e);
    ASSIGN_OR_RETURN(Tensor y, WriteAs<int64_t>(x->dtype(), x->shape(), v));
    ctx.SetOutput(0, std::move(y));
    return absl::OkStatus();
  }
  return Unsupported(ctx, x->dtype());
}

// A bool tensor of f(x).
absl::Status RunPredicate(KernelContext& ctx, const std::function<bool(double)>& f) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*x));
  Tensor y = Tensor::Zeros(DType::kBool, x->shape());
  for (size_t k = 0; k < v.size(); ++k) y.mutable_data()[k] = f(v[k]);
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

double Sigmoid(double x) {
  return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x));
}

double Softplus(double x) { return x > 30 ? x : std::log1p(std::exp(x)); }

double Alpha(const KernelContext& ctx, float def) { return ctx.GetFloat("alpha", def); }

}  // namespace

// Math.
absl::Status SqrtKernel(KernelContext& ctx) {
  return RunUnary(ctx, [](double x) { return std::sqrt(x); });
}
absl::Status ReciprocalKernel(KernelContext& ctx) {
  return RunUnary(ctx, [](double x) { return 1.0 / x; });
}
absl::Status ExpKernel(KernelContext& ctx) {
  return RunUnary(ctx, [](double x) { return std::exp(x); });
}
absl::Status LogKernel(KernelContext& ctx) {
  return RunUnary(ctx, [](double x) { return std::log(x); });
}
absl::Status SinKernel(KernelContext& ctx) {
  return RunUnary(ctx, [](double x) { return std::sin(x); });
}
absl::Status CosKernel(KernelContext& ctx) {
  return RunUnary(ctx, [](double x) { return std::cos(x); });
}
absl::Status TanKernel(KernelContext& ctx) {
  return RunUnary(ctx, [](double x) { return std::tan(x); });
}
absl::Status AsinKernel(KernelContext& ctx) {
  return RunUnary(ctx, [](double x) { return std::asin(x); });
}
absl::Status AcosKernel(KernelContext& ctx) {
  return RunUnary(ctx, [](double x) { return std::acos(x); });
}
absl::Status AtanKernel(KernelContext& ctx) {
  return RunUnary(ctx, [](double x) { return std::atan(x); });
}
absl::Status SinhKernel(KernelContext& ctx) {
  return RunUnary(ctx, [](double x) { return std::sinh(x); });
}
absl::Status CoshKernel(KernelContext& ctx) {
  return RunUnary(ctx, [](double x) { return std::cosh(x); });
}
absl::Status AsinhKernel(KernelContext& ctx) {
  return RunUnary(ctx, [](double x) { return std::asinh(x); });
}
absl::Status AcoshKernel(KernelContext& ctx) {
  return RunUnary(ctx, [](double x) { return std::acosh(x); });
}
absl::Status AtanhKernel(KernelContext& ctx) {
  return RunUnary(ctx, [](double x) { return std::atanh(x); });
}
absl::Status TanhKernel(KernelContext& ctx) {
  return RunUnary(ctx, [](double x) { return std::tanh(x); });
}
absl::Status ErfKernel(KernelContext& ctx) {
  return RunUnary(ctx, [](double x) { return std::erf(x); });
}
absl::Status FloorKernel(KernelContext& ctx) {
  return RunUnary(ctx, [](double x) { return std::floor(x); });
}
absl::Status CeilKernel(KernelContext& ctx) {
  return RunUnary(ctx, [](double x) { return std::ceil(x); });
}
// Half to even, as the spec asks (the default rounding mode).
absl::Status RoundKernel(KernelContext& ctx) {
  return RunUnary(ctx, [](double x) { return std::nearbyint(x); });
}
absl::Status NegKernel(KernelContext& ctx) {
  return RunUnary(ctx, [](double x) { return -x; }, [](int64_t x) { return -x; });
}
absl::Status AbsKernel(KernelContext& ctx) {
  return RunUnary(ctx, [](double x) { return std::fabs(x); },
                  [](int64_t x) { return x < 0 ? -x : x; });
}
absl::Status SignKernel(KernelContext& ctx) {
  return RunUnary(ctx, [](double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : x); },
                  [](int64_t x) -> int64_t { return x > 0 ? 1 : (x < 0 ? -1 : 0); });
}

// Activations.
absl::Status SigmoidKernel(KernelContext& ctx) { return RunUnary(ctx, Sigmoid); }
absl::Status SoftplusKernel(KernelContext& ctx) { return RunUnary(ctx, Softplus); }
absl::Status SoftsignKernel(KernelContext& ctx) {
  return RunUnary(ctx, [](double x) { return x / (1.0 + std::fabs(x)); });
}
absl::Status HardSwishKernel(KernelContext& ctx) {
  return RunUnary(ctx, [](double x) { return x * std::max(0.0, std::min(1.0, x / 6.0 + 0.5)); });
}
// NaN stays NaN; -0 becomes +0.
absl::Status ReluKernel(KernelContext& ctx) {
  return RunUnary(ctx, [](double x) { return x > 0 || std::isnan(x) ? x : 0.0; },
                  [](int64_t x) -> int64_t { return x > 0 ? x : 0; });
}
absl::Status LeakyReluKernel(KernelContext& ctx) {
  const double a = Alpha(ctx, 0.01f);
  return RunUnary(ctx, [a](double x) { return x >= 0 ? x : a * x; });
}
absl::Status EluKernel(KernelContext& ctx) {
  const double a = Alpha(ctx, 1.0f);
  return RunUnary(ctx, [a](double x) { return x >= 0 ? x : a * (std::exp(x) - 1.0); });
}
absl::Status CeluKernel(KernelContext& ctx) {
  const double a = Alpha(ctx, 1.0f);
  return RunUnary(ctx, [a](double x) {
    return std::max(0.0, x) + std::min(0.0, a * (std::exp(x / a) - 1.0));
  });
}
absl::Status SeluKernel(KernelContext& ctx) {
  const double a = Alpha(ctx, 1.67326319217681884765625f);
  const double g = ctx.GetFloat("gamma", 1.05070102214813232421875f);
  return RunUnary(ctx, [a, g](double x) { return x > 0 ? g * x : g * (a * std::exp(x) - a); });
}
absl::Status HardSigmoidKernel(KernelContext& ctx) {
  const double a = Alpha(ctx, 0.2f);
  const double b = ctx.GetFloat("beta", 0.5f);
  return RunUnary(ctx, [a, b](double x) { return std::max(0.0, std::min(1.0, a * x + b)); });
}
absl::Status ThresholdedReluKernel(KernelContext& ctx) {
  const double a = Alpha(ctx, 1.0f);
  return RunUnary(ctx, [a](double x) { return x > a ? x : 0.0; });
}
absl::Status GeluKernel(KernelContext& ctx) {
  const bool tanh = ctx.GetString("approximate", "none") == "tanh";
  return RunUnary(ctx, [tanh](double x) {
    if (tanh) {
      return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
    }
    return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
  });
}

// Predicates and the rest.
absl::Status IsNaNKernel(KernelContext& ctx) {
  return RunPredicate(ctx, [](double x) { return std::isnan(x); });
}
absl::Status IsInfKernel(KernelContext& ctx) {
  const bool neg = ctx.GetInt("detect_negative", 1) != 0;
  const bool pos = ctx.GetInt("detect_positive", 1) != 0;
  return RunPredicate(ctx, [neg, pos](double x) {
    return std::isinf(x) && ((x > 0 && pos) || (x < 0 && neg));
  });
}

absl::Status NotKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(std::vector<int64_t> v, ReadAs<int64_t>(*x));
  Tensor y = Tensor::Zeros(DType::kBool, x->shape());
  for (size_t k = 0; k < v.size(); ++k) y.mutable_data()[k] = v[k] == 0;
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status ClipKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  if (ctx.opset() < 11) {
    lo = ctx.GetFloat("min", -std::numeric_limits<float>::infinity());
    hi = ctx.GetFloat("max", std::numeric_limits<float>::infinity());
  } else {
    for (int i = 1; i <= 2; ++i) {
      const Tensor* b = ctx.OptionalInput(i);
      if (b == nullptr) continue;
      if (b->num_elements() != 1) {
        return ctx.Error(absl::StatusCode::kInvalidArgument,
                         absl::StrCat(i == 1 ? "min" : "max", " has shape ",
                                      ShapeToString(b->shape()), "; expected a scalar"));
      }
      ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*b));
      (i == 1 ? lo : hi) = v[0];
    }
  }
  if (IsFloating(x->dtype())) {
    ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*x));
    for (double& e : v) e = std::isnan(e) ? e : std::min(std::max(e, lo), hi);
    ASSIGN_OR_RETURN(Tensor y, WriteAs<double>(x->dtype(), x->shape(), v));
    ctx.SetOutput(0, std::move(y));
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(std::vector<int64_t> v, ReadAs<int64_t>(*x));
  for (int64_t& e : v) {
    if (e < lo) e = static_cast<int64_t>(lo);
    if (e > hi) e = static_cast<int64_t>(hi);
  }
  ASSIGN_OR_RETURN(Tensor y, WriteAs<int64_t>(x->dtype(), x->shape(), v));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status ShrinkKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  const double l = ctx.GetFloat("lambd", 0.5f), b = ctx.GetFloat("bias", 0.0f);
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*x));
  for (double& e : v) e = e < -l ? e + b : (e > l ? e - b : 0.0);
  if (IsIntegral(x->dtype())) {
    std::vector<int64_t> vi(v.begin(), v.end());
    ASSIGN_OR_RETURN(Tensor y, WriteAs<int64_t>(x->dtype(), x->shape(), vi));
    ctx.SetOutput(0, std::move(y));
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(Tensor y, WriteAs<double>(x->dtype(), x->shape(), v));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
