#include "runtime/rewrite/work_graph.h"

#include "absl/strings/str_cat.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {

bool ValueInfo::FullyKnown() const {
  if (!has_shape) return false;
  for (int64_t d : dims) {
    if (d < 0) return false;
  }
  return true;
}

WorkGraph::WorkGraph(const onnx::GraphProto& graph, const std::vector<int>& order,
                     const std::map<std::string, Tensor>& initializers, int default_opset)
    : opset(default_opset), initializers_(initializers) {
  for (int i : order) nodes.push_back(graph.node(i));
  for (const auto& o : graph.output()) {
    outputs_.insert(o.name());
    output_order_.push_back(o.name());
  }
  auto note = [&](const onnx::ValueInfoProto& v) {
    names_.insert(v.name());
    if (!v.type().has_tensor_type()) return;
    const auto& tt = v.type().tensor_type();
    ValueInfo info;
    absl::StatusOr<DType> dt = DTypeFromOnnx(tt.elem_type());
    if (dt.ok()) {
      info.has_dtype = true;
      info.dtype = *dt;
    }
    if (tt.has_shape()) {
      info.has_shape = true;
      for (const auto& d : tt.shape().dim()) info.dims.push_back(d.has_dim_value() ? d.dim_value() : -1);
    }
    info_[v.name()] = info;
  };
  for (const auto& v : graph.input()) note(v);
  for (const auto& v : graph.value_info()) note(v);
  for (const auto& v : graph.output()) note(v);
  for (const auto& [name, t] : initializers_) {
    names_.insert(name);
    ValueInfo info;
    info.has_dtype = info.has_shape = true;
    info.dtype = t.dtype();
    info.dims = t.shape();
    info_[name] = info;
  }
  for (const onnx::NodeProto& n : nodes) {
    for (const std::string& s : n.output()) names_.insert(s);
    for (const std::string& s : n.input()) names_.insert(s);
  }
}

const Tensor* WorkGraph::Constant(const std::string& name) const {
  auto a = added_.find(name);
  if (a != added_.end()) return &a->second;
  auto it = initializers_.find(name);
  return it == initializers_.end() ? nullptr : &it->second;
}

std::string WorkGraph::AddConstant(const std::string& base, Tensor t) {
  const std::string name = names_.count(base) ? NewName(base) : base;
  names_.insert(name);
  ValueInfo info;
  info.has_dtype = info.has_shape = true;
  info.dtype = t.dtype();
  info.dims = t.shape();
  info_[name] = info;
  added_[name] = std::move(t);
  return name;
}

void WorkGraph::DefineConstant(const std::string& name, Tensor t) {
  names_.insert(name);
  ValueInfo info;
  info.has_dtype = info.has_shape = true;
  info.dtype = t.dtype();
  info.dims = t.shape();
  info_[name] = info;
  added_[name] = std::move(t);
}

const ValueInfo* WorkGraph::Info(const std::string& name) const {
  auto it = info_.find(name);
  return it == info_.end() ? nullptr : &it->second;
}

bool WorkGraph::IsF32(const std::string& name) const {
  const ValueInfo* i = Info(name);
  return i != nullptr && i->has_dtype && i->dtype == DType::kF32 && i->has_shape;
}

std::optional<std::vector<int64_t>> WorkGraph::Dims(const std::string& name) const {
  const ValueInfo* i = Info(name);
  if (i == nullptr || !i->FullyKnown()) return std::nullopt;
  return i->dims;
}

std::string WorkGraph::NewName(const std::string& base) {
  for (int k = 1;; ++k) {
    std::string name = absl::StrCat(base, "_", k);
    if (!names_.count(name)) {
      names_.insert(name);
      return name;
    }
  }
}

std::map<std::string, std::vector<Use>> WorkGraph::Uses() const {
  std::map<std::string, std::vector<Use>> uses;
  for (int i = 0; i < static_cast<int>(nodes.size()); ++i) {
    for (int s = 0; s < nodes[i].input_size(); ++s) {
      if (!nodes[i].input(s).empty()) uses[nodes[i].input(s)].push_back({i, s});
    }
  }
  return uses;
}

std::map<std::string, int> WorkGraph::Producers() const {
  std::map<std::string, int> p;
  for (int i = 0; i < static_cast<int>(nodes.size()); ++i) {
    for (const std::string& o : nodes[i].output()) {
      if (!o.empty()) p[o] = i;
    }
  }
  return p;
}

void WorkGraph::RemoveDeadNodes() {
  for (bool changed = true; changed;) {
    changed = false;
    const auto uses = Uses();
    std::vector<onnx::NodeProto> kept;
    for (onnx::NodeProto& n : nodes) {
      bool live = false;
      for (const std::string& o : n.output()) {
        live = live || (!o.empty() && (uses.count(o) || IsGraphOutput(o)));
      }
      if (live) {
        kept.push_back(std::move(n));
      } else {
        changed = true;
      }
    }
    nodes = std::move(kept);
  }
}

const onnx::AttributeProto* FindAttr(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

int64_t AttrInt(const onnx::NodeProto& n, const std::string& name, int64_t def) {
  const onnx::AttributeProto* a = FindAttr(n, name);
  return a == nullptr ? def : a->i();
}

float AttrFloat(const onnx::NodeProto& n, const std::string& name, float def) {
  const onnx::AttributeProto* a = FindAttr(n, name);
  return a == nullptr ? def : a->f();
}

std::string AttrString(const onnx::NodeProto& n, const std::string& name,
                       const std::string& def) {
  const onnx::AttributeProto* a = FindAttr(n, name);
  return a == nullptr ? def : a->s();
}

std::vector<int64_t> AttrInts(const onnx::NodeProto& n, const std::string& name) {
  const onnx::AttributeProto* a = FindAttr(n, name);
  if (a == nullptr) return {};
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

namespace {
onnx::AttributeProto* Reset(onnx::NodeProto* n, const std::string& name,
                            onnx::AttributeProto::AttributeType type) {
  for (int i = 0; i < n->attribute_size(); ++i) {
    if (n->attribute(i).name() == name) {
      n->mutable_attribute()->DeleteSubrange(i, 1);
      break;
    }
  }
  onnx::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(type);
  return a;
}
}  // namespace

void SetAttr(onnx::NodeProto* n, const std::string& name, int64_t v) {
  Reset(n, name, onnx::AttributeProto::INT)->set_i(v);
}
void SetAttr(onnx::NodeProto* n, const std::string& name, float v) {
  Reset(n, name, onnx::AttributeProto::FLOAT)->set_f(v);
}
void SetAttr(onnx::NodeProto* n, const std::string& name, const std::string& v) {
  Reset(n, name, onnx::AttributeProto::STRING)->set_s(v);
}
void SetAttr(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
  onnx::AttributeProto* a = Reset(n, name, onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

bool IsOp(const onnx::NodeProto& n, const char* op) {
  return (n.domain().empty() || n.domain() == "ai.onnx") && n.op_type() == op;
}

}  // namespace rt
}  // namespace tp
