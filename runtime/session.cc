#include "runtime/session.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <exception>
#include <set>

#include <google/protobuf/io/zero_copy_stream_impl.h>

#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"
#include "re2/re2.h"
#include "runtime/cpu/fused_kernels.h"
#include "runtime/cpu/kernel_table.h"
#include "runtime/executor.h"
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

void CollectUnsupported(const onnx::GraphProto& g, const std::string& prefix,
                        const std::map<std::string, int>& opsets, const KernelTable& table,
                        int depth, std::vector<UnsupportedNode>* out) {
  for (const onnx::NodeProto& n : g.node()) {
    const std::string domain = NormalizeDomain(n.domain());
    const int opset = OpsetFor(opsets, domain);
    if (table.Find(domain, n.op_type(), opset) == nullptr) {
      out->push_back({prefix + n.name(), domain, n.op_type(), opset});
    }
    // Nesting deeper than any exporter writes is left to the planner to reject.
    if (depth >= kMaxSubgraphDepth) continue;
    for (const auto& [attr, sub] : GraphAttributes(n)) {
      CollectUnsupported(*sub, absl::StrCat(prefix, n.name(), "/", attr, "/"), opsets, table,
                         depth + 1, out);
    }
  }
}

}  // namespace

std::vector<UnsupportedNode> FindUnsupportedNodes(const onnx::ModelProto& model,
                                                  const KernelTable& table) {
  std::vector<UnsupportedNode> out;
  CollectUnsupported(model.graph(), "", OpsetMap(model), table, 0, &out);
  return out;
}

std::string ModelDirectory(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

absl::StatusOr<onnx::ModelProto> ReadModelFile(const std::string& path) {
  // Parsed straight from the file: no whole-file buffer next to the parsed message, whose
  // raw_data strings then become the initializers' storage (TakeTensorFromProto).
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(absl::StrCat(path, ": cannot open the model file"));
  onnx::ModelProto model;
  bool parsed;
  {
    google::protobuf::io::FileInputStream stream(fd);
    parsed = model.ParseFromZeroCopyStream(&stream) && stream.GetErrno() == 0;
  }
  close(fd);
  if (!parsed) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a serialized onnx.ModelProto (protobuf parse failed)"));
  }
  return model;
}

absl::StatusOr<std::unique_ptr<Session>> Session::Load(const std::string& path,
                                                       const SessionOptions& options) {
  ASSIGN_OR_RETURN(onnx::ModelProto model, ReadModelFile(path));
  return FromModel(std::move(model), path, ModelDirectory(path), options);
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
  ASSIGN_OR_RETURN_CONTEXT(table_, GetKernelTable(options_.backend), source_);
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
      // Data propagation first: shapes computed by Shape / Gather / Concat chains (PyTorch's
      // GroupNorm and reshapes) stay known, which the cpu rewrites use. A model where it fails
      // is inferred again without.
      bool inferred = false;
      try {
        onnx::ShapeInferenceOptions with{/*check_type=*/false, /*error_mode=*/0,
                                         /*enable_data_propagation=*/true};
        onnx::shape_inference::InferShapes(model_, onnx::OpSchemaRegistry::Instance(), with);
        inferred = true;
      } catch (const std::exception&) {
        model_.mutable_graph()->clear_value_info();
      }
      if (!inferred) {
        onnx::ShapeInferenceOptions opts{/*check_type=*/false, /*error_mode=*/0,
                                         /*enable_data_propagation=*/false};
        onnx::shape_inference::InferShapes(model_, onnx::OpSchemaRegistry::Instance(), opts);
      }
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
    // The bytes move into the Tensor (no copy); the proto keeps name, type and dims.
    ASSIGN_OR_RETURN(Tensor t, TakeTensorFromProto(&init, source_, base_dir));
    initializer_values_[init.name()] = Value::FromTensor(t);
    initializers_[init.name()] = std::move(t);
  }
  for (const onnx::ValueInfoProto& v : g.input()) {
    if (initializers_.count(v.name()) == 0) input_names_.push_back(v.name());
  }
  for (const onnx::ValueInfoProto& v : g.output()) output_names_.push_back(v.name());

  // Execution order and kernels of the main graph and every subgraph.
  ASSIGN_OR_RETURN(plans_, PlanModel(model_, *table_, opsets_, initializers_, source_, base_dir));
  for (int i = 0; i < g.node_size(); ++i) {
    for (const std::string& out : g.node(i).output()) {
      if (!out.empty()) producers_[out] = {i, g.node(i).name(), g.node(i).op_type()};
    }
  }
  rewrite_ = options_.fuse && table_->backend() == "cpu" && CpuFastKernelsEnabled() &&
             !plans_.main->has_subgraphs;
  if (rewrite_) RETURN_IF_ERROR(BuildFusedPlan());
  return absl::OkStatus();
}

absl::Status Session::BuildFusedPlan() {
  fusion_ = FusedGraph();
  fused_ = GraphPlan();
  FusedGraph fg =
      FuseForCpu(model_.graph(), plans_.main->order, initializers_, Opset(""), options_.rewrites);
  if (!fg.changed()) return absl::OkStatus();
  fusion_ = std::move(fg);
  fused_.graph = &model_.graph();
  fused_.initializers = initializer_values_;
  for (const auto& [name, t] : fusion_.constants) fused_.initializers[name] = Value::FromTensor(t);
  for (const onnx::NodeProto& node : fusion_.nodes) {
    const KernelDef* k =
        node.domain() == kFusedDomain
            ? cpu::FusedKernelTable().Find(node.domain(), node.op_type(), 1)
            : table_->Find(NormalizeDomain(node.domain()), node.op_type(), Opset(node.domain()));
    if (k == nullptr) {
      return absl::InternalError(absl::StrCat(source_, ": a rewrite made ", NodeLabel(node),
                                              ", which has no kernel on backend \"cpu\""));
    }
    AddPlannedNode(node, k, node.domain() == kFusedDomain ? 1 : Opset(node.domain()), &fused_);
    for (const std::string& in : node.input()) {
      if (!in.empty()) ++fused_.use_counts[in];
    }
  }
  for (const std::string& out : output_names_) ++fused_.use_counts[out];
  return absl::OkStatus();
}

int Session::Opset(const std::string& domain) const { return OpsetFor(opsets_, domain); }

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
  initializer_values_[name] = Value::FromTensor(t);
  it->second = std::move(t);
  // Kernels may keep data derived from initializers (re-laid-out weights), and the rewrites baked
  // some into new constants (folded weights): both start over.
  auto clear = [](GraphPlan& plan) {
    for (auto& slot : plan.states) slot = std::make_unique<NodeStateSlot>();
  };
  clear(*plans_.main);
  for (auto& [graph, plan] : plans_.subgraphs) clear(*plan);
  if (rewrite_) RETURN_IF_ERROR(BuildFusedPlan());
  return absl::OkStatus();
}

const ValueProducer* Session::Producer(const std::string& value_name) const {
  auto it = producers_.find(value_name);
  return it == producers_.end() ? nullptr : &it->second;
}

absl::Status Session::CheckInput(const onnx::ValueInfoProto& v, const Value& value) const {
  const onnx::TypeProto& type = v.type();
  if (type.has_optional_type() && value.is_none()) return absl::OkStatus();
  const onnx::TypeProto& inner = type.has_optional_type() ? type.optional_type().elem_type() : type;
  if (inner.has_sequence_type()) {
    if (!value.is_sequence()) {
      return absl::InvalidArgumentError(absl::StrCat(source_, ": graph input \"", v.name(),
                                                     "\" is a ", value.Describe(),
                                                     ", expected a sequence"));
    }
    return absl::OkStatus();
  }
  if (!inner.has_tensor_type()) return absl::OkStatus();
  if (!value.is_tensor()) {
    return absl::InvalidArgumentError(absl::StrCat(source_, ": graph input \"", v.name(),
                                                   "\" is a ", value.Describe(),
                                                   ", expected a tensor"));
  }
  const Tensor& t = value.tensor();
  const auto& tt = inner.tensor_type();
  absl::StatusOr<DType> want = DTypeFromOnnx(tt.elem_type());
  if (want.ok() && *want != t.dtype()) {
    return absl::InvalidArgumentError(absl::StrCat(source_, ": graph input \"", v.name(),
                                                   "\" is ", DTypeName(t.dtype()),
                                                   ", expected ", DTypeName(*want)));
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
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, Tensor>> Session::Run(
    const std::map<std::string, Tensor>& inputs, const RunOptions& options) const {
  std::map<std::string, Value> values;
  for (const auto& [name, t] : inputs) values[name] = Value::FromTensor(t);
  ASSIGN_OR_RETURN(auto outputs, RunValues(values, options));
  std::map<std::string, Tensor> result;
  for (auto& [name, v] : outputs) {
    if (!v.is_tensor()) {
      return absl::InvalidArgumentError(absl::StrCat(
          source_, ": graph output \"", name, "\" is a ", v.Describe(),
          "; expected a tensor (RunValues returns values of every kind)"));
    }
    result[name] = v.tensor();
  }
  return result;
}

absl::StatusOr<std::map<std::string, Value>> Session::RunValues(
    const std::map<std::string, Value>& inputs, const RunOptions& options) const {
  const onnx::GraphProto& g = model_.graph();
  std::map<std::string, Value> env;
  // Graph inputs: every declared one must be fed (an optional one may be left out) with the
  // declared kind, element type and static dims.
  for (const onnx::ValueInfoProto& v : g.input()) {
    auto it = inputs.find(v.name());
    if (it == inputs.end()) {
      if (initializers_.count(v.name())) continue;
      if (v.type().has_optional_type()) {
        env[v.name()] = Value::None();
        continue;
      }
      return absl::InvalidArgumentError(
          absl::StrCat(source_, ": graph input \"", v.name(), "\" was not given"));
    }
    RETURN_IF_ERROR(CheckInput(v, it->second));
    env[v.name()] = it->second;
  }
  for (const auto& [name, v] : inputs) {
    if (!env.count(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat(source_, ": \"", name, "\" is not a graph input of the model"));
    }
  }
  for (const auto& [name, t] : options.overrides) {
    bool known = env.count(name) || initializers_.count(name) || producers_.count(name);
    for (auto it = plans_.subgraph_values.begin(); !known && it != plans_.subgraph_values.end();
         ++it) {
      known = absl::EndsWith(name, absl::StrCat("/", *it));
    }
    if (!known) {
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
  ExecConfig config;
  config.plans = &plans_;
  config.initializers = &initializer_values_;
  config.opsets = &opsets_;
  config.num_threads = options_.num_threads;
  config.capture = options.capture ? &options.capture : nullptr;
  config.capture_pattern = pattern.get();
  config.overrides = &options.overrides;
  config.kernel_log = options.kernel_log;
  // Fused kernels only where no one looks at or replaces an intermediate value.
  const bool fused = !fused_.nodes.empty() && !options.capture && options.overrides.empty();
  Executor executor(config);
  absl::StatusOr<std::map<std::string, Value>> out =
      executor.RunMain(fused ? fused_ : *plans_.main, std::move(env));
  if (!out.ok()) return Annotate(out.status(), source_);
  return out;
}

}  // namespace rt
}  // namespace tp
