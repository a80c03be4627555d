// Fast float32 element-wise ops with NumPy broadcasting: Add, Sub, Mul, Div, Pow, Max, Min, Sum,
// Mean (variadic ops folded pairwise), PRelu, the comparisons (bool results) and Where.
// Broadcasting runs row by row over the output's last dimension after merging the dims that
// broadcast alike, so the inner loops are plain contiguous (or scalar-broadcast) loops the
// compiler vectorizes, and a [C/8, H*W, 8] x [C/8, 1, 8] product (a blocked per-channel scale)
// is three merged dims, not five. Any other dtype, and opset < 7's legacy `broadcast` attribute,
// go to the reference kernel.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/status_macros.h"
#include "core/tensor.h"
#include "runtime/cpu/cpu_util.h"
#include "runtime/cpu/kernels.h"
#include "runtime/cpu/thread_pool.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace cpu {
namespace {

enum class BinOp { kAdd, kSub, kMul, kDiv, kPow, kMax, kMin, kPRelu };
enum class CmpOp { kEq, kLt, kGt, kLe, kGe };

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
    // NaN in either operand gives NaN (as the reference's fold).
    if constexpr (op == BinOp::kMax) y[i] = (x != x || z != z) ? x + z : (x > z ? x : z);
    if constexpr (op == BinOp::kMin) y[i] = (x != x || z != z) ? x + z : (x < z ? x : z);
    if constexpr (op == BinOp::kPRelu) y[i] = x < 0 ? x * z : x;
  }
}

template <BinOp op>
void RowAny(const float* a, int sa, const float* b, int sb, float* y, int64_t n) {
  if (sa && sb) return Row<op, 1, 1>(a, b, y, n);
  if (sa) return Row<op, 1, 0>(a, b, y, n);
  if (sb) return Row<op, 0, 1>(a, b, y, n);
  return Row<op, 0, 0>(a, b, y, n);
}

template <CmpOp op>
void CmpRow(const float* a, int sa, const float* b, int sb, uint8_t* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float x = a[i * sa], z = b[i * sb];
    if constexpr (op == CmpOp::kEq) y[i] = x == z;
    if constexpr (op == CmpOp::kLt) y[i] = x < z;
    if constexpr (op == CmpOp::kGt) y[i] = x > z;
    if constexpr (op == CmpOp::kLe) y[i] = x <= z;
    if constexpr (op == CmpOp::kGe) y[i] = x >= z;
  }
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

// The broadcast of operand shapes to `out`, as rows of the (merged) last dim: per operand its
// element strides per merged dim (0 where it broadcasts).
struct Broadcast {
  Shape dims;                                // merged output dims
  std::vector<std::vector<int64_t>> strides;  // per operand, per merged dim
  int64_t rows = 0, last = 0;

  Broadcast(const std::vector<Shape>& shapes, const Shape& out) {
    const int rank = static_cast<int>(out.size());
    std::vector<std::vector<int64_t>> st(shapes.size(), std::vector<int64_t>(rank, 0));
    for (size_t k = 0; k < shapes.size(); ++k) {
      int64_t acc = 1;
      for (int d = static_cast<int>(shapes[k].size()) - 1; d >= 0; --d) {
        const int od = d + rank - static_cast<int>(shapes[k].size());
        st[k][od] = shapes[k][d] == 1 ? 0 : acc;
        acc *= shapes[k][d];
      }
    }
    strides.resize(shapes.size());
    for (int d = 0; d < rank; ++d) {
      if (out[d] == 1) continue;
      bool merge = !dims.empty();
      for (size_t k = 0; merge && k < shapes.size(); ++k) {
        merge = strides[k].back() == st[k][d] * out[d];
      }
      if (merge) {
        dims.back() *= out[d];
        for (size_t k = 0; k < shapes.size(); ++k) strides[k].back() = st[k][d];
        continue;
      }
      dims.push_back(out[d]);
      for (size_t k = 0; k < shapes.size(); ++k) strides[k].push_back(st[k][d]);
    }
    if (dims.empty()) {
      dims.push_back(1);
      for (auto& s : strides) s.push_back(0);
    }
    last = dims.back();
    rows = 1;
    for (size_t d = 0; d + 1 < dims.size(); ++d) rows *= dims[d];
  }

  // Calls fn(row, offsets of each operand) for rows [r0, r1); the offsets advance like an
  // odometer (a blocked per-channel product has rows of only 8 elements: no divisions per row).
  template <typename F>
  void ForRows(int64_t r0, int64_t r1, F fn) const {
    if (r0 >= r1) return;
    const int rank = static_cast<int>(dims.size());
    const size_t ops = strides.size();
    std::vector<int64_t> off(ops, 0), pos(rank, 0);
    int64_t rest = r0;
    for (int d = rank - 2; d >= 0; --d) {
      pos[d] = rest % dims[d];
      rest /= dims[d];
      for (size_t k = 0; k < ops; ++k) off[k] += pos[d] * strides[k][d];
    }
    for (int64_t r = r0; r < r1; ++r) {
      fn(r, off);
      for (int d = rank - 2; d >= 0; --d) {
        if (++pos[d] < dims[d]) {
          for (size_t k = 0; k < ops; ++k) off[k] += strides[k][d];
          break;
        }
        for (size_t k = 0; k < ops; ++k) off[k] -= strides[k][d] * (dims[d] - 1);
        pos[d] = 0;
      }
    }
  }
  int unit(size_t k) const { return strides[k].back() != 0 ? 1 : 0; }
};

bool LegacyBroadcast(const KernelContext& ctx) {
  return ctx.opset() < 7 && ctx.GetInt("broadcast", 0) != 0;
}

// y = a op b into a new tensor (shapes already known to broadcast).
template <BinOp op>
Tensor Apply(const Tensor& at, const Tensor& bt, const Shape& out, int threads_for_cheap) {
  Tensor yt = Tensor::Uninitialized(DType::kF32, out);
  const float* a = at.data_as<float>();
  const float* b = bt.data_as<float>();
  float* y = yt.mutable_data_as<float>();
  const int64_t total = yt.num_elements();
  if (total == 0) return yt;
  const int64_t na = at.num_elements(), nb = bt.num_elements();
  if ((na == total || na == 1) && (nb == total || nb == 1)) {
    const int sa = na == total ? 1 : 0, sb = nb == total ? 1 : 0;
    ParallelFor(threads_for_cheap, total, [&](int64_t i0, int64_t i1) {
      RowAny<op>(a + i0 * sa, sa, b + i0 * sb, sb, y + i0, i1 - i0);
    });
    return yt;
  }
  const Broadcast bc({at.shape(), bt.shape()}, out);
  const int ua = bc.unit(0), ub = bc.unit(1);
  ParallelFor(threads_for_cheap, bc.rows, [&](int64_t r0, int64_t r1) {
    bc.ForRows(r0, r1, [&](int64_t r, const std::vector<int64_t>& off) {
      RowAny<op>(a + off[0], ua, b + off[1], ub, y + r * bc.last, bc.last);
    });
  });
  return yt;
}

template <BinOp op>
absl::Status Binary(KernelContext& ctx) {
  if (!AllF32(ctx, {0, 1}) || LegacyBroadcast(ctx)) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(const Tensor* a_in, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* b_in, ctx.Input(1));
  absl::StatusOr<Shape> out_or = BroadcastShapes({a_in->shape(), b_in->shape()});
  if (!out_or.ok()) return ReferenceFallback(ctx);  // the reference words the error
  const Shape out = *out_or;
  if (op == BinOp::kPRelu && out != a_in->shape()) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(Tensor at, a_in->Contiguous());
  ASSIGN_OR_RETURN(Tensor bt, b_in->Contiguous());
  int64_t total = 1;
  for (int64_t d : out) total *= d;
  // (PowSpecial with n = 0 only asks whether the exponent has a special loop.)
  const bool pow_special = op == BinOp::kPow && bt.num_elements() == 1 &&
                           at.num_elements() == total && total > 0 &&
                           PowSpecial(at.data_as<float>(), bt.data_as<float>()[0], nullptr, 0);
  const int threads =
      ThreadsFor(ctx, total, op == BinOp::kPow && !pow_special ? Cost::kMath : Cost::kCheap);
  if (pow_special) {
    Tensor yt = Tensor::Uninitialized(DType::kF32, out);
    const float e = bt.data_as<float>()[0];
    const float* a = at.data_as<float>();
    float* y = yt.mutable_data_as<float>();
    ParallelFor(threads, total, [&](int64_t i0, int64_t i1) {
      PowSpecial(a + i0, e, y + i0, i1 - i0);
    });
    ctx.SetOutput(0, std::move(yt));
    return absl::OkStatus();
  }
  ctx.SetOutput(0, Apply<op>(at, bt, out, threads));
  return absl::OkStatus();
}

// Max, Min, Sum, Mean: folded left to right over the inputs (as the reference does).
template <BinOp op>
absl::Status Variadic(KernelContext& ctx, bool mean) {
  std::vector<Tensor> ins;
  std::vector<Shape> shapes;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    const Tensor* t = ctx.OptionalInput(i);
    if (t == nullptr || t->dtype() != DType::kF32) return ReferenceFallback(ctx);
    ASSIGN_OR_RETURN(Tensor c, t->Contiguous());
    shapes.push_back(c.shape());
    ins.push_back(std::move(c));
  }
  absl::StatusOr<Shape> out_or = BroadcastShapes(shapes);
  if (ins.empty() || !out_or.ok() || LegacyBroadcast(ctx)) return ReferenceFallback(ctx);
  int64_t total = 1;
  for (int64_t d : *out_or) total *= d;
  const int threads = ThreadsFor(ctx, total, Cost::kCheap);
  Tensor acc = ins[0];
  for (size_t i = 1; i < ins.size(); ++i) {
    absl::StatusOr<Shape> s = BroadcastShapes({acc.shape(), ins[i].shape()});
    acc = Apply<op>(acc, ins[i], *s, threads);
  }
  if (mean) {
    acc = Apply<BinOp::kDiv>(acc, TensorFromFloats({}, {static_cast<float>(ins.size())}),
                             acc.shape(), threads);
  }
  ctx.SetOutput(0, std::move(acc));
  return absl::OkStatus();
}

template <CmpOp op>
absl::Status Compare(KernelContext& ctx) {
  if (!AllF32(ctx, {0, 1}) || LegacyBroadcast(ctx)) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(const Tensor* a_in, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* b_in, ctx.Input(1));
  absl::StatusOr<Shape> out = BroadcastShapes({a_in->shape(), b_in->shape()});
  if (!out.ok()) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(Tensor at, a_in->Contiguous());
  ASSIGN_OR_RETURN(Tensor bt, b_in->Contiguous());
  Tensor yt = Tensor::Uninitialized(DType::kBool, *out);
  if (yt.num_elements() > 0) {
    const Broadcast bc({at.shape(), bt.shape()}, *out);
    const float* a = at.data_as<float>();
    const float* b = bt.data_as<float>();
    uint8_t* y = yt.mutable_data();
    const int ua = bc.unit(0), ub = bc.unit(1);
    ParallelFor(ThreadsFor(ctx, yt.num_elements(), Cost::kCheap), bc.rows,
                [&](int64_t r0, int64_t r1) {
                  bc.ForRows(r0, r1, [&](int64_t r, const std::vector<int64_t>& off) {
                    CmpRow<op>(a + off[0], ua, b + off[1], ub, y + r * bc.last, bc.last);
                  });
                });
  }
  ctx.SetOutput(0, std::move(yt));
  return absl::OkStatus();
}

}  // namespace

absl::Status AddKernel(KernelContext& ctx) { return Binary<BinOp::kAdd>(ctx); }
absl::Status SubKernel(KernelContext& ctx) { return Binary<BinOp::kSub>(ctx); }
absl::Status MulKernel(KernelContext& ctx) { return Binary<BinOp::kMul>(ctx); }
absl::Status DivKernel(KernelContext& ctx) { return Binary<BinOp::kDiv>(ctx); }
absl::Status PowKernel(KernelContext& ctx) { return Binary<BinOp::kPow>(ctx); }
absl::Status PReluKernel(KernelContext& ctx) { return Binary<BinOp::kPRelu>(ctx); }
absl::Status MaxKernel(KernelContext& ctx) { return Variadic<BinOp::kMax>(ctx, false); }
absl::Status MinKernel(KernelContext& ctx) { return Variadic<BinOp::kMin>(ctx, false); }
absl::Status SumKernel(KernelContext& ctx) { return Variadic<BinOp::kAdd>(ctx, false); }
absl::Status MeanKernel(KernelContext& ctx) { return Variadic<BinOp::kAdd>(ctx, true); }
absl::Status EqualKernel(KernelContext& ctx) { return Compare<CmpOp::kEq>(ctx); }
absl::Status LessKernel(KernelContext& ctx) { return Compare<CmpOp::kLt>(ctx); }
absl::Status GreaterKernel(KernelContext& ctx) { return Compare<CmpOp::kGt>(ctx); }
absl::Status LessOrEqualKernel(KernelContext& ctx) { return Compare<CmpOp::kLe>(ctx); }
absl::Status GreaterOrEqualKernel(KernelContext& ctx) { return Compare<CmpOp::kGe>(ctx); }

// Where for every plain dtype of X / Y (bool condition), with three-way broadcasting.
absl::Status WhereKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* c_in, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* x_in, ctx.Input(1));
  ASSIGN_OR_RETURN(const Tensor* y_in, ctx.Input(2));
  const DType t = x_in->dtype();
  const int elem = IsQuantized(t) ? 0 : ElementSize(t);
  absl::StatusOr<Shape> out = BroadcastShapes({c_in->shape(), x_in->shape(), y_in->shape()});
  if (c_in->dtype() != DType::kBool || y_in->dtype() != t || elem == 0 || !out.ok()) {
    return ReferenceFallback(ctx);
  }
  ASSIGN_OR_RETURN(Tensor c, c_in->Contiguous());
  ASSIGN_OR_RETURN(Tensor x, x_in->Contiguous());
  ASSIGN_OR_RETURN(Tensor y, y_in->Contiguous());
  Tensor r = Tensor::Uninitialized(t, *out);
  if (r.num_elements() > 0) {
    const Broadcast bc({c.shape(), x.shape(), y.shape()}, *out);
    const uint8_t* cp = c.data();
    const uint8_t* xp = x.data();
    const uint8_t* yp = y.data();
    uint8_t* rp = r.mutable_data();
    const int uc = bc.unit(0), ux = bc.unit(1), uy = bc.unit(2);
    ParallelFor(ThreadsFor(ctx, r.num_elements(), Cost::kCheap), bc.rows,
                [&](int64_t r0, int64_t r1) {
                  bc.ForRows(r0, r1, [&](int64_t row, const std::vector<int64_t>& off) {
                    const uint8_t* cr = cp + off[0];
                    uint8_t* dst = rp + row * bc.last * elem;
                    if (elem == 4) {
                      const uint32_t* xr = reinterpret_cast<const uint32_t*>(xp) + off[1];
                      const uint32_t* yr = reinterpret_cast<const uint32_t*>(yp) + off[2];
                      uint32_t* d = reinterpret_cast<uint32_t*>(dst);
                      for (int64_t i = 0; i < bc.last; ++i) {
                        d[i] = cr[i * uc] ? xr[i * ux] : yr[i * uy];
                      }
                      return;
                    }
                    for (int64_t i = 0; i < bc.last; ++i) {
                      const uint8_t* src = cr[i * uc] ? xp + (off[1] + i * ux) * elem
                                                      : yp + (off[2] + i * uy) * elem;
                      std::memcpy(dst + i * elem, src, elem);
                    }
                  });
                });
  }
  ctx.SetOutput(0, std::move(r));
  return absl::OkStatus();
}

}  // namespace cpu
}  // namespace rt
}  // namespace tp
