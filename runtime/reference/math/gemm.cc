// Gemm: Y = alpha * A' * B' + beta * C, every dot product in double.


#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/reference/math/matmul_params.h"
#include "runtime/reference/util.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {

absl::Status GemmKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* a, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* b, ctx.Input(1));
  const Tensor* c = ctx.OptionalInput(2);
  RETURN_IF_ERROR(CheckFloatInput(ctx, *a, "input A"));
  RETURN_IF_ERROR(CheckFloatInput(ctx, *b, "input B"));
  ASSIGN_OR_RETURN(GemmParams p, ResolveGemm(ctx, a->shape(), b->shape(), c));
  ASSIGN_OR_RETURN(std::vector<double> av, ReadAs<double>(*a));
  ASSIGN_OR_RETURN(std::vector<double> bv, ReadAs<double>(*b));
  std::vector<double> cv;
  if (c != nullptr) {
    ASSIGN_OR_RETURN(cv, ReadAs<double>(*c));
  }
  std::vector<double> y(p.m * p.n, 0.0);
  for (int64_t i = 0; i < p.m; ++i) {
    for (int64_t j = 0; j < p.n; ++j) {
      double acc = 0;
      for (int64_t l = 0; l < p.k; ++l) {
        const double x = p.trans_a ? av[l * p.m + i] : av[i * p.k + l];
        const double w = p.trans_b ? bv[j * p.k + l] : bv[l * p.n + j];
        acc += x * w;
      }
      double v = p.alpha * acc;
      if (p.has_c) v += p.beta * cv[i * p.c_row_stride + j * p.c_col_stride];
      y[i * p.n + j] = v;
    }
  }
  ASSIGN_OR_RETURN(Tensor out, WriteAs<double>(a->dtype(), {p.m, p.n}, y));
  ctx.SetOutput(0, std::move(out));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
