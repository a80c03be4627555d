// OneHot: depth from a scalar input, values [off, on], negative indices wrap.

#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {

absl::Status OneHotKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* ind, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* depth_t, ctx.Input(1));
  ASSIGN_OR_RETURN(const Tensor* values, ctx.Input(2));
  ASSIGN_OR_RETURN(std::vector<double> dv, ReadAs<double>(*depth_t));
  ASSIGN_OR_RETURN(std::vector<double> iv, ReadAs<double>(*ind));
  if (dv.size() != 1 || values->num_elements() != 2) {
    return ctx.Invalid("depth must be one value and values two");
  }
  const int64_t depth = static_cast<int64_t>(dv[0]);
  if (depth < 0 || depth > (int64_t{1} << 31)) return ctx.Invalid("depth out of range");
  const int out_rank = ind->rank() + 1;
  absl::StatusOr<int> axis = NormalizeAxis(ctx.GetInt("axis", -1), out_rank);
  RETURN_IF_ERROR(ctx.Annotate(axis.status()));
  Shape out(ind->shape());
  out.insert(out.begin() + *axis, depth);
  RETURN_IF_ERROR(ctx.Annotate(CheckOutputShape(out)));
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < *axis; ++i) outer *= out[i];
  for (int i = *axis + 1; i < out_rank; ++i) inner *= out[i];
  ASSIGN_OR_RETURN(Tensor vals, values->Contiguous());
  const int es = ElementSize(vals.dtype());
  Tensor y = Tensor::Zeros(vals.dtype(), out);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t d = 0; d < depth; ++d)
      for (int64_t in = 0; in < inner; ++in) {
        int64_t i = static_cast<int64_t>(iv[o * inner + in]);
        if (i < 0) i += depth;
        const bool on = i == d;
        std::memcpy(y.mutable_data() + ((o * depth + d) * inner + in) * es,
                    vals.data() + (on ? es : 0), es);
      }
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
