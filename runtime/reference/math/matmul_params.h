// Shape resolution for the products and Softmax (MatMul, MatMulInteger, QLinearMatMul, Gemm,
// Einsum, Softmax / LogSoftmax / Hardmax), shared by every backend.
//
// Example:
//   ASSIGN_OR_RETURN(MatMulPlan p, PlanMatMul(ctx, a->shape(), b->shape()));
//   for (size_t i = 0; i < p.a_batch.size(); ++i) ... [m, k] x [k, n] ...
#ifndef TENSORPORT_RUNTIME_REFERENCE_MATH_MATMUL_PARAMS_H_
#define TENSORPORT_RUNTIME_REFERENCE_MATH_MATMUL_PARAMS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/tensor.h"
#include "runtime/kernel.h"

namespace tp {
namespace rt {

// MatMul with NumPy semantics: 1-D operands are promoted (and the added dim dropped from the
// result), batch dims broadcast. `a_batch[i]` / `b_batch[i]` give, for output batch i, the index
// of the [m, k] / [k, n] matrix inside A / B.
struct MatMulPlan {
  Shape out_shape;
  int64_t m = 0, k = 0, n = 0;
  std::vector<int64_t> a_batch, b_batch;
};
absl::StatusOr<MatMulPlan> PlanMatMul(const KernelContext& ctx, const Shape& a, const Shape& b);

// Gemm: Y = alpha * A' * B' + beta * C, with A' = transA ? A^T : A (A is 2-D).
struct GemmParams {
  int64_t m = 0, k = 0, n = 0;
  bool trans_a = false, trans_b = false;
  double alpha = 1.0, beta = 1.0;
  // C broadcast to [m, n]: element (i, j) is at c_row_stride * i + c_col_stride * j.
  bool has_c = false;
  int64_t c_row_stride = 0, c_col_stride = 0;
};
absl::StatusOr<GemmParams> ResolveGemm(const KernelContext& ctx, const Shape& a, const Shape& b,
                                       const Tensor* c);

// Einsum equation, parsed and checked against the operand shapes. Labels are small integers:
// letters map to 0..51, the broadcast dims of "..." to 52 and up (right-aligned across
// operands).
struct EinsumPlan {
  int num_labels = 0;
  std::vector<int64_t> label_size;            // per label
  std::vector<std::vector<int>> operand_labels;  // per operand, per dim
  std::vector<int> output_labels;
  std::vector<int> summed_labels;             // labels not in the output
  Shape out_shape;
};
absl::StatusOr<EinsumPlan> PlanEinsum(const KernelContext& ctx, const std::vector<Shape>& shapes);

// Shape of the Softmax / LogSoftmax computation as [outer, axis, inner] (opset >= 13: one axis;
// before: everything from `axis` on is flattened into the axis).
struct SoftmaxGeometry {
  int64_t outer = 1, axis = 1, inner = 1;
};
absl::StatusOr<SoftmaxGeometry> ResolveSoftmax(const KernelContext& ctx, const Shape& x);

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_REFERENCE_MATH_MATMUL_PARAMS_H_
