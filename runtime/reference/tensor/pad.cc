// Pad: constant, reflect, edge (and wrap, opset 19), pads from the attribute (opset < 11) or
// inputs, negative pads crop.

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/reference/tensor/tensor_params.h"
#include "runtime/reference/util.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {

absl::Status PadKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  const int rank = x.rank();
  ASSIGN_OR_RETURN(PadParams p, ResolvePad(ctx, x.shape()));
  // Fill value in the element type: one element converted through WriteAs.
  ASSIGN_OR_RETURN(Tensor fill, WriteAs<double>(x.dtype(), {1}, {p.value}));
  std::vector<int64_t> st = RowMajorStrides(x.shape());
  const int es = ElementSize(x.dtype());
  Tensor y = Tensor::Zeros(x.dtype(), p.out);
  ForEachIndex(p.out, [&](int64_t k, const std::vector<int64_t>& pos) {
    int64_t off = 0;
    bool outside = false;
    for (int d = 0; d < rank && !outside; ++d) {
      const int64_t s = PadSource(p.mode, pos[d] - p.before[d], x.shape()[d]);
      outside = s < 0;
      off += s * st[d];
    }
    std::memcpy(y.mutable_data() + k * es, outside ? fill.data() : x.data() + off * es, es);
  });
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
