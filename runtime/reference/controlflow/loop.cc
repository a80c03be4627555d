// Loop: runs `body` while the trip count M (optional input 0) is not reached and the condition
// (optional input 1, then the body's first output) holds. Body inputs: iteration number (int64
// scalar), condition, N loop-carried values; body outputs: condition, N loop-carried values, K
// scan outputs. The node outputs the final loop-carried values (tensors, sequences or optionals)
// and the K scan outputs stacked along a new first axis.
#include <cstdint>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/reference/util.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {
namespace {

absl::StatusOr<bool> ScalarBool(const KernelContext& ctx, const Value& v, const char* what) {
  if (!v.is_tensor() || v.tensor().num_elements() != 1) {
    return ctx.Invalid(absl::StrCat(what, " is a ", v.Describe(), ", expected one bool"));
  }
  ASSIGN_OR_RETURN(std::vector<int64_t> c, ReadAs<int64_t>(v.tensor()));
  return c[0] != 0;
}

// A scan output of zero iterations: [0] followed by the body output's declared dims (0 where a
// dim is symbolic), of its declared element type.
Tensor EmptyScanOutput(const onnx::ValueInfoProto& decl) {
  DType dtype = DType::kF32;
  Shape shape = {0};
  if (decl.type().has_tensor_type()) {
    const auto& tt = decl.type().tensor_type();
    if (absl::StatusOr<DType> d = DTypeFromOnnx(tt.elem_type()); d.ok()) dtype = *d;
    for (const auto& dim : tt.shape().dim())
      shape.push_back(dim.has_dim_value() ? dim.dim_value() : 0);
  }
  return Tensor::Zeros(dtype, shape);
}

}  // namespace

absl::Status LoopKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const onnx::GraphProto* body, ctx.GetGraph("body"));
  ASSIGN_OR_RETURN(SubgraphRunner * runner, ctx.subgraphs());
  const int n_carried = ctx.num_inputs() - 2;
  if (n_carried < 0) return ctx.Invalid("expected inputs M, cond and the loop-carried values");
  if (body->input_size() != n_carried + 2) {
    return ctx.Invalid(absl::StrCat("body has ", body->input_size(), " inputs, expected ",
                                    n_carried + 2, " (iteration, condition, ", n_carried,
                                    " loop-carried)"));
  }
  const int n_scan = body->output_size() - 1 - n_carried;
  if (n_scan < 0 || ctx.num_outputs() != n_carried + n_scan) {
    return ctx.Invalid(absl::StrCat("body has ", body->output_size(), " outputs and the node ",
                                    ctx.num_outputs(), "; expected 1 + ", n_carried,
                                    " loop-carried + scan outputs"));
  }
  int64_t trip_count = std::numeric_limits<int64_t>::max();
  if (const Tensor* m = ctx.OptionalInput(0)) {
    ASSIGN_OR_RETURN(trip_count, ScalarInt(ctx, *m, "M"));
  }
  bool cond = true;
  const bool has_cond = ctx.HasInput(1);
  if (has_cond) {
    ASSIGN_OR_RETURN(cond, ScalarBool(ctx, *ctx.InputValue(1), "cond"));
  }
  if (!ctx.HasInput(0) && !has_cond) {
    return ctx.Error(absl::StatusCode::kUnimplemented,
                     "has neither a trip count M nor a condition, so it never ends");
  }
  std::vector<Value> carried;
  for (int i = 0; i < n_carried; ++i) {
    const Value* v = ctx.InputValue(2 + i);
    carried.push_back(v != nullptr ? *v : Value::None());
  }
  std::vector<std::vector<Tensor>> scans(n_scan);
  int64_t iter = 0;
  for (; iter < trip_count && cond; ++iter) {
    Tensor i_t = Tensor::Zeros(DType::kI64, {});
    i_t.mutable_data_as<int64_t>()[0] = iter;
    Tensor c_t = Tensor::Zeros(DType::kBool, {});
    c_t.mutable_data()[0] = cond ? 1 : 0;
    std::vector<Value> in = {Value::FromTensor(i_t), Value::FromTensor(c_t)};
    in.insert(in.end(), carried.begin(), carried.end());
    ASSIGN_OR_RETURN(std::vector<Value> out,
                     runner->Run(*body, std::move(in), absl::StrCat("iter ", iter)));
    // Without an input condition the body's condition output is ignored (a plain for loop).
    if (has_cond) {
      ASSIGN_OR_RETURN(cond, ScalarBool(ctx, out[0], "the body's condition output"));
    }
    for (int i = 0; i < n_carried; ++i) carried[i] = std::move(out[1 + i]);
    for (int k = 0; k < n_scan; ++k) {
      const Value& v = out[1 + n_carried + k];
      if (!v.is_tensor()) {
        return ctx.Invalid(
            absl::StrCat("scan output ", k, " is a ", v.Describe(), ", expected a tensor"));
      }
      scans[k].push_back(v.tensor());
    }
  }
  for (int i = 0; i < n_carried; ++i) ctx.SetOutputValue(i, std::move(carried[i]));
  for (int k = 0; k < n_scan; ++k) {
    if (scans[k].empty()) {
      ctx.SetOutput(n_carried + k, EmptyScanOutput(body->output(1 + n_carried + k)));
      continue;
    }
    absl::StatusOr<Tensor> y = StackAlong(scans[k], 0);
    if (!y.ok()) {
      return ctx.Invalid(absl::StrCat("scan output ", k, ": ", y.status().message()));
    }
    ctx.SetOutput(n_carried + k, *std::move(y));
  }
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
