#include "runtime/executor.h"

#include <chrono>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace tp {
namespace rt {
namespace {

// The node's name in capture paths: its name, or its op type when unnamed.
std::string PathName(const onnx::NodeProto& node) {
  return node.name().empty() ? node.op_type() : node.name();
}

// `s` from a kernel of `node` run at `path`: labelled with the node (unless a nested node
// already labelled it), the label carrying the path.
absl::Status Labelled(const absl::Status& s, const onnx::NodeProto& node, const std::string& path) {
  std::string msg(s.message());
  if (!absl::StartsWith(msg, "node '")) msg = absl::StrCat(NodeLabel(node), ": ", msg);
  if (!path.empty() && absl::StartsWith(msg, absl::StrCat("node '", node.name(), "'"))) {
    msg = absl::StrCat("node '", path, msg.substr(6));
  }
  return absl::Status(s.code(), msg);
}

}  // namespace

Executor::Executor(const ExecConfig& config) : config_(config) {
  if (config_.overrides != nullptr) {
    for (const auto& [name, t] : *config_.overrides) override_values_[name] = Value::FromTensor(t);
  }
}

const Value* Executor::Lookup(const Frame& frame, const std::string& name,
                              bool* is_initializer) const {
  if (is_initializer != nullptr) *is_initializer = false;
  for (const Frame* f = &frame; f != nullptr; f = f->parent) {
    const Value* found = nullptr;
    bool init_found = false;
    auto it = f->env.find(name);
    if (it != f->env.end()) {
      found = &it->second;
    } else if (f->initializers != nullptr) {
      auto init = f->initializers->find(name);
      if (init != f->initializers->end()) {
        found = &init->second;
        init_found = true;
      }
    }
    if (found == nullptr) continue;
    if (!override_values_.empty()) {
      auto o = override_values_.find(f->path + name);
      if (o != override_values_.end()) return &o->second;
    }
    if (is_initializer != nullptr) *is_initializer = init_found;
    return found;
  }
  return nullptr;
}

void Executor::Capture(const onnx::NodeProto& node, const std::string& name, const Value& v) const {
  auto report = [&](const std::string& n, const Tensor& t) {
    if (config_.capture_pattern == nullptr || RE2::PartialMatch(n, *config_.capture_pattern)) {
      (*config_.capture)(node, n, t);
    }
  };
  if (v.is_tensor()) {
    report(name, v.tensor());
  } else if (v.is_sequence()) {
    for (size_t i = 0; i < v.items().size(); ++i) {
      report(absl::StrCat(name, "[", i, "]"), v.items()[i]);
    }
  }
}

absl::Status Executor::RunPlan(const GraphPlan& plan, Frame* frame) {
  std::map<std::string, int> remaining = plan.use_counts;
  for (size_t step = 0; step < plan.nodes.size(); ++step) {
    const onnx::NodeProto& node = *plan.nodes[step];
    std::vector<const Value*> ins;
    std::vector<bool> constant(node.input_size(), false);
    ins.reserve(node.input_size());
    for (int i = 0; i < node.input_size(); ++i) {
      const std::string& in = node.input(i);
      if (in.empty()) {
        ins.push_back(nullptr);
        continue;
      }
      bool is_init = false;
      const Value* v = Lookup(*frame, in, &is_init);
      constant[i] = is_init;
      if (v == nullptr) {
        return absl::InternalError(
            absl::StrCat(NodeLabel(node), ": input \"", in, "\" is not available"));
      }
      ins.push_back(v);
    }
    current_frame_ = frame;
    current_node_ = &node;
    KernelContext ctx(node, OpsetFor(*config_.opsets, node.domain()), std::move(ins),
                      config_.num_threads, this);
    if (step < plan.states.size()) ctx.set_state_slot(plan.states[step].get());
    ctx.set_constant_inputs(std::move(constant));
    const auto t0 = std::chrono::steady_clock::now();
    absl::Status st = plan.kernels[step]->fn(ctx);
    const auto t1 = std::chrono::steady_clock::now();
    current_frame_ = frame;
    current_node_ = &node;
    if (!st.ok()) return Labelled(st, node, frame->path);
    if (config_.kernel_log != nullptr) {
      Log(plan, step, ctx, frame->path);
      config_.kernel_log->back().ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
    }
    for (int k = 0; k < node.output_size(); ++k) {
      const std::string& out = node.output(k);
      if (out.empty()) continue;
      Value v;
      if (!ctx.TakeOutput(k, &v)) {
        return Labelled(absl::InternalError(absl::StrCat("the kernel did not produce output ", k,
                                                         " \"", out, "\"")),
                        node, frame->path);
      }
      if (config_.capture != nullptr) Capture(node, frame->path + out, v);
      if (remaining[out] > 0) frame->env[out] = std::move(v);
    }
    // Release values whose last consumer just ran (graph outputs hold one extra use).
    auto release = [&](const std::string& name) {
      if (--remaining[name] == 0) frame->env.erase(name);
    };
    for (const std::string& in : node.input()) {
      if (!in.empty()) release(in);
    }
    if (step < plan.implicit_inputs.size()) {
      for (const std::string& name : plan.implicit_inputs[step]) release(name);
    }
  }
  return absl::OkStatus();
}

void Executor::Log(const GraphPlan& plan, size_t step, KernelContext& ctx,
                   const std::string& path) const {
  const onnx::NodeProto& node = *plan.nodes[step];
  KernelRecord r;
  r.node = path + node.name();
  r.domain = node.domain();
  r.op_type = node.op_type();
  r.reference = ctx.ran_reference() ||
                (step < plan.reference_kernel.size() && plan.reference_kernel[step]);
  for (int i = 0; i < ctx.num_inputs() && !r.float32; ++i) {
    const Tensor* t = ctx.OptionalInput(i);
    r.float32 = t != nullptr && t->dtype() == DType::kF32;
  }
  if (!ctx.outputs().empty()) r.shape = ShapeToString(ctx.outputs()[0].shape());
  for (const Tensor& t : ctx.outputs()) {
    // A default Tensor (an output slot left empty, a sequence output) is rank 0 with no element.
    const bool present = t.rank() > 0 || t.num_elements() == 1;
    r.float32 = r.float32 || (present && t.dtype() == DType::kF32);
  }
  config_.kernel_log->push_back(std::move(r));
}

absl::StatusOr<std::map<std::string, Value>> Executor::RunMain(
    const GraphPlan& plan, std::map<std::string, Value> inputs) {
  Frame frame;
  frame.env = std::move(inputs);
  // A rewritten plan carries its own initializers (the session's plus the rewrite's new ones).
  const std::map<std::string, Value>* inits =
      plan.initializers.empty() ? config_.initializers : &plan.initializers;
  frame.initializers = inits;
  RETURN_IF_ERROR(RunPlan(plan, &frame));
  std::map<std::string, Value> result;
  for (const onnx::ValueInfoProto& o : plan.graph->output()) {
    auto it = frame.env.find(o.name());
    if (it != frame.env.end()) {
      result[o.name()] = it->second;
    } else if (auto init = inits->find(o.name()); init != inits->end()) {
      result[o.name()] = init->second;
    } else {
      return absl::InternalError(absl::StrCat("graph output \"", o.name(), "\" was not computed"));
    }
  }
  return result;
}

absl::StatusOr<std::vector<Value>> Executor::Run(const onnx::GraphProto& graph,
                                                 std::vector<Value> inputs,
                                                 const std::string& scope) {
  Frame* parent = current_frame_;
  const onnx::NodeProto* node = current_node_;
  if (parent == nullptr || node == nullptr) {
    return absl::FailedPreconditionError("a subgraph runs only from a node's kernel");
  }
  auto it = config_.plans->subgraphs.find(&graph);
  if (it == config_.plans->subgraphs.end()) {
    return absl::InternalError(
        absl::StrCat(NodeLabel(*node), ": graph '", graph.name(), "' was not planned"));
  }
  const GraphPlan& plan = *it->second;
  if (static_cast<int>(inputs.size()) != graph.input_size()) {
    return absl::InvalidArgumentError(absl::StrCat(NodeLabel(*node), ": graph '", graph.name(),
                                                   "' has ", graph.input_size(),
                                                   " inputs, the op binds ", inputs.size()));
  }
  Frame frame;
  frame.parent = parent;
  frame.initializers = &plan.initializers;
  frame.path = absl::StrCat(parent->path, PathName(*node), "/", scope, "/");
  for (int i = 0; i < graph.input_size(); ++i) {
    frame.env[graph.input(i).name()] = std::move(inputs[i]);
  }
  absl::Status st = RunPlan(plan, &frame);
  current_frame_ = parent;
  current_node_ = node;
  RETURN_IF_ERROR(st);
  std::vector<Value> outputs;
  for (const onnx::ValueInfoProto& o : graph.output()) {
    // Outputs stay computed: an override replaces a value for consumers, not for the op.
    const Value* v = nullptr;
    for (const Frame* f = &frame; f != nullptr && v == nullptr; f = f->parent) {
      auto e = f->env.find(o.name());
      if (e != f->env.end()) {
        v = &e->second;
      } else if (f->initializers != nullptr) {
        auto init = f->initializers->find(o.name());
        if (init != f->initializers->end()) v = &init->second;
      }
    }
    if (v == nullptr) {
      return absl::InternalError(absl::StrCat(NodeLabel(*node), ": output \"", o.name(),
                                              "\" of graph '", graph.name(), "' was not computed"));
    }
    outputs.push_back(*v);
  }
  return outputs;
}

}  // namespace rt
}  // namespace tp
