// Expand (bidirectional broadcast to a shape) and Tile.


#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/reference/util.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {

absl::Status ExpandKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* s, ctx.Input(1));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  absl::StatusOr<std::vector<int64_t>> shape = ReadInts(*s);
  RETURN_IF_ERROR(ctx.Annotate(shape.status()));
  RETURN_IF_ERROR(ctx.Annotate(CheckOutputShape(*shape)));
  absl::StatusOr<Shape> out = BroadcastShapes({x.shape(), *shape});
  RETURN_IF_ERROR(ctx.Annotate(out.status()));
  RETURN_IF_ERROR(ctx.Annotate(CheckOutputShape(*out)));
  ctx.SetOutput(0, GatherFlat(x, *out, BroadcastIndex(x.shape(), *out)));
  return absl::OkStatus();
}

absl::Status TileKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* r, ctx.Input(1));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  absl::StatusOr<std::vector<int64_t>> rep = ReadInts(*r);
  RETURN_IF_ERROR(ctx.Annotate(rep.status()));
  if (static_cast<int>(rep->size()) != x.rank()) {
    return ctx.Invalid(absl::StrCat("repeats has ", rep->size(), " values; input rank is ",
                                     x.rank()));
  }
  Shape out(x.rank());
  for (int i = 0; i < x.rank(); ++i) {
    if ((*rep)[i] < 0) return ctx.Invalid("negative repeat");
    out[i] = x.shape()[i] * (*rep)[i];
  }
  RETURN_IF_ERROR(ctx.Annotate(CheckOutputShape(out)));
  std::vector<int64_t> st = RowMajorStrides(x.shape());
  std::vector<int64_t> index;
  ForEachIndex(out, [&](int64_t, const std::vector<int64_t>& pos) {
    int64_t off = 0;
    for (int d = 0; d < x.rank(); ++d) off += (pos[d] % x.shape()[d]) * st[d];
    index.push_back(off);
  });
  ctx.SetOutput(0, GatherFlat(x, out, index));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
