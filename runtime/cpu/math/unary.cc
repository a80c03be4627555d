// Fast float32 unary ops that dominate audio and transformer graphs: Relu, LeakyRelu, Sigmoid,
// Tanh, Erf, Exp, Sqrt, Neg, Abs, Reciprocal. Exp, Sigmoid and Erf use vectorizable polynomials
// (vector_math.h: Cephes' expf, about 2 ulp; Erf Abramowitz-Stegun 7.1.26, absolute error below
// 1.5e-7). Any other dtype goes to the reference kernel.

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

// Unary op with an array kernel (Sigmoid, Erf: AVX2 loops in vector_math.h).
absl::Status UnaryArray(KernelContext& ctx, void (*fn)(const float*, float*, int64_t)) {
  if (!AllF32(ctx, {0})) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(const Tensor* x_in, ctx.Input(0));
  ASSIGN_OR_RETURN(Tensor xt, x_in->Contiguous());
  Tensor yt = Tensor::Uninitialized(DType::kF32, x_in->shape());
  const float* x = xt.data_as<float>();
  float* y = yt.mutable_data_as<float>();
  const int64_t n = yt.num_elements();
  ParallelFor(ThreadsFor(ctx, n, Cost::kMath), n, [x, y, fn](int64_t i0, int64_t i1) {
    fn(x + i0, y + i0, i1 - i0);
  });
  ctx.SetOutput(0, std::move(yt));
  return absl::OkStatus();
}

}  // namespace

// NaN stays NaN.
absl::Status ReluKernel(KernelContext& ctx) {
  return Unary(ctx, [](float v) { return v < 0 ? 0.0f : v; });
}
absl::Status LeakyReluKernel(KernelContext& ctx) {
  const float alpha = ctx.GetFloat("alpha", 0.01f);
  return Unary(ctx, [alpha](float v) { return v >= 0 ? v : v * alpha; });
}
absl::Status SigmoidKernel(KernelContext& ctx) { return UnaryArray(ctx, SigmoidArray); }
absl::Status TanhKernel(KernelContext& ctx) {
  return Unary(ctx, [](float v) { return std::tanh(v); }, Cost::kMath);
}
absl::Status ErfKernel(KernelContext& ctx) { return UnaryArray(ctx, ErfArray); }
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

}  // namespace cpu
}  // namespace rt
}  // namespace tp
