// If: runs then_branch or else_branch (graph attributes, no inputs) by a one-element bool
// condition; the node's outputs are the branch's outputs, tensors, sequences or optionals alike.
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {

absl::Status IfKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* cond, ctx.Input(0));
  if (cond->num_elements() != 1) {
    return ctx.Invalid(
        absl::StrCat("cond has shape ", ShapeToString(cond->shape()), ", expected one element"));
  }
  ASSIGN_OR_RETURN(std::vector<int64_t> c, ReadAs<int64_t>(*cond));
  const char* branch = c[0] != 0 ? "then_branch" : "else_branch";
  ASSIGN_OR_RETURN(const onnx::GraphProto* g, ctx.GetGraph(branch));
  if (g->output_size() != ctx.num_outputs()) {
    return ctx.Invalid(
        absl::StrCat(branch, " has ", g->output_size(), " outputs, the node ", ctx.num_outputs()));
  }
  ASSIGN_OR_RETURN(SubgraphRunner * runner, ctx.subgraphs());
  ASSIGN_OR_RETURN(std::vector<Value> outs, runner->Run(*g, {}, branch));
  for (int i = 0; i < ctx.num_outputs(); ++i) ctx.SetOutputValue(i, std::move(outs[i]));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
