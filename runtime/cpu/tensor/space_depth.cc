// DepthToSpace and SpaceToDepth for every plain dtype: the 6-D transposes the spec defines, as
// one strided copy each.
#include <vector>

#include "core/status_macros.h"
#include "core/tensor.h"
#include "runtime/cpu/cpu_util.h"
#include "runtime/cpu/kernels.h"
#include "runtime/cpu/tensor/copy.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace cpu {
namespace {

// y (dense, `out`) = x viewed as `view` and permuted by `perm`.
absl::Status Permuted(KernelContext& ctx, const Tensor& x_in, const Shape& view,
                      const std::vector<int>& perm, const Shape& out) {
  const int elem = CopyElementSize(x_in.dtype());
  ASSIGN_OR_RETURN(Tensor x, x_in.Contiguous());
  const std::vector<int64_t> vs = RowMajorStrides(view);
  Shape box(perm.size());
  std::vector<int64_t> strides(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) {
    box[i] = view[perm[i]];
    strides[i] = vs[perm[i]];
  }
  Tensor y = Tensor::Uninitialized(x.dtype(), out);
  CopyBox(x.data(), strides, y.mutable_data(), RowMajorStrides(box), box, elem, Threads(ctx));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace

absl::Status DepthToSpaceKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  const int64_t b = ctx.GetInt("blocksize", 0);
  if (x->rank() != 4 || b <= 0 || x->shape()[1] % (b * b) != 0 ||
      CopyElementSize(x->dtype()) == 0) {
    return ReferenceFallback(ctx);
  }
  const int64_t n = x->shape()[0], c = x->shape()[1], h = x->shape()[2], w = x->shape()[3];
  const Shape out = {n, c / (b * b), h * b, w * b};
  if (ctx.GetString("mode", "DCR") == "CRD") {
    return Permuted(ctx, *x, {n, c / (b * b), b, b, h, w}, {0, 1, 4, 2, 5, 3}, out);
  }
  return Permuted(ctx, *x, {n, b, b, c / (b * b), h, w}, {0, 3, 4, 1, 5, 2}, out);
}

absl::Status SpaceToDepthKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  const int64_t b = ctx.GetInt("blocksize", 0);
  if (x->rank() != 4 || b <= 0 || x->shape()[2] % b != 0 || x->shape()[3] % b != 0 ||
      CopyElementSize(x->dtype()) == 0) {
    return ReferenceFallback(ctx);
  }
  const int64_t n = x->shape()[0], c = x->shape()[1], h = x->shape()[2], w = x->shape()[3];
  return Permuted(ctx, *x, {n, c, h / b, b, w / b, b}, {0, 3, 5, 1, 2, 4},
                  {n, c * b * b, h / b, w / b});
}

}  // namespace cpu
}  // namespace rt
}  // namespace tp
