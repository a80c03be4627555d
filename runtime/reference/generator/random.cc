// Random generators: RandomNormal, RandomUniform (shape attribute), RandomNormalLike,
// RandomUniformLike (the input's shape), Bernoulli (probabilities in, 0/1 out) and Multinomial
// (samples class indices from unnormalized log-probabilities). Their outputs cannot match another
// runtime's; they exist so that models drawing noise run at all.
//
// With a `seed` attribute a node draws from a Mersenne Twister seeded with it, the same numbers on
// every run; without one it draws from one process-wide generator (fixed start, so a program's
// runs repeat), which successive calls advance.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <mutex>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {
namespace {

// Calls `draw(gen)` with the node's generator (seeded, or the shared one under its lock).
template <typename F>
void WithGenerator(const KernelContext& ctx, F draw) {
  if (const onnx::AttributeProto* seed = ctx.Attr("seed")) {
    std::mt19937_64 gen(static_cast<uint64_t>(static_cast<int64_t>(seed->f())));
    draw(gen);
    return;
  }
  static std::mutex* mu = new std::mutex;
  static std::mt19937_64* shared = new std::mt19937_64(0x5eed);
  std::lock_guard<std::mutex> lock(*mu);
  draw(*shared);
}

absl::StatusOr<DType> OutputType(const KernelContext& ctx, DType def) {
  if (ctx.Attr("dtype") == nullptr) return def;
  absl::StatusOr<DType> t = DTypeFromOnnx(static_cast<int>(ctx.GetInt("dtype", 1)));
  RETURN_IF_ERROR(ctx.Annotate(t.status()));
  return *t;
}

// Normal or uniform values of `shape`.
absl::Status Fill(KernelContext& ctx, const Shape& shape, DType dtype, bool normal) {
  if (!IsFloating(dtype)) {
    return ctx.Invalid(absl::StrCat("dtype ", DTypeName(dtype), ", expected a floating type"));
  }
  RETURN_IF_ERROR(ctx.Annotate(CheckOutputShape(shape)));
  ASSIGN_OR_RETURN(int64_t n, NumElements(shape));
  std::vector<double> v(n);
  const double a = normal ? ctx.GetFloat("mean", 0.0f) : ctx.GetFloat("low", 0.0f);
  const double b = normal ? ctx.GetFloat("scale", 1.0f) : ctx.GetFloat("high", 1.0f);
  if (normal ? b < 0 : b < a) return ctx.Invalid("scale < 0 or high < low");
  WithGenerator(ctx, [&](std::mt19937_64& gen) {
    if (normal) {
      std::normal_distribution<double> dist(a, b);
      for (double& x : v) x = dist(gen);
    } else {
      std::uniform_real_distribution<double> dist(a, b);
      for (double& x : v) x = dist(gen);
    }
  });
  ASSIGN_OR_RETURN(Tensor t, WriteAs<double>(dtype, shape, v));
  ctx.SetOutput(0, std::move(t));
  return absl::OkStatus();
}

}  // namespace

absl::Status RandomNormalKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(DType t, OutputType(ctx, DType::kF32));
  return Fill(ctx, ctx.GetInts("shape", {}), t, /*normal=*/true);
}

absl::Status RandomUniformKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(DType t, OutputType(ctx, DType::kF32));
  return Fill(ctx, ctx.GetInts("shape", {}), t, /*normal=*/false);
}

absl::Status RandomNormalLikeKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(DType t, OutputType(ctx, x->dtype()));
  return Fill(ctx, x->shape(), t, /*normal=*/true);
}

absl::Status RandomUniformLikeKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(DType t, OutputType(ctx, x->dtype()));
  return Fill(ctx, x->shape(), t, /*normal=*/false);
}

absl::Status BernoulliKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* p, ctx.Input(0));
  ASSIGN_OR_RETURN(DType t, OutputType(ctx, p->dtype()));
  ASSIGN_OR_RETURN(std::vector<double> pv, ReadAs<double>(*p));
  for (double x : pv) {
    if (!(x >= 0 && x <= 1)) {
      return ctx.Invalid(absl::StrCat("probability ", x, " is outside [0, 1]"));
    }
  }
  std::vector<double> y(pv.size());
  WithGenerator(ctx, [&](std::mt19937_64& gen) {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (size_t i = 0; i < pv.size(); ++i) y[i] = u(gen) < pv[i] ? 1.0 : 0.0;
  });
  ASSIGN_OR_RETURN(Tensor out, WriteAs<double>(t, p->shape(), y));
  ctx.SetOutput(0, std::move(out));
  return absl::OkStatus();
}

absl::Status MultinomialKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  if (x->rank() != 2) return ctx.Invalid("input must be [batch, classes] log-probabilities");
  ASSIGN_OR_RETURN(DType t, OutputType(ctx, DType::kI32));
  if (t != DType::kI32 && t != DType::kI64) return ctx.Invalid("dtype must be int32 or int64");
  const int64_t batch = x->shape()[0], classes = x->shape()[1];
  const int64_t samples = ctx.GetInt("sample_size", 1);
  if (samples < 0 || classes < 1) return ctx.Invalid("needs sample_size >= 0 and a class");
  const Shape out = {batch, samples};
  RETURN_IF_ERROR(ctx.Annotate(CheckOutputShape(out)));
  ASSIGN_OR_RETURN(std::vector<double> logits, ReadAs<double>(*x));
  std::vector<int64_t> y(batch * samples);
  WithGenerator(ctx, [&](std::mt19937_64& gen) {
    for (int64_t b = 0; b < batch; ++b) {
      std::vector<double> w(classes);
      double mx = logits[b * classes];
      for (int64_t c = 0; c < classes; ++c) mx = std::max(mx, logits[b * classes + c]);
      for (int64_t c = 0; c < classes; ++c) w[c] = std::exp(logits[b * classes + c] - mx);
      std::discrete_distribution<int64_t> dist(w.begin(), w.end());
      for (int64_t s = 0; s < samples; ++s) y[b * samples + s] = dist(gen);
    }
  });
  ASSIGN_OR_RETURN(Tensor o, WriteAs<int64_t>(t, out, y));
  ctx.SetOutput(0, std::move(o));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
