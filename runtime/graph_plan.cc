#include "runtime/graph_plan.h"

#include <functional>
#include <queue>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernel_table.h"
#include "runtime/tensor_proto.h"

namespace tp {
namespace rt {
namespace {

class Planner {
 public:
  Planner(const KernelTable& table, const std::map<std::string, int>& opsets,
          const std::string& source, const std::string& base_dir, ModelPlan* out)
      : table_(table), opsets_(opsets), source_(source), base_dir_(base_dir), out_(out) {}

  // Plans `g`. `outer`: the names enclosing scopes define (empty for the main graph, whose
  // initializers come in `bound`).
  absl::StatusOr<std::unique_ptr<GraphPlan>> Plan(const onnx::GraphProto& g,
                                                  const std::set<std::string>& outer,
                                                  const std::map<std::string, Tensor>* bound,
                                                  int depth = 0) {
    if (depth > kMaxSubgraphDepth) {
      return absl::InvalidArgumentError(absl::StrCat(source_, ": graph '", g.name(),
                                                     "' is nested more than ", kMaxSubgraphDepth,
                                                     " graph attributes deep"));
    }
    auto plan = std::make_unique<GraphPlan>();
    plan->graph = &g;
    const bool is_main = bound != nullptr;
    std::set<std::string> defined;  // inputs and initializers of this graph
    if (is_main) {
      for (const auto& [name, t] : *bound) defined.insert(name);
    } else {
      for (const onnx::TensorProto& init : g.initializer()) {
        ASSIGN_OR_RETURN(Tensor t, TensorFromProto(init, source_, base_dir_));
        plan->initializers[init.name()] = Value::FromTensor(std::move(t));
        defined.insert(init.name());
      }
    }
    for (const onnx::ValueInfoProto& v : g.input()) {
      if (!v.name().empty()) defined.insert(v.name());
    }
    const int n = g.node_size();
    std::map<std::string, int> producer;
    for (int i = 0; i < n; ++i) {
      const onnx::NodeProto& node = g.node(i);
      for (const std::string& o : node.output()) {
        if (o.empty()) continue;
        if (producer.count(o) || (defined.count(o) && is_main)) {
          return absl::InvalidArgumentError(absl::StrCat(
              source_, ": ", NodeLabel(node), ": value \"", o, "\" is produced more than once"));
        }
        producer[o] = i;
        if (!is_main) out_->subgraph_values.insert(o);
      }
    }
    // What a subgraph of this graph may read: everything visible here.
    std::set<std::string> visible = outer;
    visible.insert(defined.begin(), defined.end());
    for (const auto& [name, i] : producer) visible.insert(name);

    std::vector<std::vector<int>> consumers(n);
    std::vector<int> missing(n, 0);
    std::vector<std::vector<std::string>> implicit_of(n);
    // Resolves a name read by node i (or by the graph's outputs when i < 0).
    auto use = [&](const std::string& name, int i, const onnx::NodeProto* node,
                   std::set<int>* deps) -> absl::Status {
      ++plan->use_counts[name];
      auto p = producer.find(name);
      if (p != producer.end()) {
        if (i >= 0 && p->second != i) deps->insert(p->second);
        if (i >= 0 && p->second == i) deps->insert(i);  // reads its own output: a cycle
        return absl::OkStatus();
      }
      if (defined.count(name)) return absl::OkStatus();
      if (outer.count(name)) {
        plan->outer_refs.insert(name);
        return absl::OkStatus();
      }
      if (node == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            source_, ": graph output \"", name, "\" of graph '", g.name(), "' is never produced"));
      }
      return absl::InvalidArgumentError(
          absl::StrCat(source_, ": ", NodeLabel(*node), ": input \"", name,
                       "\" is not a graph input, an initializer, any node's output",
                       is_main ? "" : " or an enclosing graph's value"));
    };
    for (int i = 0; i < n; ++i) {
      const onnx::NodeProto& node = g.node(i);
      std::set<int> deps;
      for (const std::string& in : node.input()) {
        if (!in.empty()) RETURN_IF_ERROR(use(in, i, &node, &deps));
      }
      std::set<std::string> implicit;
      for (const auto& [attr, sub] : GraphAttributes(node)) {
        plan->has_subgraphs = true;
        ASSIGN_OR_RETURN(std::unique_ptr<GraphPlan> sp, Plan(*sub, visible, nullptr, depth + 1));
        implicit.insert(sp->outer_refs.begin(), sp->outer_refs.end());
        out_->subgraphs[sub] = std::move(sp);
      }
      for (const std::string& name : implicit) RETURN_IF_ERROR(use(name, i, &node, &deps));
      implicit_of[i].assign(implicit.begin(), implicit.end());
      for (int d : deps) {
        if (d == i) {
          return absl::InvalidArgumentError(absl::StrCat(
              source_, ": ", NodeLabel(node), " is part of a cycle; expected an acyclic graph"));
        }
        ++missing[i];
        consumers[d].push_back(i);
      }
    }
    for (const onnx::ValueInfoProto& v : g.output()) {
      std::set<int> none;
      RETURN_IF_ERROR(use(v.name(), -1, nullptr, &none));
    }
    // Kahn's algorithm, smallest ready index first: graph order wherever it is valid.
    std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
    for (int i = 0; i < n; ++i) {
      if (missing[i] == 0) ready.push(i);
    }
    while (!ready.empty()) {
      const int i = ready.top();
      ready.pop();
      plan->order.push_back(i);
      for (int c : consumers[i]) {
        if (--missing[c] == 0) ready.push(c);
      }
    }
    if (static_cast<int>(plan->order.size()) != n) {
      for (int i = 0; i < n; ++i) {
        if (missing[i] > 0) {
          return absl::InvalidArgumentError(
              absl::StrCat(source_, ": ", NodeLabel(g.node(i)),
                           " is part of a cycle; expected an acyclic graph"));
        }
      }
    }
    for (int i : plan->order) {
      const onnx::NodeProto& node = g.node(i);
      const std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
      const KernelDef* k = table_.Find(domain, node.op_type(), OpsetFor(opsets_, domain));
      if (k == nullptr) {
        return absl::InternalError(
            absl::StrCat(source_, ": ", NodeLabel(node), " has no kernel after the table check"));
      }
      AddPlannedNode(node, k, OpsetFor(opsets_, domain), plan.get());
      plan->implicit_inputs.push_back(implicit_of[i]);
    }
    return plan;
  }

 private:
  const KernelTable& table_;
  const std::map<std::string, int>& opsets_;
  const std::string& source_;
  const std::string& base_dir_;
  ModelPlan* out_;
};

}  // namespace

bool IsReferenceKernel(const KernelDef& k, const std::string& domain, const std::string& op_type,
                       int opset) {
  const KernelDef* r = ReferenceKernelTable().Find(domain, op_type, opset);
  return r != nullptr && r->fn == k.fn;
}

void AddPlannedNode(const onnx::NodeProto& node, const KernelDef* kernel, int opset,
                    GraphPlan* plan) {
  const std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
  plan->nodes.push_back(&node);
  plan->kernels.push_back(kernel);
  plan->reference_kernel.push_back(IsReferenceKernel(*kernel, domain, node.op_type(), opset));
  plan->states.push_back(std::make_unique<NodeStateSlot>());
}

int OpsetFor(const std::map<std::string, int>& opsets, const std::string& domain) {
  auto it = opsets.find(domain == "ai.onnx" ? "" : domain);
  return it == opsets.end() ? 0 : it->second;
}

std::string NodeLabel(const onnx::NodeProto& n) {
  return absl::StrCat("node '", n.name(), "' (", n.op_type(), ")");
}

std::vector<std::pair<std::string, const onnx::GraphProto*>> GraphAttributes(
    const onnx::NodeProto& node) {
  std::vector<std::pair<std::string, const onnx::GraphProto*>> out;
  for (const onnx::AttributeProto& a : node.attribute()) {
    if (a.has_g()) out.push_back({a.name(), &a.g()});
    for (const onnx::GraphProto& g : a.graphs()) out.push_back({a.name(), &g});
  }
  return out;
}

absl::StatusOr<ModelPlan> PlanModel(const onnx::ModelProto& model, const KernelTable& table,
                                    const std::map<std::string, int>& opsets,
                                    const std::map<std::string, Tensor>& initializers,
                                    const std::string& source, const std::string& base_dir) {
  ModelPlan out;
  Planner planner(table, opsets, source, base_dir, &out);
  ASSIGN_OR_RETURN(out.main, planner.Plan(model.graph(), {}, &initializers));
  return out;
}

}  // namespace rt
}  // namespace tp
