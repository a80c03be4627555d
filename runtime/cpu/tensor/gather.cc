// Gather for every plain dtype: one contiguous copy per (outer position, index).
#include <cstring>
#include <vector>

#include "core/status_macros.h"
#include "core/tensor.h"
#include "runtime/cpu/cpu_util.h"
#include "runtime/cpu/kernels.h"
#include "runtime/cpu/tensor/copy.h"
#include "runtime/cpu/thread_pool.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace cpu {

absl::Status GatherKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x_in, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* ind, ctx.Input(1));
  const int elem = CopyElementSize(x_in->dtype());
  absl::StatusOr<int> axis_or = NormalizeAxis(ctx.GetInt("axis", 0), x_in->rank());
  absl::StatusOr<std::vector<int64_t>> idx_or = ReadInts(*ind);
  if (elem == 0 || !axis_or.ok() || !idx_or.ok()) return ReferenceFallback(ctx);
  const int axis = *axis_or;
  std::vector<int64_t> idx = *std::move(idx_or);
  const int64_t d = x_in->shape()[axis];
  for (int64_t& i : idx) {
    if (i < -d || i >= d) return ReferenceFallback(ctx);  // the reference words the error
    if (i < 0) i += d;
  }
  ASSIGN_OR_RETURN(Tensor x, x_in->Contiguous());
  Shape out(x.shape().begin(), x.shape().begin() + axis);
  out.insert(out.end(), ind->shape().begin(), ind->shape().end());
  out.insert(out.end(), x.shape().begin() + axis + 1, x.shape().end());
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= x.shape()[i];
  for (int i = axis + 1; i < x.rank(); ++i) inner *= x.shape()[i];
  Tensor y = Tensor::Uninitialized(x.dtype(), out);
  const int64_t chunk = inner * elem, n = static_cast<int64_t>(idx.size());
  const uint8_t* src = x.data();
  uint8_t* dst = y.mutable_data();
  const int threads = outer * n * chunk >= (int64_t{1} << 20) ? Threads(ctx) : 1;
  ParallelFor(threads, outer * n, [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {
      const int64_t o = k / n, i = idx[k % n];
      std::memcpy(dst + k * chunk, src + (o * d + i) * chunk, chunk);
    }
  });
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace cpu
}  // namespace rt
}  // namespace tp
