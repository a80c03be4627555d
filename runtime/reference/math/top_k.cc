// TopK: the k largest or smallest along an axis, stable for equal values (lower index first),
// optionally sorted.

#include <algorithm>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {

absl::Status TopKKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  int64_t k;
  if (ctx.opset() >= 10) {
    ASSIGN_OR_RETURN(const Tensor* kt, ctx.Input(1));
    ASSIGN_OR_RETURN(std::vector<int64_t> kv, ReadInts(*kt));
    if (kv.size() != 1) return ctx.Invalid("K must hold one value");
    k = kv[0];
  } else {
    k = ctx.GetInt("k", 0);
  }
  absl::StatusOr<int> axis = NormalizeAxis(ctx.GetInt("axis", -1), x->rank());
  RETURN_IF_ERROR(ctx.Annotate(axis.status()));
  const bool largest = ctx.GetInt("largest", 1) != 0;
  const int64_t n = x->shape()[*axis];
  if (k < 0 || k > n) return ctx.Invalid(absl::StrCat("K ", k, " for a dim of ", n));
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < *axis; ++i) outer *= x->shape()[i];
  for (int i = *axis + 1; i < x->rank(); ++i) inner *= x->shape()[i];
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*x));
  Shape out = x->shape();
  out[*axis] = k;
  std::vector<double> vals(outer * k * inner);
  std::vector<int64_t> idxs(vals.size());
  std::vector<int64_t> order(n);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t in = 0; in < inner; ++in) {
      auto at = [&](int64_t j) { return v[(o * n + j) * inner + in]; };
      std::iota(order.begin(), order.end(), 0);
      // Ties keep the lower index first.
      std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        return largest ? at(a) > at(b) : at(a) < at(b);
      });
      for (int64_t j = 0; j < k; ++j) {
        vals[(o * k + j) * inner + in] = at(order[j]);
        idxs[(o * k + j) * inner + in] = order[j];
      }
    }
  if (IsIntegral(x->dtype())) {
    std::vector<int64_t> vi(vals.begin(), vals.end());
    ASSIGN_OR_RETURN(Tensor t, WriteAs<int64_t>(x->dtype(), out, vi));
    ctx.SetOutput(0, std::move(t));
  } else {
    ASSIGN_OR_RETURN(Tensor t, WriteAs<double>(x->dtype(), out, vals));
    ctx.SetOutput(0, std::move(t));
  }
  ASSIGN_OR_RETURN(Tensor it, WriteAs<int64_t>(DType::kI64, out, idxs));
  ctx.SetOutput(1, std::move(it));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
