// Reductions, arg-reductions, softmax family, normalizations and CumSum (reference kernels).
// Accumulation is in double.
#include <cmath>
#include <limits>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/light_kernels.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace {

KernelDef Def(const char* op, int since, int until, KernelFn fn) {
  return KernelDef{"", op, since, until, std::move(fn)};
}

absl::Status Wrap(const KernelContext& ctx, const absl::Status& s) {
  if (s.ok()) return s;
  return ctx.Error(s.code(), s.message());
}

// The axes of a reduction: attribute before `axes_input_since`, optional input 1 after.
// Empty result with reduce_all=true means every axis.
absl::StatusOr<std::vector<bool>> ReducedAxes(const KernelContext& ctx, int rank,
                                              int axes_input_since, bool* noop) {
  std::vector<int64_t> axes;
  if (ctx.opset() >= axes_input_since) {
    if (const Tensor* a = ctx.OptionalInput(1)) {
      ASSIGN_OR_RETURN(axes, ReadInts(*a));
    }
  } else {
    axes = ctx.GetInts("axes", {});
  }
  std::vector<bool> reduced(rank, false);
  *noop = false;
  if (axes.empty()) {
    if (ctx.opset() >= axes_input_since && ctx.GetInt("noop_with_empty_axes", 0) != 0) {
      *noop = true;
      return reduced;
    }
    reduced.assign(rank, true);
    return reduced;
  }
  for (int64_t a : axes) {
    ASSIGN_OR_RETURN(int ax, NormalizeAxis(a, rank));
    reduced[ax] = true;
  }
  return reduced;
}

enum class Red { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kSumSquare, kLogSum, kLogSumExp };

absl::Status Reduce(KernelContext& ctx, Red kind, int axes_input_since) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  const int rank = x->rank();
  bool noop = false;
  absl::StatusOr<std::vector<bool>> red_or = ReducedAxes(ctx, rank, axes_input_since, &noop);
  RETURN_IF_ERROR(Wrap(ctx, red_or.status()));
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

KernelFn ReduceFn(Red kind, int axes_input_since) {
  return [kind, axes_input_since](KernelContext& ctx) { return Reduce(ctx, kind, axes_input_since); };
}

absl::Status ArgReduce(KernelContext& ctx, bool is_max) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  const int rank = x->rank();
  absl::StatusOr<int> axis_or = NormalizeAxis(ctx.GetInt("axis", 0), rank);
  RETURN_IF_ERROR(Wrap(ctx, axis_or.status()));
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

enum class SoftKind { kSoftmax, kLogSoftmax, kHardmax };

// Opset < 13: the input is coerced to 2-D [prod(dims < axis), prod(dims >= axis)] (axis default
// 1); from 13 the normalization runs along the single axis (default -1).
absl::Status SoftmaxFamily(KernelContext& ctx, SoftKind kind) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  const int rank = x->rank();
  const bool legacy = ctx.opset() < 13;
  absl::StatusOr<int> axis_or = NormalizeAxis(ctx.GetInt("axis", legacy ? 1 : -1), rank);
  RETURN_IF_ERROR(Wrap(ctx, axis_or.status()));
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

KernelFn SoftFn(SoftKind kind) {
  return [kind](KernelContext& ctx) { return SoftmaxFamily(ctx, kind); };
}

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

absl::Status LayerNormKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* scale, ctx.Input(1));
  const Tensor* bias = ctx.OptionalInput(2);
  const int rank = x->rank();
  absl::StatusOr<int> axis_or = NormalizeAxis(ctx.GetInt("axis", -1), rank);
  RETURN_IF_ERROR(Wrap(ctx, axis_or.status()));
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

absl::Status InstanceNormKernel(KernelContext& ctx) {
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

absl::Status BatchNormKernel(KernelContext& ctx) {
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

absl::Status CumSumKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* a, ctx.Input(1));
  ASSIGN_OR_RETURN(std::vector<int64_t> axes, ReadInts(*a));
  if (axes.size() != 1) {
    return ctx.Error(absl::StatusCode::kInvalidArgument,
                     absl::StrCat("axis has ", axes.size(), " values; expected a scalar"));
  }
  absl::StatusOr<int> axis_or = NormalizeAxis(axes[0], x->rank());
  RETURN_IF_ERROR(Wrap(ctx, axis_or.status()));
  const int axis = *axis_or;
  const bool exclusive = ctx.GetInt("exclusive", 0) != 0;
  const bool reverse = ctx.GetInt("reverse", 0) != 0;
  const Shape& s = x->shape();
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= s[i];
  for (int i = axis + 1; i < x->rank(); ++i) inner *= s[i];
  const int64_t n = s[axis];
  auto run = [&](auto& v) {
    using T = typename std::decay_t<decltype(v)>::value_type;
    std::vector<T> out(v.size());
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t in = 0; in < inner; ++in) {
        T acc = 0;
        for (int64_t step = 0; step < n; ++step) {
          const int64_t j = reverse ? n - 1 - step : step;
          const int64_t k = (o * n + j) * inner + in;
          if (exclusive) { out[k] = acc; acc += v[k]; }
          else { acc += v[k]; out[k] = acc; }
        }
      }
    return out;
  };
  if (IsFloating(x->dtype())) {
    ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*x));
    ASSIGN_OR_RETURN(Tensor y, WriteAs<double>(x->dtype(), s, run(v)));
    ctx.SetOutput(0, std::move(y));
  } else {
    ASSIGN_OR_RETURN(std::vector<int64_t> v, ReadAs<int64_t>(*x));
    ASSIGN_OR_RETURN(Tensor y, WriteAs<int64_t>(x->dtype(), s, run(v)));
    ctx.SetOutput(0, std::move(y));
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<KernelDef> ReductionKernels() {
  const int M = kMaxKnownOpset;
  std::vector<KernelDef> k;
  k.push_back(Def("ReduceSum", 1, M, ReduceFn(Red::kSum, 13)));
  struct R { const char* name; Red kind; };
  for (R r : {R{"ReduceMean", Red::kMean}, R{"ReduceMax", Red::kMax}, R{"ReduceMin", Red::kMin},
              R{"ReduceProd", Red::kProd}, R{"ReduceL1", Red::kL1}, R{"ReduceL2", Red::kL2},
              R{"ReduceSumSquare", Red::kSumSquare}, R{"ReduceLogSum", Red::kLogSum},
              R{"ReduceLogSumExp", Red::kLogSumExp}}) {
    k.push_back(Def(r.name, 1, M, ReduceFn(r.kind, 18)));
  }
  k.push_back(Def("ArgMax", 1, M, [](KernelContext& c) { return ArgReduce(c, true); }));
  k.push_back(Def("ArgMin", 1, M, [](KernelContext& c) { return ArgReduce(c, false); }));
  k.push_back(Def("Softmax", 1, M, SoftFn(SoftKind::kSoftmax)));
  k.push_back(Def("LogSoftmax", 1, M, SoftFn(SoftKind::kLogSoftmax)));
  k.push_back(Def("Hardmax", 1, M, SoftFn(SoftKind::kHardmax)));
  k.push_back(Def("LayerNormalization", 17, M, LayerNormKernel));
  k.push_back(Def("InstanceNormalization", 6, M, InstanceNormKernel));
  k.push_back(Def("BatchNormalization", 6, M, BatchNormKernel));
  k.push_back(Def("CumSum", 11, M, CumSumKernel));
  return k;
}

}  // namespace rt
}  // namespace tp
