#include "runtime/session.h"

#include <algorithm>
#include <exception>
#include <fstream>
#include <queue>
#include <set>
#include <sstream>

#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"
#include "re2/re2.h"
#include "runtime/cpu/fused_kernels.h"
#include "runtime/cpu/kernel_table.h"
#include "runtime/tensor_proto.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace {

std::string NormalizeDomain(const std::string& d) { return d == "ai.onnx" ? "" : d; }

std::map<std::string, int> OpsetMap(const onnx::ModelProto& model) {
  std::map<std::string, int> m;
  for (const auto& o : model.opset_import()) m[NormalizeDomain(o.domain())] = o.version();
  return m;
}

std::string Dirname(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string NodeLabel(const onnx::NodeProto& n) {
  return absl::StrCat("node '", n.name(), "' (", n.op_type(), ")");
}

}  // namespace

std::vector<UnsupportedNode> FindUnsupportedNodes(const onnx::ModelProto& model,
                                                  const KernelTable& table) {
  std::map<std::string, int> opsets = OpsetMap(model);
  std::vector<UnsupportedNode> out;
  for (const onnx::NodeProto& n : model.graph().node()) {
    const std::string domain = NormalizeDomain(n.domain());
    auto it = opsets.find(domain);
    const int opset = it == opsets.end() ? 0 : it->second;
    if (table.Find(domain, n.op_type(), opset) == nullptr) {
      out.push_back({n.name(), domain, n.op_type(), opset});
    }
  }
  return out;
}

absl::StatusOr<std::unique_ptr<Session>> Session::Load(const std::string& path,
                                                       const SessionOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open the model file"));
  std::stringstream ss;
  ss << in.rdbuf();
  onnx::ModelProto model;
  if (!model.ParseFromString(ss.str())) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a serialized onnx.ModelProto (protobuf parse failed)"));
  }
  return FromModel(std::move(model), path, Dirname(path), options);
}

absl::StatusOr<std::unique_ptr<Session>> Session::FromModel(onnx::ModelProto model,
                                                            const std::string& source,
                                                            const std::string& base_dir,
                                                            const SessionOptions& options) {
  std::unique_ptr<Session> s(new Session());
  s->source_ = source;
  s->options_ = options;
  s->model_ = std::move(model);
  RETURN_IF_ERROR(s->Init(base_dir));
  return s;
}

absl::Status Session::Init(const std::string& base_dir) {
  absl::StatusOr<const KernelTable*> table = GetKernelTable(options_.backend);
  if (!table.ok()) {
    return absl::Status(table.status().code(),
                        absl::StrCat(source_, ": ", table.status().message()));
  }
  table_ = *table;
  if (options_.run_checker) {
    // The ONNX library reports problems with exceptions; they stop here.
    try {
      onnx::checker::check_model(model_);
    } catch (const std::exception& e) {
      std::string what = e.what();
      std::replace(what.begin(), what.end(), '\n', ' ');
      return absl::InvalidArgumentError(
          absl::StrCat(source_, ": the ONNX checker rejects the model: ", what));
    }
    try {
      onnx::ShapeInferenceOptions opts{/*check_type=*/false, /*error_mode=*/0,
                                       /*enable_data_propagation=*/false};
      onnx::shape_inference::InferShapes(model_, onnx::OpSchemaRegistry::Instance(), opts);
    } catch (const std::exception& e) {
      if (options_.strict_shape_inference) {
        std::string what = e.what();
        std::replace(what.begin(), what.end(), '\n', ' ');
        return absl::InvalidArgumentError(
            absl::StrCat(source_, ": ONNX shape inference fails: ", what));
      }
    }
  }
  opsets_ = OpsetMap(model_);
  const onnx::GraphProto& g = model_.graph();

  // Every missing kernel at once, before anything is bound or run.
  std::vector<UnsupportedNode> missing = FindUnsupportedNodes(model_, *table_);
  if (!missing.empty()) {
    std::vector<std::string> items;
    for (const UnsupportedNode& u : missing) {
      items.push_back(absl::StrCat("'", u.node_name, "' ", u.domain.empty() ? "" : u.domain + ".",
                                   u.op_type, " (opset ", u.opset, ")"));
    }
    return absl::UnimplementedError(absl::StrCat(
        source_, ": ", missing.size(), " node(s) have no kernel on backend \"",
        table_->backend(), "\": ", absl::StrJoin(items, ", ")));
  }

  for (onnx::TensorProto& init : *model_.mutable_graph()->mutable_initializer()) {
    ASSIGN_OR_RETURN(Tensor t, TensorFromProto(init, source_, base_dir));
    initializers_[init.name()] = std::move(t);
    // The bytes now live in the Tensor; drop the proto's copy.
    init.clear_raw_data();
    init.clear_float_data();
    init.clear_int32_data();
    init.clear_int64_data();
    init.clear_double_data();
  }
  for (const onnx::ValueInfoProto& v : g.input()) {
    if (initializers_.count(v.name()) == 0) input_names_.push_back(v.name());
  }
  for (const onnx::ValueInfoProto& v : g.output()) output_names_.push_back(v.name());

  // Producers, and a topological order that keeps graph order where it is valid (Kahn's
  // algorithm, smallest ready index first).
  const int n = g.node_size();
  std::set<std::string> available(input_names_.begin(), input_names_.end());
  for (const auto& [name, t] : initializers_) available.insert(name);
  std::map<std::string, std::vector<int>> consumers;
  std::vector<int> missing_inputs(n, 0);
  for (int i = 0; i < n; ++i) {
    const onnx::NodeProto& node = g.node(i);
    for (const std::string& out : node.output()) {
      if (out.empty()) continue;
      if (producers_.count(out) || available.count(out)) {
        return absl::InvalidArgumentError(absl::StrCat(source_, ": ", NodeLabel(node),
                                                       ": value \"", out,
                                                       "\" is produced more than once"));
      }
      producers_[out] = {i, node.name(), node.op_type()};
    }
  }
  for (int i = 0; i < n; ++i) {
    const onnx::NodeProto& node = g.node(i);
    std::set<std::string> seen;
    for (const std::string& in : node.input()) {
      if (in.empty()) continue;
      ++use_counts_[in];
      if (available.count(in)) continue;
      if (producers_.count(in) == 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            source_, ": ", NodeLabel(node), ": input \"", in,
            "\" is not a graph input, an initializer or any node's output"));
      }
      if (seen.insert(in).second) {
        ++missing_inputs[i];
        consumers[in].push_back(i);
      }
    }
  }
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (int i = 0; i < n; ++i) if (missing_inputs[i] == 0) ready.push(i);
  while (!ready.empty()) {
    const int i = ready.top();
    ready.pop();
    order_.push_back(i);
    for (const std::string& out : g.node(i).output()) {
      for (int c : consumers[out]) {
        if (--missing_inputs[c] == 0) ready.push(c);
      }
    }
  }
  if (static_cast<int>(order_.size()) != n) {
    for (int i = 0; i < n; ++i) {
      if (missing_inputs[i] > 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            source_, ": ", NodeLabel(g.node(i)), " is part of a cycle; expected an acyclic graph"));
      }
    }
  }
  for (const std::string& out : output_names_) {
    if (!producers_.count(out) && !available.count(out)) {
      return absl::InvalidArgumentError(
          absl::StrCat(source_, ": graph output \"", out, "\" is never produced"));
    }
  }
  kernels_.resize(n);
  for (int i = 0; i < n; ++i) {
    const onnx::NodeProto& node = g.node(i);
    kernels_[i] = table_->Find(NormalizeDomain(node.domain()), node.op_type(),
                               Opset(node.domain()));
  }
  for (int i : order_) {
    plain_.nodes.push_back(&g.node(i));
    plain_.kernels.push_back(kernels_[i]);
  }
  plain_.use_counts = use_counts_;
  if (options_.fuse && table_->backend() == "cpu" && CpuFastKernelsEnabled()) {
    RETURN_IF_ERROR(BuildFusedPlan());
  }
  return absl::OkStatus();
}

absl::Status Session::BuildFusedPlan() {
  FusedGraph fg = FuseForCpu(model_.graph(), order_, initializers_, Opset(""));
  if (fg.matmul_bias + fg.layer_norm + fg.gelu == 0) return absl::OkStatus();
  fusion_ = std::move(fg);
  for (const onnx::NodeProto& node : fusion_.nodes) {
    const KernelDef* k =
        node.domain() == kFusedDomain
            ? cpu::FusedKernelTable().Find(node.domain(), node.op_type(), 1)
            : table_->Find(NormalizeDomain(node.domain()), node.op_type(), Opset(node.domain()));
    if (k == nullptr) {
      return absl::InternalError(absl::StrCat(source_, ": fusion made ", NodeLabel(node),
                                              ", which has no kernel on backend \"cpu\""));
    }
    fused_.nodes.push_back(&node);
    fused_.kernels.push_back(k);
    for (const std::string& in : node.input()) {
      if (!in.empty()) ++fused_.use_counts[in];
    }
  }
  return absl::OkStatus();
}

int Session::Opset(const std::string& domain) const {
  auto it = opsets_.find(NormalizeDomain(domain));
  return it == opsets_.end() ? 0 : it->second;
}

absl::Status Session::ReplaceInitializer(const std::string& name, const Tensor& value) {
  auto it = initializers_.find(name);
  if (it == initializers_.end()) {
    return absl::NotFoundError(
        absl::StrCat(source_, ": initializer \"", name, "\" does not exist in the model"));
  }
  if (value.shape() != it->second.shape()) {
    return absl::InvalidArgumentError(absl::StrCat(
        source_, ": initializer \"", name, "\": replacement has shape ",
        ShapeToString(value.shape()), ", expected ", ShapeToString(it->second.shape())));
  }
  Tensor t = value;
  if (t.dtype() != it->second.dtype()) {
    ASSIGN_OR_RETURN(t, Cast(value, it->second.dtype()));
  } else {
    ASSIGN_OR_RETURN(t, value.Contiguous());
  }
  it->second = std::move(t);
  return absl::OkStatus();
}

const ValueProducer* Session::Producer(const std::string& value_name) const {
  auto it = producers_.find(value_name);
  return it == producers_.end() ? nullptr : &it->second;
}

absl::StatusOr<std::map<std::string, Tensor>> Session::Run(
    const std::map<std::string, Tensor>& inputs, const RunOptions& options) const {
  const onnx::GraphProto& g = model_.graph();
  std::map<std::string, Tensor> env(initializers_);
  // Graph inputs: every declared one must be fed with the declared element type and static dims.
  for (const onnx::ValueInfoProto& v : g.input()) {
    auto it = inputs.find(v.name());
    if (it == inputs.end()) {
      if (initializers_.count(v.name())) continue;
      return absl::InvalidArgumentError(
          absl::StrCat(source_, ": graph input \"", v.name(), "\" was not given"));
    }
    const Tensor& t = it->second;
    if (v.type().has_tensor_type()) {
      const auto& tt = v.type().tensor_type();
      absl::StatusOr<DType> want = DTypeFromOnnx(tt.elem_type());
      if (want.ok() && *want != t.dtype()) {
        return absl::InvalidArgumentError(absl::StrCat(
            source_, ": graph input \"", v.name(), "\" is ", DTypeName(t.dtype()), ", expected ",
            DTypeName(*want)));
      }
      if (tt.has_shape()) {
        bool ok = tt.shape().dim_size() == t.rank();
        for (int d = 0; ok && d < t.rank(); ++d) {
          const auto& dim = tt.shape().dim(d);
          if (dim.has_dim_value() && dim.dim_value() != t.shape()[d]) ok = false;
        }
        if (!ok) {
          std::vector<std::string> dims;
          for (const auto& dim : tt.shape().dim()) {
            dims.push_back(dim.has_dim_value() ? absl::StrCat(dim.dim_value())
                                               : (dim.dim_param().empty() ? "?" : dim.dim_param()));
          }
          return absl::InvalidArgumentError(absl::StrCat(
              source_, ": graph input \"", v.name(), "\" has shape ", ShapeToString(t.shape()),
              ", expected [", absl::StrJoin(dims, ", "), "]"));
        }
      }
    }
    env[v.name()] = t;
  }
  for (const auto& [name, t] : inputs) {
    if (!env.count(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat(source_, ": \"", name, "\" is not a graph input of the model"));
    }
  }
  for (const auto& [name, t] : options.overrides) {
    if (!env.count(name) && !producers_.count(name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          source_, ": override \"", name, "\" names no value of the model (no node output, "
          "graph input or initializer)"));
    }
  }
  std::unique_ptr<RE2> pattern;
  if (options.capture && !options.capture_pattern.empty()) {
    pattern = std::make_unique<RE2>(options.capture_pattern, RE2::Quiet);
    if (!pattern->ok()) {
      return absl::InvalidArgumentError(absl::StrCat("capture pattern \"",
                                                     options.capture_pattern,
                                                     "\" is not a valid RE2: ", pattern->error()));
    }
  }
  std::set<std::string> graph_outputs(output_names_.begin(), output_names_.end());
  // Fused kernels only where no one looks at or replaces an intermediate value.
  const bool fused = !fused_.nodes.empty() && !options.capture && options.overrides.empty();
  const ExecPlan& plan = fused ? fused_ : plain_;
  std::map<std::string, int> remaining = plan.use_counts;
  for (size_t step = 0; step < plan.nodes.size(); ++step) {
    const onnx::NodeProto& node = *plan.nodes[step];
    std::vector<const Tensor*> ins;
    for (const std::string& in : node.input()) {
      if (in.empty()) {
        ins.push_back(nullptr);
        continue;
      }
      auto o = options.overrides.find(in);
      if (o != options.overrides.end()) {
        ins.push_back(&o->second);
        continue;
      }
      auto it = env.find(in);
      if (it == env.end()) {
        return absl::InternalError(absl::StrCat(source_, ": ", NodeLabel(node), ": input \"", in,
                                                "\" is not available"));
      }
      ins.push_back(&it->second);
    }
    KernelContext ctx(node, Opset(node.domain()), std::move(ins), options_.num_threads);
    absl::Status st = plan.kernels[step]->fn(ctx);
    if (!st.ok()) {
      const std::string label = NodeLabel(node);
      std::string msg(st.message());
      if (!absl::StartsWith(msg, label)) msg = absl::StrCat(label, ": ", msg);
      return absl::Status(st.code(), absl::StrCat(source_, ": ", msg));
    }
    for (int k = 0; k < node.output_size(); ++k) {
      const std::string& out = node.output(k);
      if (out.empty()) continue;
      Tensor& t = ctx.outputs()[k];
      if (t.data() == nullptr) {
        return absl::InternalError(absl::StrCat(source_, ": ", NodeLabel(node),
                                                ": the kernel did not produce output ", k, " \"",
                                                out, "\""));
      }
      if (options.capture && (pattern == nullptr || RE2::PartialMatch(out, *pattern))) {
        options.capture(node, out, t);
      }
      if (remaining[out] > 0 || graph_outputs.count(out)) env[out] = std::move(t);
    }
    // Release values whose last consumer just ran.
    for (const std::string& in : node.input()) {
      if (in.empty()) continue;
      if (--remaining[in] == 0 && !graph_outputs.count(in)) env.erase(in);
    }
  }
  std::map<std::string, Tensor> result;
  for (const std::string& out : output_names_) result[out] = env.at(out);
  return result;
}

}  // namespace rt
}  // namespace tp
