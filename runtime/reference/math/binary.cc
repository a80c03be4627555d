// Element-wise binary and variadic reference kernels with NumPy broadcasting: arithmetic (Add, Sub,
// Mul, Div, Pow, Mod, PRelu, Max, Min, Sum, Mean), comparisons and logic (bool results), BitShift
// and Where. Before opset 7, `broadcast=1` with `axis` is honoured.
//
// Floating types compute in double and round once to the output type; integer types compute in
// int64.
#include <algorithm>
#include <cmath>
#include <cstring>
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

absl::Status Unsupported(const KernelContext& ctx, DType t) {
  return ctx.Error(absl::StatusCode::kUnimplemented,
                   absl::StrCat("element type ", DTypeName(t), " is not supported"));
}

// Per-element functions of a variadic op: `fd` folds floating inputs, `fi` integer ones.
using D2 = std::function<double(double, double)>;
using I2 = std::function<int64_t(int64_t, int64_t)>;
// For u64, where signed and unsigned arithmetic differ (divide, modulo, min, max).
using U2 = std::function<uint64_t(uint64_t, uint64_t)>;

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

// Variadic broadcasting op over all inputs; `mean` divides the floating sum by the count.
absl::Status BroadcastFold(KernelContext& ctx, const D2& fd, const I2& fi, bool mean = false,
                           const U2& fu = nullptr) {
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
    for (int64_t j = 0; j < n; ++j) {
      if (k == 0) {
        acc[j] = v[idx[j]];
      } else if (dtype == DType::kU64 && fu) {
        acc[j] = static_cast<int64_t>(
            fu(static_cast<uint64_t>(acc[j]), static_cast<uint64_t>(v[idx[j]])));
      } else {
        acc[j] = fi(acc[j], v[idx[j]]);
      }
    }
  }
  if (mean) for (int64_t& a : acc) a /= static_cast<int64_t>(ins.size());
  ASSIGN_OR_RETURN(Tensor y, WriteAs<int64_t>(dtype, out, acc));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
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

// Comparisons and logic produce bool.
using Cmp = std::function<bool(double, double)>;
using ICmp = std::function<bool(int64_t, int64_t)>;
using UCmp = std::function<bool(uint64_t, uint64_t)>;

absl::Status Compare(KernelContext& ctx, const Cmp& fd, const ICmp& fi, const UCmp& fu = nullptr) {
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
    const bool unsigned64 = fu && a->dtype() == DType::kU64 && b->dtype() == DType::kU64;
    for (size_t k = 0; k < ia.size(); ++k) {
      p[k] = unsigned64 ? fu(static_cast<uint64_t>(va[ia[k]]), static_cast<uint64_t>(vb[ib[k]]))
                        : fi(va[ia[k]], vb[ib[k]]);
    }
  }
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

double Nan() { return std::numeric_limits<double>::quiet_NaN(); }

double MaxD(double a, double b) { return (std::isnan(a) || std::isnan(b)) ? Nan() : std::max(a, b); }

double MinD(double a, double b) { return (std::isnan(a) || std::isnan(b)) ? Nan() : std::min(a, b); }

}  // namespace

absl::Status AddKernel(KernelContext& ctx) {
  return BroadcastFold(ctx, [](double a, double b) { return a + b; },
                       [](int64_t a, int64_t b) { return a + b; });
}
absl::Status SubKernel(KernelContext& ctx) {
  return BroadcastFold(ctx, [](double a, double b) { return a - b; },
                       [](int64_t a, int64_t b) { return a - b; });
}
absl::Status MulKernel(KernelContext& ctx) {
  return BroadcastFold(ctx, [](double a, double b) { return a * b; },
                       [](int64_t a, int64_t b) { return a * b; });
}
// Integer division truncates toward zero (C, ONNX Runtime); by zero gives 0 instead of a trap.
absl::Status DivKernel(KernelContext& ctx) {
  return BroadcastFold(ctx, [](double a, double b) { return a / b; },
                       [](int64_t a, int64_t b) -> int64_t { return b == 0 ? 0 : a / b; }, false,
                       [](uint64_t a, uint64_t b) -> uint64_t { return b == 0 ? 0 : a / b; });
}
absl::Status MaxKernel(KernelContext& ctx) {
  return BroadcastFold(ctx, MaxD, [](int64_t a, int64_t b) { return std::max(a, b); }, false,
                       [](uint64_t a, uint64_t b) { return std::max(a, b); });
}
absl::Status MinKernel(KernelContext& ctx) {
  return BroadcastFold(ctx, MinD, [](int64_t a, int64_t b) { return std::min(a, b); }, false,
                       [](uint64_t a, uint64_t b) { return std::min(a, b); });
}
absl::Status SumKernel(KernelContext& ctx) {
  return BroadcastFold(ctx, [](double a, double b) { return a + b; },
                       [](int64_t a, int64_t b) { return a + b; });
}
absl::Status MeanKernel(KernelContext& ctx) {
  return BroadcastFold(ctx, [](double a, double b) { return a + b; }, nullptr, /*mean=*/true);
}

absl::Status ModKernel(KernelContext& ctx) {
  const bool fmod = ctx.GetInt("fmod", 0) != 0;
  return BroadcastFold(
      ctx,
      [fmod](double a, double b) { return fmod ? std::fmod(a, b) : PyFMod(a, b); },
      [fmod](int64_t a, int64_t b) -> int64_t {
        if (b == 0) return 0;
        return fmod ? a % b : PyMod(a, b);
      },
      false, [](uint64_t a, uint64_t b) -> uint64_t { return b == 0 ? 0 : a % b; });
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

absl::Status EqualKernel(KernelContext& ctx) {
  return Compare(ctx, [](double a, double b) { return a == b; },
                 [](int64_t a, int64_t b) { return a == b; });
}
absl::Status LessKernel(KernelContext& ctx) {
  return Compare(ctx, [](double a, double b) { return a < b; },
                 [](int64_t a, int64_t b) { return a < b; },
                 [](uint64_t a, uint64_t b) { return a < b; });
}
absl::Status GreaterKernel(KernelContext& ctx) {
  return Compare(ctx, [](double a, double b) { return a > b; },
                 [](int64_t a, int64_t b) { return a > b; },
                 [](uint64_t a, uint64_t b) { return a > b; });
}
absl::Status LessOrEqualKernel(KernelContext& ctx) {
  return Compare(ctx, [](double a, double b) { return a <= b; },
                 [](int64_t a, int64_t b) { return a <= b; },
                 [](uint64_t a, uint64_t b) { return a <= b; });
}
absl::Status GreaterOrEqualKernel(KernelContext& ctx) {
  return Compare(ctx, [](double a, double b) { return a >= b; },
                 [](int64_t a, int64_t b) { return a >= b; },
                 [](uint64_t a, uint64_t b) { return a >= b; });
}
absl::Status AndKernel(KernelContext& ctx) {
  return Compare(ctx, [](double a, double b) { return a != 0 && b != 0; },
                 [](int64_t a, int64_t b) { return a != 0 && b != 0; });
}
absl::Status OrKernel(KernelContext& ctx) {
  return Compare(ctx, [](double a, double b) { return a != 0 || b != 0; },
                 [](int64_t a, int64_t b) { return a != 0 || b != 0; });
}
absl::Status XorKernel(KernelContext& ctx) {
  return Compare(ctx, [](double a, double b) { return (a != 0) != (b != 0); },
                 [](int64_t a, int64_t b) { return (a != 0) != (b != 0); });
}

// Unsigned types only (the spec's); a shift by the type's width or more gives 0.
absl::Status BitShiftKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* a, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* b, ctx.Input(1));
  const DType t = a->dtype();
  if (t != DType::kU8 && t != DType::kU16 && t != DType::kU32 && t != DType::kU64) {
    return ctx.Error(absl::StatusCode::kUnimplemented,
                     absl::StrCat("element type ", DTypeName(t), "; expected u8, u16, u32 or u64"));
  }
  if (b->dtype() != t) {
    return ctx.Invalid(absl::StrCat("Y is ", DTypeName(b->dtype()), ", X ", DTypeName(t),
                                    "; expected one type"));
  }
  const int bits = 8 * ElementSize(t);
  const uint64_t mask = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  const bool left = ctx.GetString("direction", "") == "LEFT";
  absl::StatusOr<Shape> out = BroadcastShapes({a->shape(), b->shape()});
  RETURN_IF_ERROR(ctx.Annotate(out.status()));
  ASSIGN_OR_RETURN(std::vector<int64_t> va, ReadAs<int64_t>(*a));
  ASSIGN_OR_RETURN(std::vector<int64_t> vb, ReadAs<int64_t>(*b));
  std::vector<int64_t> ia = BroadcastIndex(a->shape(), *out), ib = BroadcastIndex(b->shape(), *out);
  std::vector<int64_t> y(ia.size());
  for (size_t k = 0; k < y.size(); ++k) {
    const uint64_t x = static_cast<uint64_t>(va[ia[k]]), s = static_cast<uint64_t>(vb[ib[k]]);
    y[k] = static_cast<int64_t>(s >= static_cast<uint64_t>(bits) ? 0
                                                                   : ((left ? x << s : x >> s) & mask));
  }
  ASSIGN_OR_RETURN(Tensor r, WriteAs<int64_t>(t, *out, y));
  ctx.SetOutput(0, std::move(r));
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

}  // namespace ref
}  // namespace rt
}  // namespace tp
