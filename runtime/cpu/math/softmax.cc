// Fast float32 Softmax and LogSoftmax: vectorizable row loops over [outer, axis, inner] (geometry
// from reference/math/matmul_params.h: opset < 13 flattening, >= 13 one axis).

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "core/tensor.h"
#include "runtime/cpu/cpu_util.h"
#include "runtime/cpu/kernels.h"
#include "runtime/cpu/thread_pool.h"
#include "runtime/cpu/vector_math.h"
#include "runtime/reference/math/matmul_params.h"

namespace tp {
namespace rt {
namespace cpu {

absl::Status SoftmaxCpu(KernelContext& ctx, bool log) {
  if (!AllF32(ctx, {0})) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(const Tensor* x_in, ctx.Input(0));
  ASSIGN_OR_RETURN(SoftmaxGeometry g, ResolveSoftmax(ctx, x_in->shape()));
  ASSIGN_OR_RETURN(Tensor xt, x_in->Contiguous());
  Tensor yt = Tensor::Uninitialized(DType::kF32, x_in->shape());
  const float* x = xt.data_as<float>();
  float* y = yt.mutable_data_as<float>();
  const int64_t per_outer = g.axis * g.inner;
  const int threads = per_outer * g.outer >= (1 << 15) ? Threads(ctx) : 1;
  // Locals captured by value so the loops' bounds and pointers are not re-read after each store.
  const int64_t axis = g.axis, inner = g.inner;
  ParallelFor(threads, g.outer, [x, y, axis, inner, per_outer, log](int64_t o0, int64_t o1) {
    std::vector<float> mx(inner), sum(inner);
    for (int64_t o = o0; o < o1; ++o) {
      const float* xo = x + o * per_outer;
      float* yo = y + o * per_outer;
      if (inner == 1) {
        // NaN in a row: the max comparison skips it but exp(NaN - m) brings it back, as in the
        // reference.
        const float m = MaxOf(xo, axis);
        ExpArray(xo, m, yo, axis);
        const float s = static_cast<float>(SumOf(yo, axis));
        if (log) {
          const float ls = m + std::log(s);
          for (int64_t j = 0; j < axis; ++j) yo[j] = xo[j] - ls;
        } else {
          const float inv = 1.0f / s;
          for (int64_t j = 0; j < axis; ++j) yo[j] *= inv;
        }
        continue;
      }
      std::fill(mx.begin(), mx.end(), -std::numeric_limits<float>::infinity());
      std::fill(sum.begin(), sum.end(), 0.0f);
      for (int64_t j = 0; j < axis; ++j) {
        const float* xr = xo + j * inner;
        for (int64_t i = 0; i < inner; ++i) mx[i] = std::max(mx[i], xr[i]);
      }
      for (int64_t j = 0; j < axis; ++j) {
        const float* xr = xo + j * inner;
        float* yr = yo + j * inner;
        for (int64_t i = 0; i < inner; ++i) {
          yr[i] = FastExp(xr[i] - mx[i]);
          sum[i] += yr[i];
        }
      }
      for (int64_t i = 0; i < inner; ++i) {
        sum[i] = log ? mx[i] + std::log(sum[i]) : 1.0f / sum[i];
      }
      for (int64_t j = 0; j < axis; ++j) {
        const float* xr = xo + j * inner;
        float* yr = yo + j * inner;
        for (int64_t i = 0; i < inner; ++i) yr[i] = log ? xr[i] - sum[i] : yr[i] * sum[i];
      }
    }
  });
  ctx.SetOutput(0, std::move(yt));
  return absl::OkStatus();
}

absl::Status SoftmaxKernel(KernelContext& ctx) { return SoftmaxCpu(ctx, /*log=*/false); }

absl::Status LogSoftmaxKernel(KernelContext& ctx) { return SoftmaxCpu(ctx, /*log=*/true); }

}  // namespace cpu
}  // namespace rt
}  // namespace tp
