// Det: determinants of the [.., M, M] matrices by LU decomposition with partial pivoting, in
// double.
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {

absl::Status DetKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  if (!IsFloating(x->dtype())) return ctx.Invalid("X must be a floating tensor");
  const int r = x->rank();
  if (r < 2 || x->shape()[r - 1] != x->shape()[r - 2]) {
    return ctx.Invalid(
        absl::StrCat("X has shape ", ShapeToString(x->shape()), ", expected [..., M, M]"));
  }
  const int64_t m = x->shape()[r - 1];
  Shape out(x->shape().begin(), x->shape().end() - 2);
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*x));
  const int64_t batch = m == 0 ? 0 : static_cast<int64_t>(v.size()) / (m * m);
  ASSIGN_OR_RETURN(int64_t n_out, NumElements(out));
  std::vector<double> det(n_out, 1.0);  // an empty matrix has determinant 1
  for (int64_t b = 0; b < batch; ++b) {
    double* a = v.data() + b * m * m;
    double d = 1.0;
    for (int64_t col = 0; col < m; ++col) {
      int64_t pivot = col;
      for (int64_t row = col + 1; row < m; ++row) {
        if (std::fabs(a[row * m + col]) > std::fabs(a[pivot * m + col])) pivot = row;
      }
      if (a[pivot * m + col] == 0.0) {
        d = 0.0;
        break;
      }
      if (pivot != col) {
        for (int64_t k = 0; k < m; ++k) std::swap(a[col * m + k], a[pivot * m + k]);
        d = -d;
      }
      d *= a[col * m + col];
      for (int64_t row = col + 1; row < m; ++row) {
        const double f = a[row * m + col] / a[col * m + col];
        for (int64_t k = col; k < m; ++k) a[row * m + k] -= f * a[col * m + k];
      }
    }
    det[b] = d;
  }
  ASSIGN_OR_RETURN(Tensor t, WriteAs<double>(x->dtype(), out, det));
  ctx.SetOutput(0, std::move(t));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
