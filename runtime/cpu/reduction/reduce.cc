// Fast float32 ReduceMean over trailing axes (the decomposed LayerNorm's); other axes and dtypes
// go to the reference kernel.

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
#include "runtime/cpu/vector_math.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace cpu {

absl::Status ReduceMeanKernel(KernelContext& ctx) {
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

}  // namespace cpu
}  // namespace rt
}  // namespace tp
