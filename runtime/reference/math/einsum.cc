// Einsum over any 1-N operand equation (implicit and explicit output, "..." broadcasting),
// summing in double.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/reference/math/matmul_params.h"
#include "runtime/reference/util.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {

// Einsum by direct index loops over every (output, summed) label combination.
absl::Status EinsumKernel(KernelContext& ctx) {
  std::vector<Shape> shapes;
  std::vector<std::vector<double>> values;
  DType dtype = DType::kF32;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    ASSIGN_OR_RETURN(const Tensor* t, ctx.Input(i));
    RETURN_IF_ERROR(CheckFloatInput(ctx, *t, absl::StrCat("input ", i)));
    if (i == 0) dtype = t->dtype();
    shapes.push_back(t->shape());
    ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*t));
    values.push_back(std::move(v));
  }
  if (shapes.empty()) {
    return ctx.Error(absl::StatusCode::kInvalidArgument, "Einsum needs at least one input");
  }
  ASSIGN_OR_RETURN(EinsumPlan p, PlanEinsum(ctx, shapes));
  // Loop labels: output labels first (row-major output order), then the summed ones.
  std::vector<int> loop = p.output_labels;
  loop.insert(loop.end(), p.summed_labels.begin(), p.summed_labels.end());
  std::vector<int64_t> loop_size;
  for (int l : loop) loop_size.push_back(p.label_size[l] < 0 ? 1 : p.label_size[l]);
  // strides[o][position in loop]: how far operand o moves when that label advances.
  const size_t num_ops = shapes.size();
  std::vector<std::vector<int64_t>> strides(num_ops, std::vector<int64_t>(loop.size(), 0));
  for (size_t o = 0; o < num_ops; ++o) {
    const std::vector<int64_t> rm = RowMajorStrides(shapes[o]);
    for (size_t dim = 0; dim < shapes[o].size(); ++dim) {
      if (shapes[o][dim] == 1 && p.label_size[p.operand_labels[o][dim]] != 1) continue;
      const size_t pos =
          std::find(loop.begin(), loop.end(), p.operand_labels[o][dim]) - loop.begin();
      strides[o][pos] += rm[dim];
    }
  }
  int64_t out_count = 1, sum_count = 1;
  for (size_t i = 0; i < p.output_labels.size(); ++i) out_count *= loop_size[i];
  for (size_t i = p.output_labels.size(); i < loop.size(); ++i) sum_count *= loop_size[i];
  if (sum_count > 0 && out_count > (int64_t{1} << 40) / sum_count) {
    return ctx.Error(absl::StatusCode::kUnimplemented,
                     absl::StrCat("Einsum needs ", out_count, " x ", sum_count,
                                  " products, more than the reference kernel's limit of 2^40"));
  }
  std::vector<double> y(out_count, 0.0);
  if (sum_count > 0) {
    std::vector<int64_t> idx(loop.size(), 0);
    std::vector<int64_t> offset(num_ops, 0);
    const int64_t total = out_count * sum_count;
    for (int64_t it = 0; it < total; ++it) {
      double prod = 1;
      for (size_t o = 0; o < num_ops; ++o) prod *= values[o][offset[o]];
      y[it / sum_count] += prod;
      for (int i = static_cast<int>(loop.size()) - 1; i >= 0; --i) {
        ++idx[i];
        for (size_t o = 0; o < num_ops; ++o) offset[o] += strides[o][i];
        if (idx[i] < loop_size[i]) break;
        for (size_t o = 0; o < num_ops; ++o) offset[o] -= strides[o][i] * idx[i];
        idx[i] = 0;
      }
    }
  }
  ASSIGN_OR_RETURN(Tensor out, WriteAs<double>(dtype, p.out_shape, y));
  ctx.SetOutput(0, std::move(out));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
