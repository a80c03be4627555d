// SequenceMap: runs `body` once per element of the first input sequence; other inputs are
// sequences of the same length (their i-th element is passed) or tensors (passed every time). The
// node's outputs are sequences of the body's outputs.
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {

absl::Status SequenceMapKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const onnx::GraphProto* body, ctx.GetGraph("body"));
  ASSIGN_OR_RETURN(SubgraphRunner * runner, ctx.subgraphs());
  const Value* first = ctx.InputValue(0);
  if (first == nullptr || !first->is_sequence()) {
    return ctx.Invalid("input 0 must be a sequence");
  }
  const size_t n = first->items().size();
  if (body->input_size() != ctx.num_inputs() || body->output_size() != ctx.num_outputs()) {
    return ctx.Invalid(absl::StrCat("body has ", body->input_size(), " inputs and ",
                                    body->output_size(), " outputs; the node ", ctx.num_inputs(),
                                    " and ", ctx.num_outputs()));
  }
  for (int i = 1; i < ctx.num_inputs(); ++i) {
    const Value* v = ctx.InputValue(i);
    if (v == nullptr || v->is_none()) return ctx.Invalid(absl::StrCat("input ", i, " is missing"));
    if (v->is_sequence() && v->items().size() != n) {
      return ctx.Invalid(
          absl::StrCat("input ", i, " has ", v->items().size(), " elements, input 0 has ", n));
    }
  }
  std::vector<std::vector<Tensor>> outs(ctx.num_outputs());
  for (size_t k = 0; k < n; ++k) {
    std::vector<Value> in;
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      const Value* v = ctx.InputValue(i);
      in.push_back(v->is_sequence() ? Value::FromTensor(v->items()[k]) : *v);
    }
    ASSIGN_OR_RETURN(std::vector<Value> out,
                     runner->Run(*body, std::move(in), absl::StrCat("iter ", k)));
    for (int j = 0; j < ctx.num_outputs(); ++j) {
      if (!out[j].is_tensor()) {
        return ctx.Invalid(
            absl::StrCat("body output ", j, " is a ", out[j].Describe(), ", expected a tensor"));
      }
      outs[j].push_back(out[j].tensor());
    }
  }
  for (int j = 0; j < ctx.num_outputs(); ++j) {
    DType dtype = outs[j].empty() ? DType::kF32 : outs[j][0].dtype();
    if (outs[j].empty() && body->output(j).type().has_tensor_type()) {
      absl::StatusOr<DType> d = DTypeFromOnnx(body->output(j).type().tensor_type().elem_type());
      if (d.ok()) dtype = *d;
    }
    ctx.SetOutputValue(j, Value::Sequence(dtype, std::move(outs[j])));
  }
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
