// Concat along one axis, any element type.

#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {

absl::Status ConcatKernel(KernelContext& ctx) {
  std::vector<Tensor> ins;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    ASSIGN_OR_RETURN(const Tensor* t, ctx.Input(i));
    ASSIGN_OR_RETURN(Tensor p, t->Contiguous());
    ins.push_back(std::move(p));
  }
  if (ins.empty()) return ctx.Invalid("no inputs");
  const int rank = ins[0].rank();
  absl::StatusOr<int> axis_or = NormalizeAxis(ctx.GetInt("axis", 0), rank);
  RETURN_IF_ERROR(ctx.Annotate(axis_or.status()));
  const int axis = *axis_or;
  Shape out = ins[0].shape();
  out[axis] = 0;
  for (const Tensor& t : ins) {
    bool ok = t.rank() == rank && t.dtype() == ins[0].dtype();
    for (int i = 0; ok && i < rank; ++i) ok = i == axis || t.shape()[i] == ins[0].shape()[i];
    if (!ok) {
      return ctx.Invalid(absl::StrCat("input ", DTypeName(t.dtype()), " ",
                                       ShapeToString(t.shape()), " does not match ",
                                       DTypeName(ins[0].dtype()), " ",
                                       ShapeToString(ins[0].shape()), " outside axis ", axis));
    }
    out[axis] += t.shape()[axis];
  }
  Tensor y = Tensor::Zeros(ins[0].dtype(), out);
  const int es = ElementSize(y.dtype());
  int64_t outer = 1;
  for (int i = 0; i < axis; ++i) outer *= out[i];
  int64_t inner = 1;
  for (int i = axis + 1; i < rank; ++i) inner *= out[i];
  const int64_t out_row = out[axis] * inner * es;
  int64_t col = 0;
  for (const Tensor& t : ins) {
    const int64_t row = t.shape()[axis] * inner * es;
    for (int64_t o = 0; o < outer; ++o) {
      if (row > 0) std::memcpy(y.mutable_data() + o * out_row + col, t.data() + o * row, row);
    }
    col += row;
  }
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
