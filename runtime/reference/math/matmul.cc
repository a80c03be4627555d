// MatMul with NumPy semantics (batched, broadcast, 1-D operands), every dot product in double.


#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/reference/math/matmul_params.h"
#include "runtime/reference/util.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {

absl::Status MatMulKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* a, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* b, ctx.Input(1));
  RETURN_IF_ERROR(CheckFloatInput(ctx, *a, "input A"));
  RETURN_IF_ERROR(CheckFloatInput(ctx, *b, "input B"));
  ASSIGN_OR_RETURN(MatMulPlan p, PlanMatMul(ctx, a->shape(), b->shape()));
  ASSIGN_OR_RETURN(std::vector<double> av, ReadAs<double>(*a));
  ASSIGN_OR_RETURN(std::vector<double> bv, ReadAs<double>(*b));
  const int64_t batches = p.a_batch.size();
  std::vector<double> y(batches * p.m * p.n, 0.0);
  for (int64_t i = 0; i < batches; ++i) {
    const double* am = av.data() + p.a_batch[i] * p.m * p.k;
    const double* bm = bv.data() + p.b_batch[i] * p.k * p.n;
    double* ym = y.data() + i * p.m * p.n;
    for (int64_t r = 0; r < p.m; ++r) {
      for (int64_t c = 0; c < p.n; ++c) {
        double acc = 0;
        for (int64_t j = 0; j < p.k; ++j) acc += am[r * p.k + j] * bm[j * p.n + c];
        ym[r * p.n + c] = acc;
      }
    }
  }
  ASSIGN_OR_RETURN(Tensor out, WriteAs<double>(a->dtype(), p.out_shape, y));
  ctx.SetOutput(0, std::move(out));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
