// MatMulInteger and QLinearMatMul: NumPy-style (batched, broadcast) products of 8-bit integers
// with zero points subtracted (per tensor, A's per row, B's per column), accumulated exactly in
// int64. MatMulInteger returns the int32 sums; QLinearMatMul scales them by a_scale * b_scale /
// y_scale, rounds half to even, adds y_zero_point and saturates to y's type.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/reference/math/matmul_params.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {
namespace {

bool Is8Bit(DType t) { return t == DType::kU8 || t == DType::kI8; }

// A per-tensor value, or one per row (A: `m` values) or per column (B: `n` values); trailing
// size-1 dims of an N-D parameter ([.., M, 1] / [.., 1, K]) are accepted when the batch is 1.
absl::StatusOr<std::vector<double>> PerLine(const KernelContext& ctx, const Tensor* t,
                                            int64_t count, double def, const char* what) {
  if (t == nullptr) return std::vector<double>(count, def);
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*t));
  if (v.size() == 1) return std::vector<double>(count, v[0]);
  if (static_cast<int64_t>(v.size()) != count) {
    return ctx.Invalid(absl::StrCat(what, " has ", v.size(), " values, expected 1 or ", count));
  }
  return v;
}

// sum_k (a[i, k] - az[i]) * (b[k, j] - bz[j]) for every output element.
absl::StatusOr<std::vector<int64_t>> IntegerProduct(const Tensor& a, const Tensor& b,
                                                    const MatMulPlan& p,
                                                    const std::vector<double>& az,
                                                    const std::vector<double>& bz) {
  ASSIGN_OR_RETURN(std::vector<int64_t> av, ReadAs<int64_t>(a));
  ASSIGN_OR_RETURN(std::vector<int64_t> bv, ReadAs<int64_t>(b));
  std::vector<int64_t> y(p.a_batch.size() * p.m * p.n, 0);
  for (size_t t = 0; t < p.a_batch.size(); ++t) {
    const int64_t* am = av.data() + p.a_batch[t] * p.m * p.k;
    const int64_t* bm = bv.data() + p.b_batch[t] * p.k * p.n;
    for (int64_t i = 0; i < p.m; ++i) {
      for (int64_t j = 0; j < p.n; ++j) {
        int64_t acc = 0;
        for (int64_t q = 0; q < p.k; ++q) {
          acc += (am[i * p.k + q] - static_cast<int64_t>(az[i])) *
                 (bm[q * p.n + j] - static_cast<int64_t>(bz[j]));
        }
        y[(t * p.m + i) * p.n + j] = acc;
      }
    }
  }
  return y;
}

}  // namespace

absl::Status MatMulIntegerKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* a, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* b, ctx.Input(1));
  if (!Is8Bit(a->dtype()) || !Is8Bit(b->dtype())) {
    return ctx.Invalid("A and B must be u8 or i8");
  }
  ASSIGN_OR_RETURN(MatMulPlan p, PlanMatMul(ctx, a->shape(), b->shape()));
  ASSIGN_OR_RETURN(std::vector<double> az,
                   PerLine(ctx, ctx.OptionalInput(2), p.m, 0, "a_zero_point"));
  ASSIGN_OR_RETURN(std::vector<double> bz,
                   PerLine(ctx, ctx.OptionalInput(3), p.n, 0, "b_zero_point"));
  ASSIGN_OR_RETURN(std::vector<int64_t> y, IntegerProduct(*a, *b, p, az, bz));
  ASSIGN_OR_RETURN(Tensor out, WriteAs<int64_t>(DType::kI32, p.out_shape, y));
  ctx.SetOutput(0, std::move(out));
  return absl::OkStatus();
}

absl::Status QLinearMatMulKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* a, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* b, ctx.Input(3));
  ASSIGN_OR_RETURN(const Tensor* y_zp, ctx.Input(7));
  if (!Is8Bit(a->dtype()) || !Is8Bit(b->dtype()) || !Is8Bit(y_zp->dtype())) {
    return ctx.Invalid("a, b and y_zero_point must be u8 or i8");
  }
  ASSIGN_OR_RETURN(MatMulPlan p, PlanMatMul(ctx, a->shape(), b->shape()));
  ASSIGN_OR_RETURN(std::vector<double> as, PerLine(ctx, *ctx.Input(1), p.m, 1, "a_scale"));
  ASSIGN_OR_RETURN(std::vector<double> az, PerLine(ctx, *ctx.Input(2), p.m, 0, "a_zero_point"));
  ASSIGN_OR_RETURN(std::vector<double> bs, PerLine(ctx, *ctx.Input(4), p.n, 1, "b_scale"));
  ASSIGN_OR_RETURN(std::vector<double> bz, PerLine(ctx, *ctx.Input(5), p.n, 0, "b_zero_point"));
  ASSIGN_OR_RETURN(std::vector<double> ys, PerLine(ctx, *ctx.Input(6), 1, 1, "y_scale"));
  ASSIGN_OR_RETURN(std::vector<double> yz, PerLine(ctx, y_zp, 1, 0, "y_zero_point"));
  ASSIGN_OR_RETURN(std::vector<int64_t> acc, IntegerProduct(*a, *b, p, az, bz));
  const double lo = y_zp->dtype() == DType::kU8 ? 0 : -128;
  const double hi = y_zp->dtype() == DType::kU8 ? 255 : 127;
  std::vector<int64_t> y(acc.size());
  for (size_t e = 0; e < acc.size(); ++e) {
    const int64_t i = static_cast<int64_t>(e / p.n) % p.m, j = static_cast<int64_t>(e % p.n);
    const double q = std::nearbyint(static_cast<double>(acc[e]) * as[i] * bs[j] / ys[0]) + yz[0];
    y[e] = static_cast<int64_t>(std::min(hi, std::max(lo, q)));
  }
  ASSIGN_OR_RETURN(Tensor out, WriteAs<int64_t>(y_zp->dtype(), p.out_shape, y));
  ctx.SetOutput(0, std::move(out));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
