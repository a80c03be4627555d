// The graph that the cpu backend's inference-time rewrites (runtime/rewrite/*.h) work on: the
// main graph's nodes in execution order, the constants they may read (initializers, Constant node
// values, tensors a rewrite computed) and what shape inference knows about each value.
//
// Rewrites edit `nodes` in place (replace, insert, erase) and add constants; use counts and
// producers are recomputed from the node list when a rewrite asks (Uses(), Producers()), so
// a rewrite never works from a stale index. Nodes keep their ONNX names; a node made by a rewrite
// is named after the node it replaces.
//
// Example:
//   WorkGraph g(model.graph(), order, initializers, opset);
//   FoldConstants(&g);
//   for (const onnx::NodeProto& n : g.nodes) ...
#ifndef TENSORPORT_RUNTIME_REWRITE_WORK_GRAPH_H_
#define TENSORPORT_RUNTIME_REWRITE_WORK_GRAPH_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "core/tensor.h"

namespace tp {
namespace rt {

inline constexpr char kFusedDomain[] = "tensorport.fused";

// What shape inference (or a rewrite) knows about a value.
struct ValueInfo {
  bool has_dtype = false;
  DType dtype = DType::kF32;
  bool has_shape = false;   // rank known
  std::vector<int64_t> dims;  // -1 where a dim is unknown
  bool FullyKnown() const;
};

// One input slot reading a value.
struct Use {
  int node;
  int slot;
};

class WorkGraph {
 public:
  // `order`: a topological order of graph.node() indices; `initializers`: the bound initializers.
  WorkGraph(const onnx::GraphProto& graph, const std::vector<int>& order,
            const std::map<std::string, Tensor>& initializers, int opset);

  std::vector<onnx::NodeProto> nodes;
  int opset = 0;  // of the default domain

  // A constant value: an initializer, a Constant node's value (once folded) or a tensor a
  // rewrite made; nullptr otherwise.
  const Tensor* Constant(const std::string& name) const;
  // Adds a constant made by a rewrite (named NewName(base) unless `name` is free) and returns its
  // name; its ValueInfo is set from the tensor.
  std::string AddConstant(const std::string& base, Tensor t);
  // Makes `name` (the output of a node the caller removes) a constant holding t.
  void DefineConstant(const std::string& name, Tensor t);
  // Constants made by rewrites (not the session's initializers).
  const std::map<std::string, Tensor>& added() const { return added_; }

  bool IsGraphOutput(const std::string& name) const { return outputs_.count(name) > 0; }
  const std::vector<std::string>& graph_outputs() const { return output_order_; }

  // nullptr when nothing is known.
  const ValueInfo* Info(const std::string& name) const;
  void SetInfo(const std::string& name, ValueInfo info) { info_[name] = std::move(info); }
  // Known float32 with a known rank.
  bool IsF32(const std::string& name) const;
  // Known dims (all of them), or nullopt.
  std::optional<std::vector<int64_t>> Dims(const std::string& name) const;

  // A value name not used so far: base, base_1, base_2, ...
  std::string NewName(const std::string& base);

  // Consumers of every value (graph outputs not included) and the producer of every node output.
  std::map<std::string, std::vector<Use>> Uses() const;
  std::map<std::string, int> Producers() const;

  // Erases nodes none of whose outputs is read or is a graph output (repeatedly).
  void RemoveDeadNodes();

 private:
  std::map<std::string, Tensor> initializers_;  // handles: no copies
  std::map<std::string, Tensor> added_;
  std::set<std::string> outputs_;
  std::vector<std::string> output_order_;
  std::map<std::string, ValueInfo> info_;
  std::set<std::string> names_;
};

// Helpers for reading and writing node attributes.
const onnx::AttributeProto* FindAttr(const onnx::NodeProto& n, const std::string& name);
int64_t AttrInt(const onnx::NodeProto& n, const std::string& name, int64_t def);
float AttrFloat(const onnx::NodeProto& n, const std::string& name, float def);
std::string AttrString(const onnx::NodeProto& n, const std::string& name, const std::string& def);
std::vector<int64_t> AttrInts(const onnx::NodeProto& n, const std::string& name);
void SetAttr(onnx::NodeProto* n, const std::string& name, int64_t v);
void SetAttr(onnx::NodeProto* n, const std::string& name, float v);
void SetAttr(onnx::NodeProto* n, const std::string& name, const std::string& v);
void SetAttr(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v);
// True for a node of the default ONNX domain with this op type.
bool IsOp(const onnx::NodeProto& n, const char* op);

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_REWRITE_WORK_GRAPH_H_
