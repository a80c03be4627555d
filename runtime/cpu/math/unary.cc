// Fast float32 element-wise unary ops: math (Exp, Log, Sqrt, Reciprocal, Neg, Abs, Sign, Floor,
// Ceil, Round, Sin, Cos, Erf) and activations (Relu, LeakyRelu, Sigmoid, Tanh, HardSigmoid,
// HardSwish, Clip, Elu, Celu, Selu, Softplus, Softsign, ThresholdedRelu, Shrink, Gelu). Sigmoid,
// Erf and the exp-based activations use vectorizable polynomials (vector_math.h: Cephes' expf,
// about 2 ulp; Erf Abramowitz-Stegun 7.1.26, absolute error below 1.5e-7). Any other dtype goes to
// the reference kernel.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "core/tensor.h"
#include "runtime/cpu/cpu_util.h"
#include "runtime/cpu/kernels.h"
#include "runtime/cpu/thread_pool.h"
#include "runtime/cpu/vector_math.h"

namespace tp {
namespace rt {
namespace cpu {
namespace {

template <typename F>
absl::Status Unary(KernelContext& ctx, F f, Cost cost = Cost::kCheap) {
  if (!AllF32(ctx, {0})) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(const Tensor* x_in, ctx.Input(0));
  ASSIGN_OR_RETURN(Tensor xt, x_in->Contiguous());
  Tensor yt = Tensor::Uninitialized(DType::kF32, x_in->shape());
  const float* x = xt.data_as<float>();
  float* y = yt.mutable_data_as<float>();
  const int64_t n = yt.num_elements();
  ParallelFor(ThreadsFor(ctx, n, cost), n, [x, y, f](int64_t i0, int64_t i1) {
    // By-value captures: with references the compiler must assume the stores to y alias them,
    // and the loop stays scalar.
    const F fn = f;  // a local copy: its captured constants stay in registers
    const float* xs = x;
    float* ys = y;
    for (int64_t i = i0; i < i1; ++i) ys[i] = fn(xs[i]);
  });
  ctx.SetOutput(0, std::move(yt));
  return absl::OkStatus();
}

// Unary op computed a block at a time by `fn(x, y, n)` (array forms that need scratch or the
// vector exp).
template <typename F>
absl::Status UnaryBlocks(KernelContext& ctx, F fn, Cost cost = Cost::kMath) {
  if (!AllF32(ctx, {0})) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(const Tensor* x_in, ctx.Input(0));
  ASSIGN_OR_RETURN(Tensor xt, x_in->Contiguous());
  Tensor yt = Tensor::Uninitialized(DType::kF32, x_in->shape());
  const float* x = xt.data_as<float>();
  float* y = yt.mutable_data_as<float>();
  const int64_t n = yt.num_elements();
  ParallelFor(ThreadsFor(ctx, n, cost), n, [x, y, fn](int64_t i0, int64_t i1) {
    for (int64_t b = i0; b < i1; b += 1024) fn(x + b, y + b, std::min<int64_t>(1024, i1 - b));
  });
  ctx.SetOutput(0, std::move(yt));
  return absl::OkStatus();
}

// y = exp(x) for n <= 1024 values (FastExp's clamp: use only where overflow cannot matter).
void ExpBlock(const float* x, float* y, int64_t n) { ExpArray(x, 0.0f, y, n); }

inline float Clamp01(float v) { return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v); }

}  // namespace

// NaN stays NaN.
absl::Status ReluKernel(KernelContext& ctx) {
  return Unary(ctx, [](float v) { return v < 0 ? 0.0f : v; });
}
absl::Status LeakyReluKernel(KernelContext& ctx) {
  const float alpha = ctx.GetFloat("alpha", 0.01f);
  return Unary(ctx, [alpha](float v) { return v >= 0 ? v : v * alpha; });
}
absl::Status SigmoidKernel(KernelContext& ctx) { return UnaryBlocks(ctx, SigmoidArray); }
absl::Status TanhKernel(KernelContext& ctx) {
  return Unary(ctx, [](float v) { return std::tanh(v); }, Cost::kMath);
}
absl::Status ErfKernel(KernelContext& ctx) { return UnaryBlocks(ctx, ErfArray); }
// std::exp: Exp's overflow to +inf is part of its contract, FastExp saturates.
absl::Status ExpKernel(KernelContext& ctx) {
  return Unary(ctx, [](float v) { return std::exp(v); }, Cost::kMath);
}
absl::Status SqrtKernel(KernelContext& ctx) {
  return Unary(ctx, [](float v) { return std::sqrt(v); });
}
absl::Status NegKernel(KernelContext& ctx) { return Unary(ctx, [](float v) { return -v; }); }
absl::Status AbsKernel(KernelContext& ctx) {
  return Unary(ctx, [](float v) { return std::fabs(v); });
}
absl::Status ReciprocalKernel(KernelContext& ctx) {
  return Unary(ctx, [](float v) { return 1.0f / v; });
}
absl::Status LogKernel(KernelContext& ctx) {
  return Unary(ctx, [](float v) { return std::log(v); }, Cost::kMath);
}
absl::Status SinKernel(KernelContext& ctx) {
  return Unary(ctx, [](float v) { return std::sin(v); }, Cost::kMath);
}
absl::Status CosKernel(KernelContext& ctx) {
  return Unary(ctx, [](float v) { return std::cos(v); }, Cost::kMath);
}
absl::Status FloorKernel(KernelContext& ctx) {
  return Unary(ctx, [](float v) { return std::floor(v); });
}
absl::Status CeilKernel(KernelContext& ctx) {
  return Unary(ctx, [](float v) { return std::ceil(v); });
}
// Half to even (the default rounding mode), as the spec asks.
absl::Status RoundKernel(KernelContext& ctx) {
  return Unary(ctx, [](float v) { return std::nearbyint(v); });
}
absl::Status SignKernel(KernelContext& ctx) {
  return Unary(ctx, [](float v) { return v > 0 ? 1.0f : (v < 0 ? -1.0f : v); });
}

absl::Status HardSigmoidKernel(KernelContext& ctx) {
  const float a = ctx.GetFloat("alpha", 0.2f), b = ctx.GetFloat("beta", 0.5f);
  // std::max / std::min as the reference evaluates them (a NaN input gives 1).
  return Unary(ctx, [a, b](float v) { return std::max(0.0f, std::min(1.0f, a * v + b)); });
}
absl::Status HardSwishKernel(KernelContext& ctx) {
  return Unary(ctx, [](float v) { return v * Clamp01(v * (1.0f / 6.0f) + 0.5f); });
}
absl::Status ClipKernel(KernelContext& ctx) {
  if (!AllF32(ctx, {0, 1, 2})) return ReferenceFallback(ctx);
  float lo = -INFINITY, hi = INFINITY;
  if (ctx.opset() < 11) {
    lo = ctx.GetFloat("min", -INFINITY);
    hi = ctx.GetFloat("max", INFINITY);
  } else {
    for (int i = 1; i <= 2; ++i) {
      const Tensor* b = ctx.OptionalInput(i);
      if (b == nullptr) continue;
      if (b->num_elements() != 1) return ReferenceFallback(ctx);  // the reference words it
      ASSIGN_OR_RETURN(Tensor bc, b->Contiguous());
      (i == 1 ? lo : hi) = bc.data_as<float>()[0];
    }
  }
  // NaN stays NaN: both comparisons are false.
  return Unary(ctx, [lo, hi](float v) { return v < lo ? lo : (v > hi ? hi : v); });
}
absl::Status EluKernel(KernelContext& ctx) {
  const float a = ctx.GetFloat("alpha", 1.0f);
  return UnaryBlocks(ctx, [a](const float* x, float* y, int64_t n) {
    ExpBlock(x, y, n);
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] >= 0 ? x[i] : a * (y[i] - 1.0f);
  });
}
absl::Status CeluKernel(KernelContext& ctx) {
  const float a = ctx.GetFloat("alpha", 1.0f);
  return UnaryBlocks(ctx, [a](const float* x, float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] / a;
    ExpBlock(y, y, n);
    for (int64_t i = 0; i < n; ++i) {
      const float neg = a * (y[i] - 1.0f);
      y[i] = (x[i] > 0 ? x[i] : 0.0f) + (neg < 0 ? neg : 0.0f);
    }
  });
}
absl::Status SeluKernel(KernelContext& ctx) {
  const float a = ctx.GetFloat("alpha", 1.67326319217681884765625f);
  const float g = ctx.GetFloat("gamma", 1.05070102214813232421875f);
  return UnaryBlocks(ctx, [a, g](const float* x, float* y, int64_t n) {
    ExpBlock(x, y, n);
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] > 0 ? g * x[i] : g * (a * y[i] - a);
  });
}
absl::Status SoftplusKernel(KernelContext& ctx) {
  // log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)): no overflow, exact for large |x|.
  return UnaryBlocks(ctx, [](const float* x, float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = -std::fabs(x[i]);
    ExpBlock(y, y, n);
    for (int64_t i = 0; i < n; ++i) {
      y[i] = x[i] != x[i] ? x[i] : (x[i] > 0 ? x[i] : 0.0f) + std::log1p(y[i]);
    }
  });
}
absl::Status SoftsignKernel(KernelContext& ctx) {
  return Unary(ctx, [](float v) { return v / (1.0f + std::fabs(v)); });
}
absl::Status ThresholdedReluKernel(KernelContext& ctx) {
  const float a = ctx.GetFloat("alpha", 1.0f);
  return Unary(ctx, [a](float v) { return v > a ? v : 0.0f; });
}
absl::Status ShrinkKernel(KernelContext& ctx) {
  const float l = ctx.GetFloat("lambd", 0.5f), b = ctx.GetFloat("bias", 0.0f);
  return Unary(ctx, [l, b](float v) { return v < -l ? v + b : (v > l ? v - b : 0.0f); });
}
absl::Status GeluKernel(KernelContext& ctx) {
  if (ctx.GetString("approximate", "none") == "tanh") {
    return UnaryBlocks(ctx, [](const float* x, float* y, int64_t n) {
      const float k = 0.7978845608028654f;  // sqrt(2 / pi)
      for (int64_t i = 0; i < n; ++i) y[i] = k * (x[i] + 0.044715f * x[i] * x[i] * x[i]);
      TanhArray(y, y, n);
      for (int64_t i = 0; i < n; ++i) y[i] = 0.5f * x[i] * (1.0f + y[i]);
    });
  }
  return UnaryBlocks(ctx, [](const float* x, float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] * 0.70710678118654752f;
    ErfArray(y, y, n);
    for (int64_t i = 0; i < n; ++i) y[i] = 0.5f * x[i] * (1.0f + y[i]);
  });
}

}  // namespace cpu
}  // namespace rt
}  // namespace tp
