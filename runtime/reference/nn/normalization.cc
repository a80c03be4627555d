// Normalizations: LayerNormalization, InstanceNormalization, BatchNormalization (inference),
// LRN and MeanVarianceNormalization. Means and variances in double.

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/reference/util.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {
namespace {

// Reads an optional per-element parameter broadcast to `shape` (unidirectional).
absl::StatusOr<std::vector<double>> BroadcastParam(const KernelContext& ctx, const Tensor& p,
                                                   const Shape& shape) {
  absl::StatusOr<Shape> b = BroadcastShapes({p.shape(), shape});
  if (!b.ok() || *b != shape) {
    return ctx.Error(absl::StatusCode::kInvalidArgument,
                     absl::StrCat("parameter of shape ", ShapeToString(p.shape()),
                                  " does not broadcast to ", ShapeToString(shape)));
  }
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(p));
  std::vector<int64_t> idx = BroadcastIndex(p.shape(), shape);
  std::vector<double> out(idx.size());
  for (size_t k = 0; k < idx.size(); ++k) out[k] = v[idx[k]];
  return out;
}

// Per-channel parameter of length C.
absl::StatusOr<std::vector<double>> ChannelParam(const KernelContext& ctx, const Tensor& p,
                                                 int64_t c, absl::string_view what) {
  if (p.num_elements() != c) {
    return ctx.Error(absl::StatusCode::kInvalidArgument,
                     absl::StrCat(what, " has shape ", ShapeToString(p.shape()), "; expected [",
                                  c, "]"));
  }
  return ReadAs<double>(p);
}

}  // namespace

absl::Status LayerNormalizationKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* scale, ctx.Input(1));
  const Tensor* bias = ctx.OptionalInput(2);
  const int rank = x->rank();
  absl::StatusOr<int> axis_or = NormalizeAxis(ctx.GetInt("axis", -1), rank);
  RETURN_IF_ERROR(ctx.Annotate(axis_or.status()));
  const int axis = *axis_or;
  const double eps = ctx.GetFloat("epsilon", 1e-5f);
  const Shape& s = x->shape();
  int64_t outer = 1;
  Shape norm_shape(s.begin() + axis, s.end());
  for (int i = 0; i < axis; ++i) outer *= s[i];
  ASSIGN_OR_RETURN(int64_t n, NumElements(norm_shape));
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*x));
  ASSIGN_OR_RETURN(std::vector<double> g, BroadcastParam(ctx, *scale, norm_shape));
  std::vector<double> b(n, 0.0);
  if (bias != nullptr) {
    ASSIGN_OR_RETURN(b, BroadcastParam(ctx, *bias, norm_shape));
  }
  std::vector<double> means(outer), inv_std(outer);
  for (int64_t o = 0; o < outer; ++o) {
    double* row = v.data() + o * n;
    double mean = 0;
    for (int64_t j = 0; j < n; ++j) mean += row[j];
    mean /= static_cast<double>(n);
    double var = 0;
    for (int64_t j = 0; j < n; ++j) var += (row[j] - mean) * (row[j] - mean);
    var /= static_cast<double>(n);
    const double is = 1.0 / std::sqrt(var + eps);
    for (int64_t j = 0; j < n; ++j) row[j] = (row[j] - mean) * is * g[j] + b[j];
    means[o] = mean;
    inv_std[o] = is;
  }
  ASSIGN_OR_RETURN(Tensor y, WriteAs<double>(x->dtype(), s, v));
  ctx.SetOutput(0, std::move(y));
  Shape stat_shape = s;
  for (int i = axis; i < rank; ++i) stat_shape[i] = 1;
  ASSIGN_OR_RETURN(DType stash, DTypeFromOnnx(static_cast<int>(ctx.GetInt("stash_type", 1))));
  if (ctx.WantsOutput(1)) {
    ASSIGN_OR_RETURN(Tensor m, WriteAs<double>(stash, stat_shape, means));
    ctx.SetOutput(1, std::move(m));
  }
  if (ctx.WantsOutput(2)) {
    ASSIGN_OR_RETURN(Tensor m, WriteAs<double>(stash, stat_shape, inv_std));
    ctx.SetOutput(2, std::move(m));
  }
  return absl::OkStatus();
}

absl::Status InstanceNormalizationKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* scale, ctx.Input(1));
  ASSIGN_OR_RETURN(const Tensor* bias, ctx.Input(2));
  if (x->rank() < 2) {
    return ctx.Error(absl::StatusCode::kInvalidArgument,
                     absl::StrCat("input has shape ", ShapeToString(x->shape()),
                                  "; expected rank >= 2"));
  }
  const double eps = ctx.GetFloat("epsilon", 1e-5f);
  const int64_t N = x->shape()[0], C = x->shape()[1];
  const int64_t inner = C == 0 || N == 0 ? 0 : x->num_elements() / (N * C);
  ASSIGN_OR_RETURN(std::vector<double> g, ChannelParam(ctx, *scale, C, "scale"));
  ASSIGN_OR_RETURN(std::vector<double> b, ChannelParam(ctx, *bias, C, "B"));
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*x));
  for (int64_t nc = 0; nc < N * C; ++nc) {
    double* row = v.data() + nc * inner;
    double mean = 0, var = 0;
    for (int64_t j = 0; j < inner; ++j) mean += row[j];
    mean /= static_cast<double>(inner);
    for (int64_t j = 0; j < inner; ++j) var += (row[j] - mean) * (row[j] - mean);
    var /= static_cast<double>(inner);
    const double is = 1.0 / std::sqrt(var + eps);
    const int64_t c = nc % C;
    for (int64_t j = 0; j < inner; ++j) row[j] = (row[j] - mean) * is * g[c] + b[c];
  }
  ASSIGN_OR_RETURN(Tensor y, WriteAs<double>(x->dtype(), x->shape(), v));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status BatchNormalizationKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  const Tensor* p[4];
  for (int i = 0; i < 4; ++i) {
    ASSIGN_OR_RETURN(p[i], ctx.Input(i + 1));
  }
  if (x->rank() < 2) {
    return ctx.Error(absl::StatusCode::kInvalidArgument,
                     absl::StrCat("input has shape ", ShapeToString(x->shape()),
                                  "; expected rank >= 2"));
  }
  const double eps = ctx.GetFloat("epsilon", 1e-5f);
  const double momentum = ctx.GetFloat("momentum", 0.9f);
  const bool training = ctx.opset() >= 14 && ctx.GetInt("training_mode", 0) != 0;
  const int64_t N = x->shape()[0], C = x->shape()[1];
  const int64_t inner = C == 0 || N == 0 ? 0 : x->num_elements() / (N * C);
  static const char* kNames[] = {"scale", "B", "input_mean", "input_var"};
  std::vector<double> q[4];
  for (int i = 0; i < 4; ++i) {
    ASSIGN_OR_RETURN(q[i], ChannelParam(ctx, *p[i], C, kNames[i]));
  }
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*x));
  std::vector<double> mean = q[2], var = q[3];
  if (training) {
    for (int64_t c = 0; c < C; ++c) {
      double m = 0, s = 0;
      for (int64_t n = 0; n < N; ++n)
        for (int64_t j = 0; j < inner; ++j) m += v[(n * C + c) * inner + j];
      m /= static_cast<double>(N * inner);
      for (int64_t n = 0; n < N; ++n)
        for (int64_t j = 0; j < inner; ++j) {
          const double d = v[(n * C + c) * inner + j] - m;
          s += d * d;
        }
      mean[c] = m;
      var[c] = s / static_cast<double>(N * inner);
    }
  }
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t c = 0; c < C; ++c) {
      const double is = 1.0 / std::sqrt(var[c] + eps);
      double* row = v.data() + (n * C + c) * inner;
      for (int64_t j = 0; j < inner; ++j) row[j] = (row[j] - mean[c]) * is * q[0][c] + q[1][c];
    }
  }
  ASSIGN_OR_RETURN(Tensor y, WriteAs<double>(x->dtype(), x->shape(), v));
  ctx.SetOutput(0, std::move(y));
  if (training) {
    std::vector<double> rm(C), rv(C);
    for (int64_t c = 0; c < C; ++c) {
      rm[c] = q[2][c] * momentum + mean[c] * (1 - momentum);
      rv[c] = q[3][c] * momentum + var[c] * (1 - momentum);
    }
    if (ctx.WantsOutput(1)) {
      ASSIGN_OR_RETURN(Tensor t, WriteAs<double>(p[2]->dtype(), {C}, rm));
      ctx.SetOutput(1, std::move(t));
    }
    if (ctx.WantsOutput(2)) {
      ASSIGN_OR_RETURN(Tensor t, WriteAs<double>(p[3]->dtype(), {C}, rv));
      ctx.SetOutput(2, std::move(t));
    }
  } else if (ctx.num_outputs() > 1 && (ctx.WantsOutput(1) || ctx.WantsOutput(2))) {
    return ctx.Error(absl::StatusCode::kUnimplemented,
                     "running mean/var outputs requested outside training_mode");
  }
  return absl::OkStatus();
}

absl::Status LrnKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  const double alpha = ctx.GetFloat("alpha", 1e-4f), beta = ctx.GetFloat("beta", 0.75f),
               bias = ctx.GetFloat("bias", 1.0f);
  const int64_t size = ctx.GetInt("size", 1);
  if (x->rank() < 2) return ctx.Invalid("input must have rank >= 2");
  const int64_t N = x->shape()[0], C = x->shape()[1];
  const int64_t inner = N * C == 0 ? 0 : x->num_elements() / (N * C);
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*x));
  std::vector<double> y(v.size());
  const int64_t lo = (size - 1) / 2, hi = size - 1 - lo;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t j = 0; j < inner; ++j) {
        double sq = 0;
        for (int64_t cc = std::max<int64_t>(0, c - lo); cc <= std::min(C - 1, c + hi); ++cc) {
          const double e = v[(n * C + cc) * inner + j];
          sq += e * e;
        }
        const int64_t k = (n * C + c) * inner + j;
        y[k] = v[k] / std::pow(bias + alpha / size * sq, beta);
      }
  ASSIGN_OR_RETURN(Tensor t, WriteAs<double>(x->dtype(), x->shape(), y));
  ctx.SetOutput(0, std::move(t));
  return absl::OkStatus();
}

// (X - mean) / (sqrt(var) + 1e-9) over `axes` (default [0, 2, 3]), as the op's function body.
absl::Status MeanVarianceNormalizationKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  std::vector<int64_t> axes = ctx.GetInts("axes", {0, 2, 3});
  const int rank = x->rank();
  std::vector<bool> red(rank, false);
  for (int64_t a : axes) {
    absl::StatusOr<int> ax = NormalizeAxis(a, rank);
    RETURN_IF_ERROR(ctx.Annotate(ax.status()));
    red[*ax] = true;
  }
  Shape kept(rank);
  for (int i = 0; i < rank; ++i) kept[i] = red[i] ? 1 : x->shape()[i];
  ASSIGN_OR_RETURN(int64_t n_out, NumElements(kept));
  std::vector<int64_t> map = BroadcastIndex(kept, x->shape());
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*x));
  std::vector<double> sum(n_out, 0), sq(n_out, 0);
  std::vector<int64_t> cnt(n_out, 0);
  for (size_t k = 0; k < v.size(); ++k) {
    sum[map[k]] += v[k];
    sq[map[k]] += v[k] * v[k];
    ++cnt[map[k]];
  }
  for (size_t k = 0; k < v.size(); ++k) {
    const double m = sum[map[k]] / cnt[map[k]];
    const double var = sq[map[k]] / cnt[map[k]] - m * m;
    v[k] = (v[k] - m) / (std::sqrt(std::max(var, 0.0)) + 1e-9);
  }
  ASSIGN_OR_RETURN(Tensor y, WriteAs<double>(x->dtype(), x->shape(), v));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

// x / ||x||_p along `axis` (p 1 or 2; a zero norm gives 0).
absl::Status LpNormalizationKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  RETURN_IF_ERROR(CheckFloatInput(ctx, *x, "input"));
  const int64_t p = ctx.GetInt("p", 2);
  if (p != 1 && p != 2) return ctx.Invalid(absl::StrCat("attribute 'p' = ", p, ", expected 1 or 2"));
  absl::StatusOr<int> axis = NormalizeAxis(ctx.GetInt("axis", -1), x->rank());
  RETURN_IF_ERROR(ctx.Annotate(axis.status()));
  int64_t outer = 1, inner = 1;
  const int64_t n = x->shape()[*axis];
  for (int i = 0; i < *axis; ++i) outer *= x->shape()[i];
  for (int i = *axis + 1; i < x->rank(); ++i) inner *= x->shape()[i];
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*x));
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t in = 0; in < inner; ++in) {
      double norm = 0;
      for (int64_t j = 0; j < n; ++j) {
        const double e = v[(o * n + j) * inner + in];
        norm += p == 1 ? std::fabs(e) : e * e;
      }
      if (p == 2) norm = std::sqrt(norm);
      for (int64_t j = 0; j < n; ++j) {
        double& e = v[(o * n + j) * inner + in];
        e = norm == 0 ? 0.0 : e / norm;
      }
    }
  }
  ASSIGN_OR_RETURN(Tensor y, WriteAs<double>(x->dtype(), x->shape(), v));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
