// Fast float32 binary ops with NumPy broadcasting: Add, Sub, Mul, Div, Pow. Broadcasting runs
// row by row over the output's last dimension, so the inner loops are plain contiguous (or
// scalar-broadcast) loops that the compiler vectorizes. Any other dtype goes to the reference
// kernel.

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
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace cpu {
namespace {

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

}  // namespace

absl::Status AddKernel(KernelContext& ctx) { return Binary<BinOp::kAdd>(ctx); }
absl::Status SubKernel(KernelContext& ctx) { return Binary<BinOp::kSub>(ctx); }
absl::Status MulKernel(KernelContext& ctx) { return Binary<BinOp::kMul>(ctx); }
absl::Status DivKernel(KernelContext& ctx) { return Binary<BinOp::kDiv>(ctx); }
absl::Status PowKernel(KernelContext& ctx) { return Binary<BinOp::kPow>(ctx); }

}  // namespace cpu
}  // namespace rt
}  // namespace tp
