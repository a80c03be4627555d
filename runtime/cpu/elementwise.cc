#include "runtime/cpu/elementwise.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "core/tensor.h"
#include "runtime/cpu/cpu_util.h"
#include "runtime/cpu/thread_pool.h"
#include "runtime/cpu/vector_math.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace cpu {
namespace {

// What one element costs: kCheap is a load, an add / multiply / compare and a store (memory
// bound: about 20 us for 256K floats here); kMath is a polynomial (exp, erf, tanh, pow), about
// ten times that.
enum class Cost { kCheap, kMath };

// Below these many output elements a second thread costs more than it saves. Handing a range to
// a sleeping worker and waiting for it costs tens of microseconds, more on a loaded machine: with
// a single threshold of 64K elements, the DiT block's [1, 500, 512] Add / Sub / Mul / Div /
// ReduceMean each ran 2-3x slower on 2 threads than on 1 (bench_runtime --profile).
constexpr int64_t kParallelCheap = 1 << 19;
constexpr int64_t kParallelMath = 1 << 16;

int ThreadsFor(const KernelContext& ctx, int64_t elements, Cost cost) {
  const int64_t threshold = cost == Cost::kMath ? kParallelMath : kParallelCheap;
  return elements >= threshold ? std::max(1, ctx.num_threads()) : 1;
}

// ---- Binary ops with broadcasting ----

enum class BinOp { kAdd, kSub, kMul, kDiv, kPow };

// y[i] = a[i * sa] op b[i * sb] for i < n, sa / sb in {0, 1}. One instantiation per op and
// stride pair keeps every inner loop simple enough to vectorize.
template <BinOp op, int sa, int sb>
void Row(const float* a, const float* b, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float x = a[i * sa], z = b[i * sb];
    if constexpr (op == BinOp::kAdd) y[i] = x + z;
    if constexpr (op == BinOp::kSub) y[i] = x - z;
    if constexpr (op == BinOp::kMul) y[i] = x * z;
    if constexpr (op == BinOp::kDiv) y[i] = x / z;
    if constexpr (op == BinOp::kPow) y[i] = std::pow(x, z);
  }
}

template <BinOp op>
void RowAny(const float* a, int sa, const float* b, int sb, float* y, int64_t n) {
  if (sa && sb) return Row<op, 1, 1>(a, b, y, n);
  if (sa) return Row<op, 1, 0>(a, b, y, n);
  if (sb) return Row<op, 0, 1>(a, b, y, n);
  return Row<op, 0, 0>(a, b, y, n);
}

// Pow with a scalar exponent of 2, 3 or 0.5 (what LayerNorm / RMSNorm / GELU exports use).
bool PowSpecial(const float* a, float e, float* y, int64_t n) {
  if (e == 2.0f) {
    for (int64_t i = 0; i < n; ++i) y[i] = a[i] * a[i];
  } else if (e == 3.0f) {
    for (int64_t i = 0; i < n; ++i) y[i] = a[i] * a[i] * a[i];
  } else if (e == 0.5f) {
    for (int64_t i = 0; i < n; ++i) y[i] = std::sqrt(a[i]);
  } else if (e == 1.0f) {
    std::copy(a, a + n, y);
  } else {
    return false;
  }
  return true;
}

template <BinOp op>
absl::Status Binary(KernelContext& ctx) {
  if (!AllF32(ctx, {0, 1})) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(const Tensor* a_in, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* b_in, ctx.Input(1));
  absl::StatusOr<Shape> out_or = BroadcastShapes({a_in->shape(), b_in->shape()});
  if (!out_or.ok()) return ReferenceFallback(ctx);  // the reference words the error
  const Shape out = *out_or;
  ASSIGN_OR_RETURN(Tensor at, a_in->Contiguous());
  ASSIGN_OR_RETURN(Tensor bt, b_in->Contiguous());
  Tensor yt = Tensor::Uninitialized(DType::kF32, out);
  const float* a = at.data_as<float>();
  const float* b = bt.data_as<float>();
  float* y = yt.mutable_data_as<float>();
  const int64_t total = yt.num_elements();
  if (total == 0) {
    ctx.SetOutput(0, std::move(yt));
    return absl::OkStatus();
  }
  // (PowSpecial with n = 0 only asks whether the exponent has a special loop.)
  const bool pow_special = op == BinOp::kPow && bt.num_elements() == 1 &&
                           at.num_elements() == total && PowSpecial(a, b[0], y, 0);
  const int threads =
      ThreadsFor(ctx, total, op == BinOp::kPow && !pow_special ? Cost::kMath : Cost::kCheap);
  if (pow_special) {
    const float e = b[0];
    ParallelFor(threads, total, [&](int64_t i0, int64_t i1) {
      PowSpecial(a + i0, e, y + i0, i1 - i0);
    });
    ctx.SetOutput(0, std::move(yt));
    return absl::OkStatus();
  }
  // Same shape or a scalar operand: one flat row.
  const int64_t na = at.num_elements(), nb = bt.num_elements();
  if ((na == total || na == 1) && (nb == total || nb == 1)) {
    const int sa = na == total ? 1 : 0, sb = nb == total ? 1 : 0;
    ParallelFor(threads, total, [&](int64_t i0, int64_t i1) {
      RowAny<op>(a + i0 * sa, sa, b + i0 * sb, sb, y + i0, i1 - i0);
    });
    ctx.SetOutput(0, std::move(yt));
    return absl::OkStatus();
  }
  // General: rows of the output's last dimension; per-dim strides 0 where an operand broadcasts.
  const int rank = static_cast<int>(out.size());
  auto strides_for = [&](const Shape& s) {
    std::vector<int64_t> st(rank, 0);
    int64_t acc = 1;
    for (int d = static_cast<int>(s.size()) - 1; d >= 0; --d) {
      const int od = d + rank - static_cast<int>(s.size());
      st[od] = s[d] == 1 ? 0 : acc;
      acc *= s[d];
    }
    return st;
  };
  const std::vector<int64_t> sta = strides_for(at.shape()), stb = strides_for(bt.shape());
  const int64_t last = out[rank - 1], rows = total / last;
  const int row_sa = sta[rank - 1] ? 1 : 0, row_sb = stb[rank - 1] ? 1 : 0;
  ParallelFor(threads, rows, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      int64_t rest = r, oa = 0, ob = 0;
      for (int d = rank - 2; d >= 0; --d) {
        const int64_t i = rest % out[d];
        rest /= out[d];
        oa += i * sta[d];
        ob += i * stb[d];
      }
      RowAny<op>(a + oa, row_sa, b + ob, row_sb, y + r * last, last);
    }
  });
  ctx.SetOutput(0, std::move(yt));
  return absl::OkStatus();
}

// ---- Unary ops ----

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

absl::Status LeakyRelu(KernelContext& ctx) {
  const float alpha = ctx.GetFloat("alpha", 0.01f);
  return Unary(ctx, [alpha](float v) { return v >= 0 ? v : v * alpha; });
}

// ---- ReduceMean over trailing axes ----

absl::Status ReduceMean(KernelContext& ctx) {
  if (!AllF32(ctx, {0})) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(const Tensor* x_in, ctx.Input(0));
  const int rank = x_in->rank();
  std::vector<int64_t> axes;
  if (ctx.opset() >= 18) {
    if (ctx.HasInput(1)) {
      absl::StatusOr<std::vector<int64_t>> v = ReadInts(*ctx.OptionalInput(1));
      if (!v.ok()) return ReferenceFallback(ctx);
      axes = *v;
    }
  } else {
    axes = ctx.GetInts("axes", {});
  }
  if (axes.empty() || rank == 0) return ReferenceFallback(ctx);  // all-axes / noop rules
  for (int64_t& a : axes) {
    if (a < -rank || a >= rank) return ReferenceFallback(ctx);
    if (a < 0) a += rank;
  }
  std::sort(axes.begin(), axes.end());
  for (size_t i = 0; i < axes.size(); ++i) {
    if (axes[i] != rank - static_cast<int64_t>(axes.size()) + static_cast<int64_t>(i)) {
      return ReferenceFallback(ctx);  // not the trailing axes
    }
  }
  const bool keep = ctx.GetInt("keepdims", 1) != 0;
  Shape out;
  int64_t inner = 1;
  for (int d = 0; d < rank; ++d) {
    const bool reduced = d >= rank - static_cast<int>(axes.size());
    if (reduced) inner *= x_in->shape()[d];
    if (!reduced) out.push_back(x_in->shape()[d]);
    if (reduced && keep) out.push_back(1);
  }
  if (inner == 0) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(Tensor xt, x_in->Contiguous());
  Tensor yt = Tensor::Uninitialized(DType::kF32, out);
  const float* x = xt.data_as<float>();
  float* y = yt.mutable_data_as<float>();
  const int64_t rows = yt.num_elements();
  ParallelFor(ThreadsFor(ctx, rows * inner, Cost::kCheap), rows, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      y[r] = static_cast<float>(SumOf(x + r * inner, inner) / inner);
    }
  });
  ctx.SetOutput(0, std::move(yt));
  return absl::OkStatus();
}

// ---- Transpose (any plain dtype: it only moves bytes) ----

absl::Status Transpose(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x_in, ctx.Input(0));
  const int rank = x_in->rank();
  const int esize = IsQuantized(x_in->dtype()) ? 0 : ElementSize(x_in->dtype());
  std::vector<int64_t> perm(rank);
  for (int i = 0; i < rank; ++i) perm[i] = rank - 1 - i;
  perm = ctx.GetInts("perm", perm);
  std::vector<bool> seen(rank, false);
  bool valid = esize > 0 && static_cast<int>(perm.size()) == rank && rank > 0;
  for (int i = 0; valid && i < rank; ++i) {
    valid = perm[i] >= 0 && perm[i] < rank && !seen[perm[i]];
    if (valid) seen[perm[i]] = true;
  }
  if (!valid) return ReferenceFallback(ctx);  // the reference words the error
  ASSIGN_OR_RETURN(Tensor xt, x_in->Contiguous());
  Shape out(rank);
  for (int i = 0; i < rank; ++i) out[i] = x_in->shape()[perm[i]];
  Tensor yt = Tensor::Uninitialized(x_in->dtype(), out);
  const int64_t total = yt.num_elements();
  if (total == 0) {
    ctx.SetOutput(0, std::move(yt));
    return absl::OkStatus();
  }
  const std::vector<int64_t> in_strides = RowMajorStrides(x_in->shape());
  std::vector<int64_t> src_stride(rank);  // input stride of each output axis
  for (int i = 0; i < rank; ++i) src_stride[i] = in_strides[perm[i]];
  const int64_t last = out[rank - 1], rows = total / last;
  const int64_t inner_stride = src_stride[rank - 1];
  const uint8_t* x = xt.data();
  uint8_t* y = yt.mutable_data();
  ParallelFor(ThreadsFor(ctx, total, Cost::kCheap), rows, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      int64_t rest = r, src = 0;
      for (int d = rank - 2; d >= 0; --d) {
        src += (rest % out[d]) * src_stride[d];
        rest /= out[d];
      }
      uint8_t* dst = y + r * last * esize;
      if (inner_stride == 1) {
        std::memcpy(dst, x + src * esize, last * esize);
      } else if (esize == 4) {
        const float* xs = reinterpret_cast<const float*>(x) + src;
        float* yd = reinterpret_cast<float*>(dst);
        for (int64_t i = 0; i < last; ++i) yd[i] = xs[i * inner_stride];
      } else {
        for (int64_t i = 0; i < last; ++i) {
          std::memcpy(dst + i * esize, x + (src + i * inner_stride) * esize, esize);
        }
      }
    }
  });
  ctx.SetOutput(0, std::move(yt));
  return absl::OkStatus();
}

}  // namespace

std::vector<KernelDef> CpuElementwiseKernels() {
  return {
      LikeReference("Add", Binary<BinOp::kAdd>),
      LikeReference("Sub", Binary<BinOp::kSub>),
      LikeReference("Mul", Binary<BinOp::kMul>),
      LikeReference("Div", Binary<BinOp::kDiv>),
      LikeReference("Pow", Binary<BinOp::kPow>),
      LikeReference("Relu", [](KernelContext& c) {
        return Unary(c, [](float v) { return v < 0 ? 0.0f : v; });  // NaN stays NaN
      }),
      LikeReference("LeakyRelu", LeakyRelu),
      LikeReference("Sigmoid", [](KernelContext& c) { return UnaryArray(c, SigmoidArray); }),
      LikeReference("Tanh", [](KernelContext& c) {
        return Unary(c, [](float v) { return std::tanh(v); }, Cost::kMath);
      }),
      LikeReference("Erf", [](KernelContext& c) { return UnaryArray(c, ErfArray); }),
      // std::exp: Exp's overflow to +inf is part of its contract, FastExp saturates.
      LikeReference("Exp", [](KernelContext& c) {
        return Unary(c, [](float v) { return std::exp(v); }, Cost::kMath);
      }),
      LikeReference("Sqrt", [](KernelContext& c) {
        return Unary(c, [](float v) { return std::sqrt(v); });
      }),
      LikeReference("Neg", [](KernelContext& c) { return Unary(c, [](float v) { return -v; }); }),
      LikeReference("Abs", [](KernelContext& c) {
        return Unary(c, [](float v) { return std::fabs(v); });
      }),
      LikeReference("Reciprocal", [](KernelContext& c) {
        return Unary(c, [](float v) { return 1.0f / v; });
      }),
      LikeReference("ReduceMean", ReduceMean),
      LikeReference("Transpose", Transpose),
  };
}

}  // namespace cpu
}  // namespace rt
}  // namespace tp
