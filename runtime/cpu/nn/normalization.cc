// Fast float32 normalizations: LayerNormalization (any axis, optional Mean / InvStdDev outputs),
// InstanceNormalization and BatchNormalization in inference form. Statistics are summed in float
// lanes flushed to double (vector_math.h SumOf) and the variance is taken around the mean (two
// passes), so long rows keep their precision; rows / (image, channel) planes are split across
// threads. BatchNormalization in training mode, the opset-6..8 `spatial = 0` form and other
// dtypes go to the reference kernel.
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "core/tensor.h"
#include "runtime/cpu/cpu_util.h"
#include "runtime/cpu/kernels.h"
#include "runtime/cpu/thread_pool.h"
#include "runtime/cpu/vector_math.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace cpu {
namespace {

// Mean and 1 / sqrt(variance + eps) of n floats.
void Moments(const float* x, int64_t n, double eps, float* mean, float* inv_std) {
  const double m = n > 0 ? SumOf(x, n) / static_cast<double>(n) : 0.0;
  double var = 0;
  {
    const float mf = static_cast<float>(m);
    float lanes[16] = {};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
      for (int j = 0; j < 16; ++j) {
        const float d = x[i + j] - mf;
        lanes[j] += d * d;
      }
    }
    for (int j = 0; j < 16; ++j) var += lanes[j];
    for (; i < n; ++i) var += (x[i] - mf) * (x[i] - mf);
  }
  var = n > 0 ? var / static_cast<double>(n) : 0.0;
  *mean = static_cast<float>(m);
  *inv_std = static_cast<float>(1.0 / std::sqrt(var + eps));
}

// A per-element parameter of `n` values (or one value broadcast); nullopt-like false when its
// size is neither.
bool ParamValues(const Tensor* t, int64_t n, std::vector<float>* out) {
  if (t == nullptr) {
    out->assign(n, 0.0f);
    return true;
  }
  absl::StatusOr<Tensor> c = t->Contiguous();
  if (!c.ok() || (c->num_elements() != n && c->num_elements() != 1)) return false;
  const float* p = c->data_as<float>();
  if (c->num_elements() == 1) {
    out->assign(n, p[0]);
  } else {
    out->assign(p, p + n);
  }
  return true;
}

}  // namespace

absl::Status LayerNormalizationKernel(KernelContext& ctx) {
  if (!AllF32(ctx, {0, 1, 2})) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(const Tensor* x_in, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* scale, ctx.Input(1));
  const int rank = x_in->rank();
  absl::StatusOr<int> axis_or = NormalizeAxis(ctx.GetInt("axis", -1), rank);
  if (!axis_or.ok()) return ReferenceFallback(ctx);  // the reference words the error
  const int axis = *axis_or;
  const Shape& s = x_in->shape();
  int64_t outer = 1, n = 1;
  for (int i = 0; i < axis; ++i) outer *= s[i];
  for (int i = axis; i < rank; ++i) n *= s[i];
  std::vector<float> g, b;
  if (!ParamValues(scale, n, &g) || !ParamValues(ctx.OptionalInput(2), n, &b)) {
    return ReferenceFallback(ctx);  // a broadcast shape the reference handles
  }
  const bool want_stats = ctx.WantsOutput(1) || ctx.WantsOutput(2);
  if (want_stats && ctx.GetInt("stash_type", 1) != 1) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(Tensor x, x_in->Contiguous());
  const double eps = ctx.GetFloat("epsilon", 1e-5f);
  Tensor y = Tensor::Uninitialized(DType::kF32, s);
  Shape stat_shape = s;
  for (int i = axis; i < rank; ++i) stat_shape[i] = 1;
  Tensor means = Tensor::Uninitialized(DType::kF32, stat_shape);
  Tensor inv = Tensor::Uninitialized(DType::kF32, stat_shape);
  const float* xp = x.data_as<float>();
  float* yp = y.mutable_data_as<float>();
  float* mp = means.mutable_data_as<float>();
  float* ip = inv.mutable_data_as<float>();
  const float* gp = g.data();
  const float* bp = b.data();
  ParallelFor(ThreadsFor(ctx, outer * n, Cost::kCheap), outer, [=](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o) {
      const float* row = xp + o * n;
      float* out = yp + o * n;
      float mean, is;
      Moments(row, n, eps, &mean, &is);
      for (int64_t j = 0; j < n; ++j) out[j] = (row[j] - mean) * is * gp[j] + bp[j];
      mp[o] = mean;
      ip[o] = is;
    }
  });
  ctx.SetOutput(0, std::move(y));
  if (ctx.WantsOutput(1)) ctx.SetOutput(1, std::move(means));
  if (ctx.WantsOutput(2)) ctx.SetOutput(2, std::move(inv));
  return absl::OkStatus();
}

absl::Status InstanceNormalizationKernel(KernelContext& ctx) {
  if (!AllF32(ctx, {0, 1, 2})) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(const Tensor* x_in, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* scale, ctx.Input(1));
  ASSIGN_OR_RETURN(const Tensor* bias, ctx.Input(2));
  if (x_in->rank() < 2) return ReferenceFallback(ctx);
  const int64_t batch = x_in->shape()[0], c = x_in->shape()[1];
  const int64_t inner = batch * c == 0 ? 0 : x_in->num_elements() / (batch * c);
  std::vector<float> g, b;
  if (scale->num_elements() != c || bias->num_elements() != c || !ParamValues(scale, c, &g) ||
      !ParamValues(bias, c, &b)) {
    return ReferenceFallback(ctx);
  }
  ASSIGN_OR_RETURN(Tensor x, x_in->Contiguous());
  const double eps = ctx.GetFloat("epsilon", 1e-5f);
  Tensor y = Tensor::Uninitialized(DType::kF32, x.shape());
  const float* xp = x.data_as<float>();
  float* yp = y.mutable_data_as<float>();
  const float* gp = g.data();
  const float* bp = b.data();
  ParallelFor(ThreadsFor(ctx, x.num_elements(), Cost::kCheap), batch * c,
              [=](int64_t p0, int64_t p1) {
                for (int64_t p = p0; p < p1; ++p) {
                  const float* plane = xp + p * inner;
                  float* out = yp + p * inner;
                  float mean, is;
                  Moments(plane, inner, eps, &mean, &is);
                  const float k = is * gp[p % c], off = bp[p % c] - mean * k;
                  for (int64_t j = 0; j < inner; ++j) out[j] = plane[j] * k + off;
                }
              });
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status BatchNormalizationKernel(KernelContext& ctx) {
  if (!AllF32(ctx, {0, 1, 2, 3, 4})) return ReferenceFallback(ctx);
  const bool training = ctx.opset() >= 14 && ctx.GetInt("training_mode", 0) != 0;
  const bool per_activation = ctx.opset() < 9 && ctx.GetInt("spatial", 1) == 0;
  bool extra_outputs = false;
  for (int i = 1; i < ctx.num_outputs(); ++i) extra_outputs = extra_outputs || ctx.WantsOutput(i);
  if (training || per_activation || extra_outputs) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(const Tensor* x_in, ctx.Input(0));
  if (x_in->rank() < 2) return ReferenceFallback(ctx);
  const int64_t batch = x_in->shape()[0], c = x_in->shape()[1];
  const int64_t inner = batch * c == 0 ? 0 : x_in->num_elements() / (batch * c);
  std::vector<float> q[4];
  for (int i = 0; i < 4; ++i) {
    ASSIGN_OR_RETURN(const Tensor* p, ctx.Input(i + 1));
    if (p->num_elements() != c || !ParamValues(p, c, &q[i])) return ReferenceFallback(ctx);
  }
  const double eps = ctx.GetFloat("epsilon", 1e-5f);
  std::vector<float> k(c), off(c);
  for (int64_t m = 0; m < c; ++m) {
    const double s = q[0][m] / std::sqrt(static_cast<double>(q[3][m]) + eps);
    k[m] = static_cast<float>(s);
    off[m] = static_cast<float>(q[1][m] - q[2][m] * s);
  }
  ASSIGN_OR_RETURN(Tensor x, x_in->Contiguous());
  Tensor y = Tensor::Uninitialized(DType::kF32, x.shape());
  const float* xp = x.data_as<float>();
  float* yp = y.mutable_data_as<float>();
  const float* kp = k.data();
  const float* op = off.data();
  ParallelFor(ThreadsFor(ctx, x.num_elements(), Cost::kCheap), batch * c,
              [=](int64_t p0, int64_t p1) {
                for (int64_t p = p0; p < p1; ++p) {
                  const float kk = kp[p % c], oo = op[p % c];
                  const float* src = xp + p * inner;
                  float* dst = yp + p * inner;
                  for (int64_t j = 0; j < inner; ++j) dst[j] = src[j] * kk + oo;
                }
              });
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace cpu
}  // namespace rt
}  // namespace tp
