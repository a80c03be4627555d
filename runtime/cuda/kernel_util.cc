#include "runtime/cuda/kernel_util.h"

#include "core/status_macros.h"
#include "runtime/cuda/cuda_context.h"
#include "runtime/cuda/tensor/layout_impl.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace cuda {
namespace {
thread_local int64_t fallback_count = 0;
}  // namespace

absl::Status RunFallback(KernelContext& ctx, const KernelFn& fallback) {
  ++fallback_count;
  return fallback(ctx);
}

int64_t FallbackCount() { return fallback_count; }

bool MakeStrided(const Shape& out, const std::vector<Shape>& inputs, StridedShape* s) {
  const int rank = static_cast<int>(out.size());
  if (rank > kMaxRank || static_cast<int>(inputs.size()) > kMaxOperands) return false;
  *s = StridedShape();
  s->rank = rank;
  for (int d = 0; d < rank; ++d) s->dims[d] = out[d];
  for (size_t k = 0; k < inputs.size(); ++k) {
    const Shape& in = inputs[k];
    const int in_rank = static_cast<int>(in.size());
    if (in_rank > rank) return false;
    int64_t stride = 1;
    for (int d = rank - 1, j = in_rank - 1; d >= 0; --d, --j) {
      if (j < 0) {
        s->strides[k][d] = 0;
        continue;
      }
      if (in[j] == out[d]) {
        s->strides[k][d] = in[j] == 1 ? 0 : stride;
      } else if (in[j] == 1) {
        s->strides[k][d] = 0;
      } else {
        return false;
      }
      stride *= in[j];
    }
  }
  return true;
}

bool AllF32(std::initializer_list<const Tensor*> ts) {
  for (const Tensor* t : ts) {
    if (t == nullptr || t->dtype() != DType::kF32) return false;
  }
  return true;
}

bool Movable(const Tensor* t) {
  if (t == nullptr || IsQuantized(t->dtype())) return false;
  const int es = ElementSize(t->dtype());
  return (es == 1 || es == 2 || es == 4 || es == 8) && t->rank() <= kMaxRank;
}

absl::Status CopyOut(KernelContext& ctx, const Tensor& x, const Shape& out,
                     const StridedShape& s, int64_t x_base) {
  RETURN_IF_ERROR(CudaReady(ctx));
  const int es = ElementSize(x.dtype());
  ASSIGN_OR_RETURN(int64_t n, NumElements(out));
  ASSIGN_OR_RETURN(DeviceBuffer dx, Upload(ctx, x));
  ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, n * es));
  RETURN_IF_ERROR(CudaCheck(ctx, LaunchStridedCopy(dx.get(), x_base, dy.get(), 0, es, s),
                            "strided copy kernel"));
  ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, x.dtype(), out));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

void SetPackedDest(const Shape& out, StridedShape* s) {
  const std::vector<int64_t> st = RowMajorStrides(out);
  for (size_t d = 0; d < out.size(); ++d) s->strides[1][d] = st[d];
}

}  // namespace cuda
}  // namespace rt
}  // namespace tp
