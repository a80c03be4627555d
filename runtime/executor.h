// Internal to the session: runs graph plans (graph_plan.h). One Executor serves one
// Session::Run call: it runs the main graph, and is the SubgraphRunner that If, Loop, Scan and
// SequenceMap kernels call for their graph attributes.
//
// Scopes: a subgraph run gets a frame whose lookups fall back to the enclosing frames (outer-scope
// values), and a path "<enclosing path><node name>/<scope>/" ("/Loop/iter 3/"). Captured values
// are reported as path + value name, sequences as one capture per element ("name[i]"); overrides
// apply to the consumers of a value found under path + name, so a value inside a loop body can be
// replaced for one iteration. Errors from nested nodes carry the path in the node label.
//
// Example:
//   Executor ex(config);
//   ASSIGN_OR_RETURN(auto outputs, ex.RunMain(plan, std::move(inputs)));
#ifndef TENSORPORT_RUNTIME_EXECUTOR_H_
#define TENSORPORT_RUNTIME_EXECUTOR_H_

#include <onnx/onnx_pb.h>

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "re2/re2.h"
#include "runtime/graph_plan.h"
#include "runtime/kernel.h"
#include "runtime/value.h"

namespace tp {
namespace rt {

// What one run needs; every pointer outlives the Executor.
struct ExecConfig {
  const ModelPlan* plans = nullptr;
  const std::map<std::string, Value>* initializers = nullptr;  // the main graph's
  const std::map<std::string, int>* opsets = nullptr;
  int num_threads = 1;
  // Called for every node output; null = no capture.
  const std::function<void(const onnx::NodeProto&, const std::string&, const Tensor&)>* capture =
      nullptr;
  const RE2* capture_pattern = nullptr;  // null = every output
  const std::map<std::string, Tensor>* overrides = nullptr;
  // When set, one record per node run (subgraph nodes under their path).
  std::vector<KernelRecord>* kernel_log = nullptr;
};

class Executor : public SubgraphRunner {
 public:
  explicit Executor(const ExecConfig& config);

  // Runs `plan` (the main graph, or its fused node list) with `inputs` bound to the graph's
  // inputs; returns the graph outputs by name. Errors are not prefixed with the model's name.
  absl::StatusOr<std::map<std::string, Value>> RunMain(const GraphPlan& plan,
                                                       std::map<std::string, Value> inputs);

  absl::StatusOr<std::vector<Value>> Run(const onnx::GraphProto& graph, std::vector<Value> inputs,
                                         const std::string& scope) override;

 private:
  struct Frame {
    std::map<std::string, Value> env;  // inputs and node outputs of this scope
    const std::map<std::string, Value>* initializers = nullptr;
    const Frame* parent = nullptr;
    std::string path;  // "" for the main graph
  };

  // The value `name` as its consumers see it: this frame's, else an enclosing one's; an override
  // registered under the defining frame's path + name wins. Null when nothing defines it.
  const Value* Lookup(const Frame& frame, const std::string& name,
                      bool* is_initializer = nullptr) const;
  absl::Status RunPlan(const GraphPlan& plan, Frame* frame);
  void Capture(const onnx::NodeProto& node, const std::string& name, const Value& v) const;
  void Log(const GraphPlan& plan, size_t step, KernelContext& ctx, const std::string& path) const;

  ExecConfig config_;
  std::map<std::string, Value> override_values_;
  // The frame and node being run (the parent of a subgraph run started by that node's kernel).
  Frame* current_frame_ = nullptr;
  const onnx::NodeProto* current_node_ = nullptr;
};

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_EXECUTOR_H_
