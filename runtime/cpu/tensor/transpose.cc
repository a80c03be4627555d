// Transpose for any plain dtype: row copies over the output's last dim.

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

absl::Status TransposeKernel(KernelContext& ctx) {
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

}  // namespace cpu
}  // namespace rt
}  // namespace tp
