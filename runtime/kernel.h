// The kernel interface of the ONNX runtime: what one node's implementation sees and returns, and
// the per-backend kernel tables (op, opset range -> kernel).
//
// Each backend has one explicit table (runtime/<backend>/kernel_table.cc) listing every kernel
// with its opset range, so coverage gaps show at a glance; the session checks every node of a
// graph against the chosen backend's table before running anything.
//
// Example (a kernel):
//   absl::Status ReluReference(KernelContext& ctx) {
//     ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
//     Tensor y = Tensor::Zeros(x->dtype(), x->shape());
//     ... fill y ...
//     ctx.SetOutput(0, std::move(y));
//     return absl::OkStatus();
//   }
#ifndef TENSORPORT_RUNTIME_KERNEL_H_
#define TENSORPORT_RUNTIME_KERNEL_H_

#include <functional>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/tensor.h"

namespace tp {
namespace rt {

class KernelContext {
 public:
  KernelContext(const onnx::NodeProto& node, int opset, std::vector<const Tensor*> inputs,
                int num_threads)
      : node_(node), opset_(opset), inputs_(std::move(inputs)), num_threads_(num_threads) {
    outputs_.resize(node.output_size());
  }

  const onnx::NodeProto& node() const { return node_; }
  int opset() const { return opset_; }
  int num_threads() const { return num_threads_; }

  // Number of inputs as written in the node (trailing optional inputs may be absent).
  int num_inputs() const { return static_cast<int>(inputs_.size()); }
  // True when input i is present (not omitted, not the empty name "").
  bool HasInput(int i) const { return i < num_inputs() && inputs_[i] != nullptr; }
  // Input i; InvalidArgument naming the node when it is missing.
  absl::StatusOr<const Tensor*> Input(int i) const;
  // Input i or nullptr when absent.
  const Tensor* OptionalInput(int i) const { return HasInput(i) ? inputs_[i] : nullptr; }

  int num_outputs() const { return static_cast<int>(outputs_.size()); }
  // True when output i is requested (present and non-empty name).
  bool WantsOutput(int i) const {
    return i < node_.output_size() && !node_.output(i).empty();
  }
  void SetOutput(int i, Tensor t) { outputs_[i] = std::move(t); }
  std::vector<Tensor>& outputs() { return outputs_; }

  // Attributes with defaults.
  const onnx::AttributeProto* Attr(absl::string_view name) const;
  int64_t GetInt(absl::string_view name, int64_t default_value) const;
  float GetFloat(absl::string_view name, float default_value) const;
  std::string GetString(absl::string_view name, absl::string_view default_value) const;
  std::vector<int64_t> GetInts(absl::string_view name, std::vector<int64_t> default_value) const;
  std::vector<float> GetFloats(absl::string_view name, std::vector<float> default_value) const;

  // "node 'name' (OpType)": for error messages.
  std::string NodeLabel() const;
  // An error status whose message starts with NodeLabel().
  absl::Status Error(absl::StatusCode code, absl::string_view message) const;

 private:
  const onnx::NodeProto& node_;
  int opset_;
  std::vector<const Tensor*> inputs_;
  std::vector<Tensor> outputs_;
  int num_threads_;
};

using KernelFn = std::function<absl::Status(KernelContext&)>;

struct KernelDef {
  std::string domain;  // "" for the default ONNX domain
  std::string op_type;
  int since_version;   // inclusive
  int until_version;   // inclusive
  KernelFn fn;
};

class KernelTable {
 public:
  KernelTable(std::string backend, std::vector<KernelDef> kernels)
      : backend_(std::move(backend)), kernels_(std::move(kernels)) {}
  const std::string& backend() const { return backend_; }
  const std::vector<KernelDef>& kernels() const { return kernels_; }
  // The kernel for (domain, op) at the model's opset for that domain, or nullptr.
  const KernelDef* Find(absl::string_view domain, absl::string_view op_type, int opset) const;

 private:
  std::string backend_;
  std::vector<KernelDef> kernels_;
};

// The table of a backend by name ("reference", "cpu", "cuda"); NotFound listing the known ones.
absl::StatusOr<const KernelTable*> GetKernelTable(absl::string_view backend);

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_KERNEL_H_
