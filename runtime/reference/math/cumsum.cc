// CumSum along an axis, exclusive and reverse variants; double accumulation for floats.


#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {

absl::Status CumSumKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* a, ctx.Input(1));
  ASSIGN_OR_RETURN(std::vector<int64_t> axes, ReadInts(*a));
  if (axes.size() != 1) {
    return ctx.Error(absl::StatusCode::kInvalidArgument,
                     absl::StrCat("axis has ", axes.size(), " values; expected a scalar"));
  }
  absl::StatusOr<int> axis_or = NormalizeAxis(axes[0], x->rank());
  RETURN_IF_ERROR(ctx.Annotate(axis_or.status()));
  const int axis = *axis_or;
  const bool exclusive = ctx.GetInt("exclusive", 0) != 0;
  const bool reverse = ctx.GetInt("reverse", 0) != 0;
  const Shape& s = x->shape();
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= s[i];
  for (int i = axis + 1; i < x->rank(); ++i) inner *= s[i];
  const int64_t n = s[axis];
  auto run = [&](auto& v) {
    using T = typename std::decay_t<decltype(v)>::value_type;
    std::vector<T> out(v.size());
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t in = 0; in < inner; ++in) {
        T acc = 0;
        for (int64_t step = 0; step < n; ++step) {
          const int64_t j = reverse ? n - 1 - step : step;
          const int64_t k = (o * n + j) * inner + in;
          if (exclusive) { out[k] = acc; acc += v[k]; }
          else { acc += v[k]; out[k] = acc; }
        }
      }
    return out;
  };
  if (IsFloating(x->dtype())) {
    ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*x));
    ASSIGN_OR_RETURN(Tensor y, WriteAs<double>(x->dtype(), s, run(v)));
    ctx.SetOutput(0, std::move(y));
  } else {
    ASSIGN_OR_RETURN(std::vector<int64_t> v, ReadAs<int64_t>(*x));
    ASSIGN_OR_RETURN(Tensor y, WriteAs<int64_t>(x->dtype(), s, run(v)));
    ctx.SetOutput(0, std::move(y));
  }
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
