// Expand and Tile for every plain dtype: Expand is one strided copy with stride 0 along the
// broadcast dims; Tile one strided copy of the input per tile.
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

absl::Status ExpandKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x_in, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* s, ctx.Input(1));
  const int elem = CopyElementSize(x_in->dtype());
  absl::StatusOr<std::vector<int64_t>> shape = ReadInts(*s);
  if (elem == 0 || !shape.ok() || !CheckOutputShape(*shape).ok()) return ReferenceFallback(ctx);
  absl::StatusOr<Shape> out = BroadcastShapes({x_in->shape(), *shape});
  if (!out.ok() || !CheckOutputShape(*out).ok()) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(Tensor x, x_in->Contiguous());
  const int rank = static_cast<int>(out->size());
  const std::vector<int64_t> xs = RowMajorStrides(x.shape());
  std::vector<int64_t> strides(rank, 0);
  for (int d = 0; d < x.rank(); ++d) {
    const int od = d + rank - x.rank();
    strides[od] = x.shape()[d] == 1 ? 0 : xs[d];
  }
  Tensor y = Tensor::Uninitialized(x.dtype(), *out);
  CopyBox(x.data(), strides, y.mutable_data(), RowMajorStrides(*out), *out, elem, Threads(ctx));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status TileKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x_in, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* r, ctx.Input(1));
  const int elem = CopyElementSize(x_in->dtype());
  absl::StatusOr<std::vector<int64_t>> rep = ReadInts(*r);
  if (elem == 0 || !rep.ok() || static_cast<int>(rep->size()) != x_in->rank()) {
    return ReferenceFallback(ctx);
  }
  const int rank = x_in->rank();
  Shape out(rank);
  int64_t tiles = 1;
  for (int d = 0; d < rank; ++d) {
    if ((*rep)[d] < 0) return ReferenceFallback(ctx);
    out[d] = x_in->shape()[d] * (*rep)[d];
    tiles *= (*rep)[d];
  }
  if (!CheckOutputShape(out).ok()) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(Tensor x, x_in->Contiguous());
  Tensor y = Tensor::Uninitialized(x.dtype(), out);
  const std::vector<int64_t> xs = RowMajorStrides(x.shape()), ys = RowMajorStrides(out);
  std::vector<int64_t> t(rank, 0);
  for (int64_t k = 0; k < tiles && x.num_elements() > 0; ++k) {
    int64_t off = 0;
    for (int d = 0; d < rank; ++d) off += t[d] * x.shape()[d] * ys[d];
    CopyBox(x.data(), xs, y.mutable_data() + off * elem, ys, x.shape(), elem, Threads(ctx));
    for (int d = rank - 1; d >= 0; --d) {
      if (++t[d] < (*rep)[d]) break;
      t[d] = 0;
    }
  }
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace cpu
}  // namespace rt
}  // namespace tp
