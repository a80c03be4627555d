// Transpose: a strided element copy, any element type.


#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/reference/util.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {

absl::Status TransposeKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  const int rank = x.rank();
  std::vector<int64_t> perm = ctx.GetInts("perm", {});
  if (perm.empty()) for (int i = rank - 1; i >= 0; --i) perm.push_back(i);
  if (static_cast<int>(perm.size()) != rank) {
    return ctx.Invalid(absl::StrCat("perm has ", perm.size(), " entries; input rank is ", rank));
  }
  std::vector<bool> seen(rank, false);
  for (int64_t& p : perm) {
    if (p < 0) p += rank;
    if (p < 0 || p >= rank || seen[p]) {
      return ctx.Invalid(absl::StrCat("perm [", absl::StrJoin(perm, ", "),
                                       "] is not a permutation of 0..", rank - 1));
    }
    seen[p] = true;
  }
  std::vector<int64_t> st = RowMajorStrides(x.shape()), strides(rank);
  Shape out(rank);
  for (int i = 0; i < rank; ++i) {
    out[i] = x.shape()[perm[i]];
    strides[i] = st[perm[i]];
  }
  Tensor y = Tensor::Zeros(x.dtype(), out);
  StridedCopy(x.data(), 0, strides, out, ElementSize(x.dtype()), y.mutable_data());
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
