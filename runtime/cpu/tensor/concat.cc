// Concat for every plain dtype: each input is one strided copy into its slab of the output.
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

absl::Status ConcatKernel(KernelContext& ctx) {
  if (ctx.num_inputs() == 0) return ReferenceFallback(ctx);
  std::vector<Tensor> ins;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    const Tensor* t = ctx.OptionalInput(i);
    if (t == nullptr) return ReferenceFallback(ctx);
    ins.push_back(*t);
  }
  const int rank = ins[0].rank();
  const int elem = CopyElementSize(ins[0].dtype());
  absl::StatusOr<int> axis_or = NormalizeAxis(ctx.GetInt("axis", 0), rank);
  if (!axis_or.ok() || elem == 0) return ReferenceFallback(ctx);
  const int axis = *axis_or;
  Shape out = ins[0].shape();
  out[axis] = 0;
  for (const Tensor& t : ins) {
    bool same = t.rank() == rank && t.dtype() == ins[0].dtype();
    for (int d = 0; same && d < rank; ++d) same = d == axis || t.shape()[d] == ins[0].shape()[d];
    if (!same) return ReferenceFallback(ctx);  // the reference names the mismatching input
    out[axis] += t.shape()[axis];
  }
  Tensor y = Tensor::Uninitialized(ins[0].dtype(), out);
  const std::vector<int64_t> ys = RowMajorStrides(out);
  int64_t offset = 0;
  for (const Tensor& t : ins) {
    ASSIGN_OR_RETURN(Tensor c, t.Contiguous());
    CopyBox(c.data(), RowMajorStrides(c.shape()), y.mutable_data() + offset * ys[axis] * elem, ys,
            c.shape(), elem, Threads(ctx));
    offset += t.shape()[axis];
  }
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace cpu
}  // namespace rt
}  // namespace tp
