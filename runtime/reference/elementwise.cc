// Element-wise reference kernels: unary math and activations, broadcasting binary and variadic
// arithmetic, comparisons, logic, Where, Clip, Cast, IsNaN/IsInf.
//
// Floating types compute in double and round once to the output type; integer and bool types
// compute in int64.
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/light_kernels.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace {

using DFn = std::function<double(double)>;
using IFn = std::function<int64_t(int64_t)>;

KernelDef Def(const char* op, int since, int until, KernelFn fn) {
  return KernelDef{"", op, since, until, std::move(fn)};
}

absl::Status Unsupported(const KernelContext& ctx, DType t) {
  return ctx.Error(absl::StatusCode::kUnimplemented,
                   absl::StrCat("element type ", DTypeName(t), " is not supported"));
}

// make_fn builds the per-element functions from the node's attributes.
KernelFn Unary(std::function<DFn(const KernelContext&)> make_fn,
               std::function<IFn(const KernelContext&)> make_int = nullptr) {
  return [make_fn, make_int](KernelContext& ctx) -> absl::Status {
    ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
    if (x->dtype() == DType::kF32 && x->is_packed()) {
      // Same arithmetic as below (double per element, one rounding), without the copies.
      DFn f = make_fn(ctx);
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
      DFn f = make_fn(ctx);
      ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*x));
      for (double& e : v) e = f(e);
      ASSIGN_OR_RETURN(Tensor y, WriteAs<double>(x->dtype(), x->shape(), v));
      ctx.SetOutput(0, std::move(y));
      return absl::OkStatus();
    }
    if (make_int && IsIntegral(x->dtype())) {
      IFn f = make_int(ctx);
      ASSIGN_OR_RETURN(std::vector<int64_t> v, ReadAs<int64_t>(*x));
      for (int64_t& e : v) e = f(e);
      ASSIGN_OR_RETURN(Tensor y, WriteAs<int64_t>(x->dtype(), x->shape(), v));
      ctx.SetOutput(0, std::move(y));
      return absl::OkStatus();
    }
    return Unsupported(ctx, x->dtype());
  };
}

KernelFn Simple(double (*f)(double)) {
  return Unary([f](const KernelContext&) { return DFn(f); });
}

double Sigmoid(double x) { return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x)); }
double Softplus(double x) { return x > 30 ? x : std::log1p(std::exp(x)); }

// Variadic broadcasting op over all inputs: float path folds `fd`, int path folds `fi`.
// `finish_d` post-processes the float accumulation (Mean divides by the count).
using D2 = std::function<double(double, double)>;
using I2 = std::function<int64_t(int64_t, int64_t)>;

// f32 x f32 -> f32 with broadcasting, walking both inputs' offsets incrementally; the
// arithmetic is the same as the generic path (double per element, one rounding).
absl::Status BinaryF32(KernelContext& ctx, const D2& fd, const Tensor& a, const Tensor& b,
                       const Shape& out, int64_t n) {
  Tensor y = Tensor::Zeros(DType::kF32, out);
  const float* pa = a.data_as<float>();
  const float* pb = b.data_as<float>();
  float* py = y.mutable_data_as<float>();
  if (a.shape() == b.shape()) {
    for (int64_t i = 0; i < n; ++i) py[i] = static_cast<float>(fd(pa[i], pb[i]));
  } else if (b.num_elements() == 1) {
    const double vb = pb[0];
    for (int64_t i = 0; i < n; ++i) py[i] = static_cast<float>(fd(pa[i], vb));
  } else if (a.num_elements() == 1) {
    const double va = pa[0];
    for (int64_t i = 0; i < n; ++i) py[i] = static_cast<float>(fd(va, pb[i]));
  } else {
    const int rank = static_cast<int>(out.size());
    auto strides_in = [&](const Shape& s) {
      std::vector<int64_t> st = RowMajorStrides(s), r(rank, 0);
      const int off = rank - static_cast<int>(s.size());
      for (size_t i = 0; i < s.size(); ++i) r[off + i] = s[i] == 1 ? 0 : st[i];
      return r;
    };
    const std::vector<int64_t> sa = strides_in(a.shape()), sb = strides_in(b.shape());
    // Innermost dim as a tight loop, the rest by an odometer.
    const int64_t inner = rank == 0 ? 1 : out[rank - 1];
    const int64_t ia = rank == 0 ? 0 : sa[rank - 1], ib = rank == 0 ? 0 : sb[rank - 1];
    std::vector<int64_t> pos(rank, 0);
    int64_t oa = 0, ob = 0;
    for (int64_t row = 0; inner > 0 && row < n / inner; ++row) {
      float* dst = py + row * inner;
      for (int64_t j = 0; j < inner; ++j) {
        dst[j] = static_cast<float>(fd(pa[oa + j * ia], pb[ob + j * ib]));
      }
      for (int d = rank - 2; d >= 0; --d) {
        if (++pos[d] < out[d]) {
          oa += sa[d];
          ob += sb[d];
          break;
        }
        oa -= sa[d] * (out[d] - 1);
        ob -= sb[d] * (out[d] - 1);
        pos[d] = 0;
      }
    }
  }
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status BroadcastFold(KernelContext& ctx, const D2& fd, const I2& fi, bool mean = false) {
  std::vector<const Tensor*> ins;
  std::vector<Shape> shapes;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    ASSIGN_OR_RETURN(const Tensor* t, ctx.Input(i));
    ins.push_back(t);
    shapes.push_back(t->shape());
  }
  // Before opset 7, binary ops broadcast B only with broadcast=1, aligned at `axis` (default:
  // trailing, as NumPy). Padding B's shape with trailing 1s turns that into NumPy broadcasting.
  Tensor legacy_b;
  if (ctx.opset() < 7 && ins.size() == 2 && ctx.GetInt("broadcast", 0) != 0 &&
      ctx.Attr("axis") != nullptr) {
    const int rank_a = ins[0]->rank();
    absl::StatusOr<int> axis = NormalizeAxis(ctx.GetInt("axis", 0), rank_a);
    if (!axis.ok()) return ctx.Error(absl::StatusCode::kInvalidArgument, axis.status().message());
    Shape b = ins[1]->shape();
    while (static_cast<int>(b.size()) + *axis < rank_a) b.push_back(1);
    ASSIGN_OR_RETURN(legacy_b, ins[1]->Reshaped(b));
    ins[1] = &legacy_b;
    shapes[1] = b;
  }
  // PRelu-6: a 1-D slope of C values applies per channel (dim 1).
  if (ctx.opset() < 7 && ctx.node().op_type() == "PRelu" && ins.size() == 2 &&
      ins[1]->rank() == 1 && ins[0]->rank() >= 2 && ins[1]->shape()[0] == ins[0]->shape()[1] &&
      ins[1]->shape()[0] != ins[0]->shape().back()) {
    Shape b(ins[0]->rank() - 1, 1);
    b[0] = ins[1]->shape()[0];
    ASSIGN_OR_RETURN(legacy_b, ins[1]->Reshaped(b));
    ins[1] = &legacy_b;
    shapes[1] = b;
  }
  if (ins.empty()) return ctx.Error(absl::StatusCode::kInvalidArgument, "no inputs");
  absl::StatusOr<Shape> out_or = BroadcastShapes(shapes);
  if (!out_or.ok()) return ctx.Error(absl::StatusCode::kInvalidArgument, out_or.status().message());
  const Shape& out = *out_or;
  const DType dtype = ins[0]->dtype();
  for (const Tensor* t : ins) {
    if (t->dtype() != dtype) {
      return ctx.Error(absl::StatusCode::kInvalidArgument,
                       absl::StrCat("inputs have element types ", DTypeName(dtype), " and ",
                                    DTypeName(t->dtype()), "; expected one type"));
    }
  }
  ASSIGN_OR_RETURN(int64_t n, NumElements(out));
  if (dtype == DType::kF32 && ins.size() == 2 && !mean && ins[0]->is_packed() &&
      ins[1]->is_packed()) {
    return BinaryF32(ctx, fd, *ins[0], *ins[1], out, n);
  }
  if (IsFloating(dtype)) {
    std::vector<double> acc(n);
    for (size_t k = 0; k < ins.size(); ++k) {
      ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*ins[k]));
      std::vector<int64_t> idx = BroadcastIndex(ins[k]->shape(), out);
      for (int64_t j = 0; j < n; ++j) acc[j] = k == 0 ? v[idx[j]] : fd(acc[j], v[idx[j]]);
    }
    if (mean) for (double& a : acc) a /= static_cast<double>(ins.size());
    ASSIGN_OR_RETURN(Tensor y, WriteAs<double>(dtype, out, acc));
    ctx.SetOutput(0, std::move(y));
    return absl::OkStatus();
  }
  if (!fi || !IsIntegral(dtype)) return Unsupported(ctx, dtype);
  std::vector<int64_t> acc(n);
  for (size_t k = 0; k < ins.size(); ++k) {
    ASSIGN_OR_RETURN(std::vector<int64_t> v, ReadAs<int64_t>(*ins[k]));
    std::vector<int64_t> idx = BroadcastIndex(ins[k]->shape(), out);
    for (int64_t j = 0; j < n; ++j) acc[j] = k == 0 ? v[idx[j]] : fi(acc[j], v[idx[j]]);
  }
  if (mean) for (int64_t& a : acc) a /= static_cast<int64_t>(ins.size());
  ASSIGN_OR_RETURN(Tensor y, WriteAs<int64_t>(dtype, out, acc));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

KernelFn Fold(D2 fd, I2 fi, bool mean = false) {
  return [fd, fi, mean](KernelContext& ctx) { return BroadcastFold(ctx, fd, fi, mean); };
}

int64_t PyMod(int64_t a, int64_t b) {
  if (b == 0) return 0;
  int64_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

double PyFMod(double a, double b) {
  double r = std::fmod(a, b);
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

absl::Status ModKernel(KernelContext& ctx) {
  const bool fmod = ctx.GetInt("fmod", 0) != 0;
  return BroadcastFold(
      ctx,
      [fmod](double a, double b) { return fmod ? std::fmod(a, b) : PyFMod(a, b); },
      [fmod](int64_t a, int64_t b) -> int64_t {
        if (b == 0) return 0;
        return fmod ? a % b : PyMod(a, b);
      });
}

// Pow: the result has the base's type; the exponent may have another type.
absl::Status PowKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* e, ctx.Input(1));
  absl::StatusOr<Shape> out_or = BroadcastShapes({x->shape(), e->shape()});
  if (!out_or.ok()) return ctx.Error(absl::StatusCode::kInvalidArgument, out_or.status().message());
  ASSIGN_OR_RETURN(std::vector<double> vx, ReadAs<double>(*x));
  ASSIGN_OR_RETURN(std::vector<double> ve, ReadAs<double>(*e));
  std::vector<int64_t> ix = BroadcastIndex(x->shape(), *out_or);
  std::vector<int64_t> ie = BroadcastIndex(e->shape(), *out_or);
  std::vector<double> y(ix.size());
  for (size_t k = 0; k < y.size(); ++k) y[k] = std::pow(vx[ix[k]], ve[ie[k]]);
  if (IsIntegral(x->dtype())) {
    std::vector<int64_t> yi(y.size());
    for (size_t k = 0; k < y.size(); ++k) yi[k] = static_cast<int64_t>(y[k]);
    ASSIGN_OR_RETURN(Tensor t, WriteAs<int64_t>(x->dtype(), *out_or, yi));
    ctx.SetOutput(0, std::move(t));
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(Tensor t, WriteAs<double>(x->dtype(), *out_or, y));
  ctx.SetOutput(0, std::move(t));
  return absl::OkStatus();
}

// PRelu: slope broadcasts to X.
absl::Status PReluKernel(KernelContext& ctx) {
  return BroadcastFold(
      ctx, [](double x, double s) { return x < 0 ? x * s : x; },
      [](int64_t x, int64_t s) { return x < 0 ? x * s : x; });
}

// Comparisons and logic produce bool.
using Cmp = std::function<bool(double, double)>;
using ICmp = std::function<bool(int64_t, int64_t)>;

absl::Status Compare(KernelContext& ctx, const Cmp& fd, const ICmp& fi) {
  ASSIGN_OR_RETURN(const Tensor* a, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* b, ctx.Input(1));
  absl::StatusOr<Shape> out_or = BroadcastShapes({a->shape(), b->shape()});
  if (!out_or.ok()) return ctx.Error(absl::StatusCode::kInvalidArgument, out_or.status().message());
  std::vector<int64_t> ia = BroadcastIndex(a->shape(), *out_or);
  std::vector<int64_t> ib = BroadcastIndex(b->shape(), *out_or);
  Tensor y = Tensor::Zeros(DType::kBool, *out_or);
  uint8_t* p = y.mutable_data();
  if (IsFloating(a->dtype()) || IsFloating(b->dtype())) {
    ASSIGN_OR_RETURN(std::vector<double> va, ReadAs<double>(*a));
    ASSIGN_OR_RETURN(std::vector<double> vb, ReadAs<double>(*b));
    for (size_t k = 0; k < ia.size(); ++k) p[k] = fd(va[ia[k]], vb[ib[k]]);
  } else {
    ASSIGN_OR_RETURN(std::vector<int64_t> va, ReadAs<int64_t>(*a));
    ASSIGN_OR_RETURN(std::vector<int64_t> vb, ReadAs<int64_t>(*b));
    for (size_t k = 0; k < ia.size(); ++k) p[k] = fi(va[ia[k]], vb[ib[k]]);
  }
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

template <typename Op>
KernelFn CompareFn(Op op) {
  return [op](KernelContext& ctx) {
    return Compare(ctx, [op](double a, double b) { return op(a, b); },
                   [op](int64_t a, int64_t b) { return op(a, b); });
  };
}

absl::Status NotKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(std::vector<int64_t> v, ReadAs<int64_t>(*x));
  Tensor y = Tensor::Zeros(DType::kBool, x->shape());
  for (size_t k = 0; k < v.size(); ++k) y.mutable_data()[k] = v[k] == 0;
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status WhereKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* c, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(1));
  ASSIGN_OR_RETURN(const Tensor* y, ctx.Input(2));
  if (x->dtype() != y->dtype()) {
    return ctx.Error(absl::StatusCode::kInvalidArgument,
                     absl::StrCat("X is ", DTypeName(x->dtype()), " and Y is ",
                                  DTypeName(y->dtype()), "; expected one type"));
  }
  absl::StatusOr<Shape> out_or = BroadcastShapes({c->shape(), x->shape(), y->shape()});
  if (!out_or.ok()) return ctx.Error(absl::StatusCode::kInvalidArgument, out_or.status().message());
  ASSIGN_OR_RETURN(std::vector<int64_t> vc, ReadAs<int64_t>(*c));
  ASSIGN_OR_RETURN(Tensor px, x->Contiguous());
  ASSIGN_OR_RETURN(Tensor py, y->Contiguous());
  std::vector<int64_t> ic = BroadcastIndex(c->shape(), *out_or);
  std::vector<int64_t> ix = BroadcastIndex(x->shape(), *out_or);
  std::vector<int64_t> iy = BroadcastIndex(y->shape(), *out_or);
  Tensor out = Tensor::Zeros(x->dtype(), *out_or);
  const int es = ElementSize(x->dtype());
  for (size_t k = 0; k < ic.size(); ++k) {
    const uint8_t* src = vc[ic[k]] ? px.data() + ix[k] * es : py.data() + iy[k] * es;
    std::memcpy(out.mutable_data() + k * es, src, es);
  }
  ctx.SetOutput(0, std::move(out));
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

absl::Status CastKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  absl::StatusOr<DType> to = DTypeFromOnnx(static_cast<int>(ctx.GetInt("to", 0)));
  if (!to.ok()) return ctx.Error(to.status().code(), to.status().message());
  ASSIGN_OR_RETURN(Tensor y, Cast(*x, *to));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status CastLikeKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* like, ctx.Input(1));
  ASSIGN_OR_RETURN(Tensor y, Cast(*x, like->dtype()));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

KernelFn FloatPredicate(std::function<std::function<bool(double)>(const KernelContext&)> make) {
  return [make](KernelContext& ctx) -> absl::Status {
    ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
    auto f = make(ctx);
    ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*x));
    Tensor y = Tensor::Zeros(DType::kBool, x->shape());
    for (size_t k = 0; k < v.size(); ++k) y.mutable_data()[k] = f(v[k]);
    ctx.SetOutput(0, std::move(y));
    return absl::OkStatus();
  };
}

double Nan() { return std::numeric_limits<double>::quiet_NaN(); }

double MaxD(double a, double b) { return (std::isnan(a) || std::isnan(b)) ? Nan() : std::max(a, b); }
double MinD(double a, double b) { return (std::isnan(a) || std::isnan(b)) ? Nan() : std::min(a, b); }

}  // namespace

std::vector<KernelDef> ElementwiseKernels() {
  const int M = kMaxKnownOpset;
  std::vector<KernelDef> k;
  auto attr = [](const char* name, float def) {
    return [name, def](const KernelContext& c) { return static_cast<double>(c.GetFloat(name, def)); };
  };
  // Unary math.
  k.push_back(Def("Sqrt", 1, M, Simple([](double x) { return std::sqrt(x); })));
  k.push_back(Def("Reciprocal", 1, M, Simple([](double x) { return 1.0 / x; })));
  k.push_back(Def("Exp", 1, M, Simple([](double x) { return std::exp(x); })));
  k.push_back(Def("Log", 1, M, Simple([](double x) { return std::log(x); })));
  k.push_back(Def("Sin", 7, M, Simple([](double x) { return std::sin(x); })));
  k.push_back(Def("Cos", 7, M, Simple([](double x) { return std::cos(x); })));
  k.push_back(Def("Tan", 7, M, Simple([](double x) { return std::tan(x); })));
  k.push_back(Def("Asin", 7, M, Simple([](double x) { return std::asin(x); })));
  k.push_back(Def("Acos", 7, M, Simple([](double x) { return std::acos(x); })));
  k.push_back(Def("Atan", 7, M, Simple([](double x) { return std::atan(x); })));
  k.push_back(Def("Sinh", 9, M, Simple([](double x) { return std::sinh(x); })));
  k.push_back(Def("Cosh", 9, M, Simple([](double x) { return std::cosh(x); })));
  k.push_back(Def("Asinh", 9, M, Simple([](double x) { return std::asinh(x); })));
  k.push_back(Def("Acosh", 9, M, Simple([](double x) { return std::acosh(x); })));
  k.push_back(Def("Atanh", 9, M, Simple([](double x) { return std::atanh(x); })));
  k.push_back(Def("Tanh", 1, M, Simple([](double x) { return std::tanh(x); })));
  k.push_back(Def("Sigmoid", 1, M, Simple(Sigmoid)));
  k.push_back(Def("Erf", 9, M, Simple([](double x) { return std::erf(x); })));
  k.push_back(Def("Softplus", 1, M, Simple(Softplus)));
  k.push_back(Def("Softsign", 1, M, Simple([](double x) { return x / (1.0 + std::fabs(x)); })));
  k.push_back(Def("Floor", 1, M, Simple([](double x) { return std::floor(x); })));
  k.push_back(Def("Ceil", 1, M, Simple([](double x) { return std::ceil(x); })));
  k.push_back(Def("Round", 11, M, Simple([](double x) { return std::nearbyint(x); })));
  k.push_back(Def("HardSwish", 14, M, Simple([](double x) {
                    return x * std::max(0.0, std::min(1.0, x / 6.0 + 0.5));
                  })));
  k.push_back(Def("Neg", 1, M,
                  Unary([](const KernelContext&) { return DFn([](double x) { return -x; }); },
                        [](const KernelContext&) { return IFn([](int64_t x) { return -x; }); })));
  k.push_back(Def("Abs", 1, M,
                  Unary([](const KernelContext&) { return DFn([](double x) { return std::fabs(x); }); },
                        [](const KernelContext&) {
                          return IFn([](int64_t x) { return x < 0 ? -x : x; });
                        })));
  k.push_back(Def("Sign", 9, M,
                  Unary([](const KernelContext&) {
                          return DFn([](double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : x); });
                        },
                        [](const KernelContext&) {
                          return IFn([](int64_t x) -> int64_t { return x > 0 ? 1 : (x < 0 ? -1 : 0); });
                        })));
  k.push_back(Def("Relu", 1, M,
                  Unary([](const KernelContext&) { return DFn([](double x) { return x > 0 ? x : (x == 0 ? 0.0 : (std::isnan(x) ? x : 0.0)); }); },
                        [](const KernelContext&) {
                          return IFn([](int64_t x) -> int64_t { return x > 0 ? x : 0; });
                        })));
  // Activations with attributes.
  k.push_back(Def("LeakyRelu", 1, M, Unary([attr](const KernelContext& c) {
                    const double a = attr("alpha", 0.01f)(c);
                    return DFn([a](double x) { return x >= 0 ? x : a * x; });
                  })));
  k.push_back(Def("Elu", 1, M, Unary([attr](const KernelContext& c) {
                    const double a = attr("alpha", 1.0f)(c);
                    return DFn([a](double x) { return x >= 0 ? x : a * (std::exp(x) - 1.0); });
                  })));
  k.push_back(Def("Celu", 12, M, Unary([attr](const KernelContext& c) {
                    const double a = attr("alpha", 1.0f)(c);
                    return DFn([a](double x) {
                      return std::max(0.0, x) + std::min(0.0, a * (std::exp(x / a) - 1.0));
                    });
                  })));
  k.push_back(Def("Selu", 1, M, Unary([attr](const KernelContext& c) {
                    const double a = attr("alpha", 1.67326319217681884765625f)(c);
                    const double g = attr("gamma", 1.05070102214813232421875f)(c);
                    return DFn([a, g](double x) {
                      return x > 0 ? g * x : g * (a * std::exp(x) - a);
                    });
                  })));
  k.push_back(Def("HardSigmoid", 1, M, Unary([attr](const KernelContext& c) {
                    const double a = attr("alpha", 0.2f)(c);
                    const double b = attr("beta", 0.5f)(c);
                    return DFn([a, b](double x) { return std::max(0.0, std::min(1.0, a * x + b)); });
                  })));
  k.push_back(Def("ThresholdedRelu", 10, M, Unary([attr](const KernelContext& c) {
                    const double a = attr("alpha", 1.0f)(c);
                    return DFn([a](double x) { return x > a ? x : 0.0; });
                  })));
  k.push_back(Def("Gelu", 20, 20, Unary([](const KernelContext& c) {
                    const bool tanh = c.GetString("approximate", "none") == "tanh";
                    return DFn([tanh](double x) {
                      if (tanh) {
                        return 0.5 * x *
                               (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
                      }
                      return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
                    });
                  })));
  // Broadcasting arithmetic.
  k.push_back(Def("Add", 6, M, Fold([](double a, double b) { return a + b; },
                                    [](int64_t a, int64_t b) { return a + b; })));
  k.push_back(Def("Sub", 6, M, Fold([](double a, double b) { return a - b; },
                                    [](int64_t a, int64_t b) { return a - b; })));
  k.push_back(Def("Mul", 6, M, Fold([](double a, double b) { return a * b; },
                                    [](int64_t a, int64_t b) { return a * b; })));
  k.push_back(Def("Div", 6, M, Fold([](double a, double b) { return a / b; },
                                    [](int64_t a, int64_t b) -> int64_t { return b == 0 ? 0 : a / b; })));
  k.push_back(Def("Pow", 1, M, PowKernel));
  k.push_back(Def("Mod", 10, M, ModKernel));
  k.push_back(Def("PRelu", 6, M, PReluKernel));
  k.push_back(Def("Max", 6, M, Fold(MaxD, [](int64_t a, int64_t b) { return std::max(a, b); })));
  k.push_back(Def("Min", 6, M, Fold(MinD, [](int64_t a, int64_t b) { return std::min(a, b); })));
  k.push_back(Def("Sum", 6, M, Fold([](double a, double b) { return a + b; },
                                    [](int64_t a, int64_t b) { return a + b; })));
  k.push_back(Def("Mean", 8, M, Fold([](double a, double b) { return a + b; }, nullptr, true)));
  // Comparisons and logic.
  k.push_back(Def("Equal", 7, M, CompareFn([](auto a, auto b) { return a == b; })));
  k.push_back(Def("Less", 7, M, CompareFn([](auto a, auto b) { return a < b; })));
  k.push_back(Def("Greater", 7, M, CompareFn([](auto a, auto b) { return a > b; })));
  k.push_back(Def("LessOrEqual", 12, M, CompareFn([](auto a, auto b) { return a <= b; })));
  k.push_back(Def("GreaterOrEqual", 12, M, CompareFn([](auto a, auto b) { return a >= b; })));
  k.push_back(Def("And", 7, M, CompareFn([](auto a, auto b) { return a != 0 && b != 0; })));
  k.push_back(Def("Or", 7, M, CompareFn([](auto a, auto b) { return a != 0 || b != 0; })));
  k.push_back(Def("Xor", 7, M, CompareFn([](auto a, auto b) { return (a != 0) != (b != 0); })));
  k.push_back(Def("Not", 1, M, NotKernel));
  k.push_back(Def("Where", 9, M, WhereKernel));
  k.push_back(Def("Clip", 6, M, ClipKernel));
  k.push_back(Def("Cast", 6, M, CastKernel));
  k.push_back(Def("CastLike", 15, M, CastLikeKernel));
  k.push_back(Def("IsNaN", 9, M, FloatPredicate([](const KernelContext&) {
                    return std::function<bool(double)>([](double x) { return std::isnan(x); });
                  })));
  k.push_back(Def("IsInf", 10, M, FloatPredicate([](const KernelContext& c) {
                    const bool neg = c.GetInt("detect_negative", 1) != 0;
                    const bool pos = c.GetInt("detect_positive", 1) != 0;
                    return std::function<bool(double)>([neg, pos](double x) {
                      return std::isinf(x) && ((x > 0 && pos) || (x < 0 && neg));
                    });
                  })));
  return k;
}

}  // namespace rt
}  // namespace tp
