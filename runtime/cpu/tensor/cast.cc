// Cast and CastLike between the plain element types: core's vectorized block conversions
// (core/cast_kernels.h: F16C / AVX2 where the CPU has them) over blocks split across threads,
// reading the input in place. q8_0 and streamed inputs go to the reference kernel.
#include <algorithm>

#include "core/cast_kernels.h"
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

absl::Status CastTo(KernelContext& ctx, DType to) {
  ASSIGN_OR_RETURN(const Tensor* x_in, ctx.Input(0));
  const DType from = x_in->dtype();
  if (IsQuantized(from) || IsQuantized(to) || x_in->is_streamed()) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(Tensor x, x_in->Contiguous());
  if (from == to) {
    ctx.SetOutput(0, std::move(x));
    return absl::OkStatus();
  }
  Tensor y = Tensor::Uninitialized(to, x.shape());
  const int64_t n = x.num_elements();
  const int ein = ElementSize(from), eout = ElementSize(to);
  constexpr int64_t kBlock = int64_t{1} << 14;
  const uint8_t* src = x.data();
  uint8_t* dst = y.mutable_data();
  ParallelFor(ThreadsFor(ctx, n, Cost::kCheap), (n + kBlock - 1) / kBlock,
              [&](int64_t b0, int64_t b1) {
                for (int64_t b = b0; b < b1; ++b) {
                  const int64_t first = b * kBlock, count = std::min(kBlock, n - first);
                  CastBlock(from, src + first * ein, count, to, dst + first * eout);
                }
              });
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace

absl::Status CastKernel(KernelContext& ctx) {
  absl::StatusOr<DType> to = DTypeFromOnnx(static_cast<int>(ctx.GetInt("to", 0)));
  if (!to.ok()) return ReferenceFallback(ctx);
  return CastTo(ctx, *to);
}

absl::Status CastLikeKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* like, ctx.Input(1));
  return CastTo(ctx, like->dtype());
}

}  // namespace cpu
}  // namespace rt
}  // namespace tp
