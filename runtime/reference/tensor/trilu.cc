// Trilu: the upper or lower triangle of the last two dims, diagonal offset k.

#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {

absl::Status TriluKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  if (x.rank() < 2) return ctx.Invalid("input must have rank >= 2");
  int64_t k = 0;
  if (const Tensor* kt = ctx.OptionalInput(1)) {
    ASSIGN_OR_RETURN(std::vector<int64_t> kv, ReadInts(*kt));
    if (kv.size() != 1) return ctx.Invalid("k must be a scalar");
    k = kv[0];
  }
  const bool upper = ctx.GetInt("upper", 1) != 0;
  const int64_t rows = x.shape()[x.rank() - 2], cols = x.shape()[x.rank() - 1];
  const int es = ElementSize(x.dtype());
  Tensor y = Tensor::Zeros(x.dtype(), x.shape());
  const int64_t mats = rows * cols == 0 ? 0 : x.num_elements() / (rows * cols);
  for (int64_t m = 0; m < mats; ++m)
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        const bool keep = upper ? j - i >= k : j - i <= k;
        if (!keep) continue;
        const int64_t off = (m * rows + i) * cols + j;
        std::memcpy(y.mutable_data() + off * es, x.data() + off * es, es);
      }
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
