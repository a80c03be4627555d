// The kernel interface of the ONNX runtime: what one node's implementation sees and returns, and
// the per-backend kernel tables (domain, op, opset range -> kernel function).
//
// Each backend has one literal table (runtime/<backend>/kernel_table.cc) listing every kernel
// with its opset range, so coverage gaps show at a glance (runtime/OPERATORS.md is generated from
// the tables); the session checks every node of a graph, subgraphs included, against the chosen
// backend's table before running anything.
//
// Inputs and outputs are tensors for almost every op; sequence and optional values (Value) reach
// the kernels that take them through InputValue() / SetOutputValue(). Control-flow kernels run
// their graph attributes through subgraphs(), which the session provides.
//
// Example (a kernel):
//   absl::Status ReluKernel(KernelContext& ctx) {
//     ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
//     if (!IsFloating(x->dtype())) return ctx.Invalid("X must be a floating tensor");
//     Tensor y = Tensor::Zeros(x->dtype(), x->shape());
//     ... fill y ...
//     ctx.SetOutput(0, std::move(y));
//     return absl::OkStatus();
//   }
#ifndef TENSORPORT_RUNTIME_KERNEL_H_
#define TENSORPORT_RUNTIME_KERNEL_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/tensor.h"
#include "runtime/value.h"

namespace tp {
namespace rt {

// Runs the graph attributes of the node being executed (If branches, Loop and Scan bodies). The
// session implements it: subgraph nodes run on the same backend, see the enclosing scopes'
// values, and report captures under a path ("<node>/<scope>/<value>").
class SubgraphRunner {
 public:
  virtual ~SubgraphRunner() = default;
  // Binds `inputs` to `graph`'s formal inputs in order, runs it and returns its outputs in
  // order. `scope` names this run in capture paths: "then_branch", "iter 3", ...
  virtual absl::StatusOr<std::vector<Value>> Run(const onnx::GraphProto& graph,
                                                 std::vector<Value> inputs,
                                                 const std::string& scope) = 0;
};

// What a kernel keeps between runs of one node in one session: weights re-laid-out for a library,
// a compiled library primitive. Kernels derive from it; the session owns one slot per planned
// node and drops every slot when an initializer is replaced.
class NodeState {
 public:
  virtual ~NodeState() = default;
};

// One node's state, shared safely between concurrent runs (a kernel loads it, and stores a new
// one when there is none or the stored one was made for other input shapes).
class NodeStateSlot {
 public:
  std::shared_ptr<NodeState> Load() const {
    std::lock_guard<std::mutex> lock(mu_);
    return state_;
  }
  void Store(std::shared_ptr<NodeState> s) {
    std::lock_guard<std::mutex> lock(mu_);
    state_ = std::move(s);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<NodeState> state_;
};

// Which kernel ran one node (RunOptions::kernel_log): the reference backend's (from the table or
// handed over by a fast kernel) or the backend's own, and whether the node touched float32 data.
struct KernelRecord {
  std::string node;     // node name (subgraph nodes: their path)
  std::string domain;
  std::string op_type;
  bool reference = false;
  bool float32 = false;  // some tensor input or output is float32
  double ms = 0;         // wall time of the kernel
  std::string shape;     // first output's shape, "[1, 64, 56, 56]"
};

class KernelContext {
 public:
  // Tensor inputs (nullptr = absent), as unit tests and the differential tests call kernels.
  KernelContext(const onnx::NodeProto& node, int opset, std::vector<const Tensor*> inputs,
                int num_threads);
  // Any values (nullptr = absent), as the session calls kernels; `subgraphs` may be null.
  KernelContext(const onnx::NodeProto& node, int opset, std::vector<const Value*> inputs,
                int num_threads, SubgraphRunner* subgraphs);

  const onnx::NodeProto& node() const { return node_; }
  int opset() const { return opset_; }
  int num_threads() const { return num_threads_; }

  // Number of inputs as written in the node (trailing optional inputs may be absent).
  int num_inputs() const { return static_cast<int>(values_.size()); }
  // True when input i is present (not omitted, not the empty name "", not an empty optional).
  bool HasInput(int i) const {
    return i < num_inputs() && values_[i] != nullptr && !values_[i]->is_none();
  }
  // Input i as a tensor; InvalidArgument naming the node when it is missing or not a tensor.
  absl::StatusOr<const Tensor*> Input(int i) const;
  // Input i when it is a tensor, else nullptr.
  const Tensor* OptionalInput(int i) const { return i < num_inputs() ? tensors_[i] : nullptr; }
  // Input i as any value (sequence, optional, tensor); nullptr when absent.
  const Value* InputValue(int i) const { return i < num_inputs() ? values_[i] : nullptr; }

  int num_outputs() const { return static_cast<int>(outputs_.size()); }
  // True when output i is requested (present and non-empty name).
  bool WantsOutput(int i) const {
    return i < node_.output_size() && !node_.output(i).empty();
  }
  void SetOutput(int i, Tensor t) { outputs_[i] = std::move(t); }
  // A sequence or optional output (a tensor Value goes to outputs() like SetOutput).
  void SetOutputValue(int i, Value v);
  // Tensor outputs (a non-tensor output's slot stays an empty Tensor).
  std::vector<Tensor>& outputs() { return outputs_; }
  // Output i as a Value; false when the kernel produced nothing for it.
  bool TakeOutput(int i, Value* out);

  // The session's subgraph runner; FailedPrecondition when the kernel runs outside a session.
  absl::StatusOr<SubgraphRunner*> subgraphs() const;

  // This node's state slot in the session, or nullptr (unit tests, nodes run once): kernels must
  // work without one.
  NodeStateSlot* state_slot() const { return state_slot_; }
  void set_state_slot(NodeStateSlot* slot) { state_slot_ = slot; }

  // Whether input i is an initializer of the running graph (not an intermediate, a graph input or
  // an override): its contents stay the same from run to run, so a kernel may keep data derived
  // from it in its state slot. False outside a session.
  bool IsConstantInput(int i) const {
    return i < static_cast<int>(constant_inputs_.size()) && constant_inputs_[i];
  }
  void set_constant_inputs(std::vector<bool> c) { constant_inputs_ = std::move(c); }

  // Set by a backend kernel that handed the node to the reference backend's kernel (the cpu
  // backend's fallback for dtypes and layouts its fast kernel does not take); the session reports
  // it in RunOptions::kernel_log.
  void NoteReferenceKernel() { ran_reference_ = true; }
  bool ran_reference() const { return ran_reference_; }

  // Attributes with defaults.
  const onnx::AttributeProto* Attr(absl::string_view name) const;
  int64_t GetInt(absl::string_view name, int64_t default_value) const;
  float GetFloat(absl::string_view name, float default_value) const;
  std::string GetString(absl::string_view name, absl::string_view default_value) const;
  std::vector<int64_t> GetInts(absl::string_view name, std::vector<int64_t> default_value) const;
  std::vector<float> GetFloats(absl::string_view name, std::vector<float> default_value) const;
  // A graph attribute; InvalidArgument naming the node when it is missing.
  absl::StatusOr<const onnx::GraphProto*> GetGraph(absl::string_view name) const;

  // "node 'name' (OpType)": for error messages.
  std::string NodeLabel() const;
  // An error status whose message starts with NodeLabel().
  absl::Status Error(absl::StatusCode code, absl::string_view message) const;
  // Error(kInvalidArgument, message): malformed input, the most common kernel error.
  absl::Status Invalid(absl::string_view message) const;
  // `s` with NodeLabel() put in front of its message (OK stays OK; a message that already starts
  // with the label is left alone). For statuses from helpers that do not know the node.
  absl::Status Annotate(const absl::Status& s) const;

 private:
  const onnx::NodeProto& node_;
  int opset_;
  std::vector<Value> owned_;              // the tensor constructor's inputs as values
  std::vector<const Value*> values_;      // per input, nullptr when absent
  std::vector<const Tensor*> tensors_;    // per input, nullptr when absent or not a tensor
  std::vector<Tensor> outputs_;
  std::vector<Value> value_outputs_;      // non-tensor outputs
  std::vector<bool> has_value_output_;
  int num_threads_;
  SubgraphRunner* subgraphs_ = nullptr;
  NodeStateSlot* state_slot_ = nullptr;
  std::vector<bool> constant_inputs_;
  bool ran_reference_ = false;
};

// A kernel: a plain function, so that tables can be compared entry by entry (which backend's
// function runs an op is part of runtime/OPERATORS.md).
using KernelFn = absl::Status (*)(KernelContext&);

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
