// Internal to the session: an executable plan for one ONNX graph (the model's main graph or a
// graph attribute of If / Loop / Scan / SequenceMap), and the planning of a whole model.
//
// A plan orders its nodes topologically (graph order where valid), binds each to its kernel, and
// counts the uses of every value so intermediates can be released after their last consumer. A
// node with graph attributes uses the values its subgraphs read from enclosing scopes (their
// "outer references"); those count as the node's inputs for ordering and for keeping values
// alive. Subgraph plans are made once, at load, and looked up by the GraphProto they run.
//
// Example:
//   ASSIGN_OR_RETURN(ModelPlan plans, PlanModel(model, table, opsets, initializers, "m.onnx"));
//   const GraphPlan& main = *plans.main;
//   for (size_t i = 0; i < main.nodes.size(); ++i) ... main.kernels[i]->fn(ctx) ...
#ifndef TENSORPORT_RUNTIME_GRAPH_PLAN_H_
#define TENSORPORT_RUNTIME_GRAPH_PLAN_H_

#include <onnx/onnx_pb.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/tensor.h"
#include "runtime/kernel.h"
#include "runtime/value.h"

namespace tp {
namespace rt {

// Graph attributes nest at most this deep (exporters write two or three levels).
inline constexpr int kMaxSubgraphDepth = 32;

struct GraphPlan {
  const onnx::GraphProto* graph = nullptr;
  // Node indices of `graph` in execution order, their nodes and kernels.
  std::vector<int> order;
  std::vector<const onnx::NodeProto*> nodes;
  std::vector<const KernelDef*> kernels;
  // Per node of `nodes`: whether its kernel is the reference backend's function for that op.
  std::vector<bool> reference_kernel;
  // Per node of `nodes`: the slot its kernel may keep state in between runs.
  std::vector<std::unique_ptr<NodeStateSlot>> states;
  // Input slots consuming each value (outer references of a node's subgraphs count once per
  // node; the graph's outputs count once more, so they survive until collected).
  std::map<std::string, int> use_counts;
  // Per node of `nodes`: the names its subgraphs read from this or enclosing scopes.
  std::vector<std::vector<std::string>> implicit_inputs;
  // The graph's own initializers (subgraphs only; the main graph's are the session's).
  std::map<std::string, Value> initializers;
  // Names this graph reads from enclosing scopes.
  std::set<std::string> outer_refs;
  // Whether any node has a graph attribute.
  bool has_subgraphs = false;
};

struct ModelPlan {
  std::unique_ptr<GraphPlan> main;
  // Every subgraph's plan, by the GraphProto it runs.
  std::map<const onnx::GraphProto*, std::unique_ptr<GraphPlan>> subgraphs;
  // Value names produced inside subgraphs (for checking override names).
  std::set<std::string> subgraph_values;
};

// Plans `model.graph()` and every subgraph. `initializers`: the main graph's bound initializers.
// Subgraph initializers are converted here (`base_dir` resolves external data). Errors name
// `source` and the node: a value produced twice, an input nothing produces, a cycle.
absl::StatusOr<ModelPlan> PlanModel(const onnx::ModelProto& model, const KernelTable& table,
                                    const std::map<std::string, int>& opsets,
                                    const std::map<std::string, Tensor>& initializers,
                                    const std::string& source, const std::string& base_dir);

// Whether `k` is the reference backend's kernel for (domain, op, opset).
bool IsReferenceKernel(const KernelDef& k, const std::string& domain, const std::string& op_type,
                       int opset);

// Appends a node with its kernel to `plan` (nodes, kernels, reference_kernel, states).
void AddPlannedNode(const onnx::NodeProto& node, const KernelDef* kernel, int opset,
                    GraphPlan* plan);

// The model's opset for a node's domain ("" and "ai.onnx" are the default domain); 0 if absent.
int OpsetFor(const std::map<std::string, int>& opsets, const std::string& domain);

// "node 'name' (OpType)".
std::string NodeLabel(const onnx::NodeProto& n);

// The graph attributes of a node (GRAPH and GRAPHS), with the attribute names.
std::vector<std::pair<std::string, const onnx::GraphProto*>> GraphAttributes(
    const onnx::NodeProto& node);

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_GRAPH_PLAN_H_
