// An ONNX inference session: loads and checks a model, binds its initializers, verifies that the
// chosen backend has a kernel for every node, and runs the graph in topological order with an
// optional capture callback that sees every node's outputs.
//
// Loading runs onnx::checker::check_model and shape inference. Before anything runs, every node
// whose (domain, op, opset) has no kernel in the backend's table is listed, all at once, nodes
// inside subgraphs (If branches, Loop / Scan bodies) included. Intermediates are released after
// their last consumer; a capture callback that wants to keep one copies the Tensor handle (cheap).
// Override values (RunOptions::overrides) replace a named value for its consumers, which is how
// `verify --isolate` feeds reference activations into one layer at a time.
//
// Control flow: If, Loop, Scan and SequenceMap run their graph attributes on the same backend;
// subgraph nodes read enclosing scopes' values. Values produced inside a subgraph are captured
// under a path: "<node>/<scope>/<value>", the scope being "then_branch" / "else_branch" for If
// and "iter <k>" (k from 0) for Loop, Scan and SequenceMap, nested paths concatenated
// ("/Loop/iter 2//If/then_branch//Mul_output_0"). A sequence value is captured as its elements,
// "<name>[i]". Overrides may name such paths.
//
// Values: graph inputs and outputs may be tensors, sequences of tensors or optionals (RunValues);
// an optional graph input may be left out (it is then an optional without a value).
//
// On the cpu backend a fusion pass (runtime/fusion.h: MatMul + bias, decomposed LayerNorm, erf
// GELU) gives runs without a capture callback and without overrides a shorter node list; runs
// with either execute the graph as written, so every node output is seen and can be replaced.
// SessionOptions::fuse = false turns it off.
//
// Example:
//   ASSIGN_OR_RETURN(std::unique_ptr<Session> s, Session::Load("model.onnx", {"reference"}));
//   RETURN_IF_ERROR(s->ReplaceInitializer("dec.conv.weight", converted));
//   RunOptions run;
//   run.capture_pattern = "/dec/.*";
//   run.capture = [&](const onnx::NodeProto& node, const std::string& name, const Tensor& t) {
//     captured[name] = t;
//   };
//   ASSIGN_OR_RETURN(auto outputs, s->Run({{"audio", x}}, run));
#ifndef TENSORPORT_RUNTIME_SESSION_H_
#define TENSORPORT_RUNTIME_SESSION_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/tensor.h"
#include "runtime/fusion.h"
#include "runtime/graph_plan.h"
#include "runtime/kernel.h"
#include "runtime/value.h"

namespace tp {
namespace rt {

struct SessionOptions {
  std::string backend = "reference";  // "reference", "cpu" (GetKernelTable)
  int num_threads = 1;                // passed to kernels
  bool run_checker = true;            // onnx::checker + shape inference at load
  // Shape inference failures stop loading. ONNX 1.12's inference has op-specific bugs (STFT
  // ignores `onesided`); execution never uses the inferred shapes, so a caller may relax this.
  bool strict_shape_inference = true;
  // cpu backend only: run the graph rewritten by runtime/fusion.h when a run has no capture
  // callback and no overrides. Ignored on other backends.
  bool fuse = true;
  // Which rewrites (all by default; tests switch them one at a time).
  RewriteOptions rewrites;
};

using CaptureFn = std::function<void(const onnx::NodeProto& node, const std::string& output_name,
                                     const Tensor& value)>;

struct RunOptions {
  // Called for each node output (graph outputs included, subgraph values under their path,
  // sequence elements as "name[i]") right after the node ran.
  CaptureFn capture;
  // RE2 pattern matched (partially, like grep) against the reported names; empty = every output.
  std::string capture_pattern;
  // Named values whose consumers get the given tensor instead of the computed one (graph inputs,
  // initializers and intermediates alike; subgraph values by path). Returned graph outputs and
  // captures stay computed.
  std::map<std::string, Tensor> overrides;
  // When set, receives one record per node run: which kernel ran it (the cpu backend's own or the
  // reference backend's) and whether it touched float32 data.
  std::vector<KernelRecord>* kernel_log = nullptr;
};

// The node that produces a value.
struct ValueProducer {
  int node_index = -1;  // in the model's graph order
  std::string node_name;
  std::string op_type;
};

// A node with no kernel on a backend.
struct UnsupportedNode {
  std::string node_name;
  std::string domain;
  std::string op_type;
  int opset = 0;
};

// Every node of `model` whose (domain, op, opset) has no kernel in `table`, subgraphs included
// (their node_name is the path "<node>/<attribute>/<inner node>").
std::vector<UnsupportedNode> FindUnsupportedNodes(const onnx::ModelProto& model,
                                                  const KernelTable& table);

// The model in the file at `path`, parsed from the file stream (no whole-file buffer beside the
// parsed message). NotFound / InvalidArgument name the file.
absl::StatusOr<onnx::ModelProto> ReadModelFile(const std::string& path);

// The folder that external data of the model at `path` is resolved against.
std::string ModelDirectory(const std::string& path);

class Session {
 public:
  // Reads and checks `path`; external data is resolved relative to its folder.
  static absl::StatusOr<std::unique_ptr<Session>> Load(const std::string& path,
                                                       const SessionOptions& options = {});
  // `source` names the model in messages; `base_dir` resolves external data ("" = none).
  static absl::StatusOr<std::unique_ptr<Session>> FromModel(onnx::ModelProto model,
                                                            const std::string& source,
                                                            const std::string& base_dir,
                                                            const SessionOptions& options = {});

  // Graph inputs that the caller feeds (initializers excluded), in graph order.
  const std::vector<std::string>& input_names() const { return input_names_; }
  const std::vector<std::string>& output_names() const { return output_names_; }
  const std::map<std::string, Tensor>& initializers() const { return initializers_; }
  const onnx::ModelProto& model() const { return model_; }
  const KernelTable& table() const { return *table_; }
  // The model's opset for a domain ("" and "ai.onnx" are the default domain); 0 if not imported.
  int Opset(const std::string& domain) const;

  // Replaces initializer `name` by `value` of the same shape (a different element type is cast to
  // the initializer's type). NotFound for an unknown name, InvalidArgument for another shape.
  absl::Status ReplaceInitializer(const std::string& name, const Tensor& value);

  // The producer of a value; nullptr for graph inputs, initializers and unknown names.
  const ValueProducer* Producer(const std::string& value_name) const;
  // Node indices of the main graph in execution order.
  const std::vector<int>& order() const { return plans_.main->order; }
  // The fused node list used by runs without capture and overrides (nodes empty and counts 0
  // when fusion is off, not on the cpu backend, or nothing matched).
  const FusedGraph& fusion() const { return fusion_; }

  // Runs the graph; returns the graph outputs by name. Every output must be a tensor (use
  // RunValues for models with sequence or optional outputs).
  absl::StatusOr<std::map<std::string, Tensor>> Run(const std::map<std::string, Tensor>& inputs,
                                                    const RunOptions& options = {}) const;
  // The same with values of any kind in and out.
  absl::StatusOr<std::map<std::string, Value>> RunValues(
      const std::map<std::string, Value>& inputs, const RunOptions& options = {}) const;

 private:
  Session() = default;
  absl::Status Init(const std::string& base_dir);
  absl::Status BuildFusedPlan();
  // InvalidArgument unless `v` fits graph input `decl` (kind, element type, static dims).
  absl::Status CheckInput(const onnx::ValueInfoProto& decl, const Value& v) const;

  std::string source_;
  SessionOptions options_;
  onnx::ModelProto model_;
  const KernelTable* table_ = nullptr;
  std::map<std::string, int> opsets_;
  std::vector<std::string> input_names_, output_names_;
  std::map<std::string, Tensor> initializers_;
  std::map<std::string, Value> initializer_values_;  // the same, as the executor reads them
  std::map<std::string, ValueProducer> producers_;
  ModelPlan plans_;       // the graph as written, and every subgraph
  bool rewrite_ = false;  // whether runs without capture use a rewritten graph
  FusedGraph fusion_;
  GraphPlan fused_;       // over fusion_.nodes; empty when not fused
};

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_SESSION_H_
