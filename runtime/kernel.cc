#include "runtime/kernel.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tp {
namespace rt {

KernelContext::KernelContext(const onnx::NodeProto& node, int opset,
                             std::vector<const Tensor*> inputs, int num_threads)
    : node_(node), opset_(opset), num_threads_(num_threads) {
  owned_.reserve(inputs.size());
  for (const Tensor* t : inputs) owned_.push_back(t ? Value::FromTensor(*t) : Value::None());
  for (size_t i = 0; i < inputs.size(); ++i) {
    values_.push_back(inputs[i] ? &owned_[i] : nullptr);
    tensors_.push_back(inputs[i] ? &owned_[i].tensor() : nullptr);
  }
  outputs_.resize(node.output_size());
  value_outputs_.resize(node.output_size());
  has_value_output_.assign(node.output_size(), false);
}

KernelContext::KernelContext(const onnx::NodeProto& node, int opset,
                             std::vector<const Value*> inputs, int num_threads,
                             SubgraphRunner* subgraphs)
    : node_(node),
      opset_(opset),
      values_(std::move(inputs)),
      num_threads_(num_threads),
      subgraphs_(subgraphs) {
  for (const Value* v : values_) tensors_.push_back(v && v->is_tensor() ? &v->tensor() : nullptr);
  outputs_.resize(node.output_size());
  value_outputs_.resize(node.output_size());
  has_value_output_.assign(node.output_size(), false);
}

absl::StatusOr<const Tensor*> KernelContext::Input(int i) const {
  if (!HasInput(i)) {
    return Invalid(absl::StrCat("input ", i, " is missing; expected a tensor"));
  }
  if (tensors_[i] == nullptr) {
    return Invalid(absl::StrCat("input ", i, " is a ", values_[i]->Describe(),
                                "; expected a tensor"));
  }
  return tensors_[i];
}

void KernelContext::SetOutputValue(int i, Value v) {
  if (v.is_tensor()) {
    outputs_[i] = v.tensor();
    has_value_output_[i] = false;
    return;
  }
  value_outputs_[i] = std::move(v);
  has_value_output_[i] = true;
}

bool KernelContext::TakeOutput(int i, Value* out) {
  if (has_value_output_[i]) {
    *out = std::move(value_outputs_[i]);
    return true;
  }
  // Every tensor a kernel makes (Zeros, FromBytes, views) has data, even with no elements.
  if (outputs_[i].data() == nullptr) return false;
  *out = Value::FromTensor(std::move(outputs_[i]));
  return true;
}

absl::StatusOr<SubgraphRunner*> KernelContext::subgraphs() const {
  if (subgraphs_ == nullptr) {
    return Error(absl::StatusCode::kFailedPrecondition,
                 "runs graph attributes, which needs a session; expected to run inside one");
  }
  return subgraphs_;
}

const onnx::AttributeProto* KernelContext::Attr(absl::string_view name) const {
  for (const onnx::AttributeProto& a : node_.attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

int64_t KernelContext::GetInt(absl::string_view name, int64_t default_value) const {
  const onnx::AttributeProto* a = Attr(name);
  return a == nullptr ? default_value : a->i();
}

float KernelContext::GetFloat(absl::string_view name, float default_value) const {
  const onnx::AttributeProto* a = Attr(name);
  return a == nullptr ? default_value : a->f();
}

std::string KernelContext::GetString(absl::string_view name,
                                     absl::string_view default_value) const {
  const onnx::AttributeProto* a = Attr(name);
  return a == nullptr ? std::string(default_value) : a->s();
}

std::vector<int64_t> KernelContext::GetInts(absl::string_view name,
                                            std::vector<int64_t> default_value) const {
  const onnx::AttributeProto* a = Attr(name);
  if (a == nullptr) return default_value;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

std::vector<float> KernelContext::GetFloats(absl::string_view name,
                                            std::vector<float> default_value) const {
  const onnx::AttributeProto* a = Attr(name);
  if (a == nullptr) return default_value;
  return std::vector<float>(a->floats().begin(), a->floats().end());
}

absl::StatusOr<const onnx::GraphProto*> KernelContext::GetGraph(absl::string_view name) const {
  const onnx::AttributeProto* a = Attr(name);
  if (a == nullptr || !a->has_g()) {
    return Invalid(absl::StrCat("graph attribute '", name, "' is missing"));
  }
  return &a->g();
}

std::string KernelContext::NodeLabel() const {
  return absl::StrCat("node '", node_.name(), "' (", node_.op_type(), ")");
}

absl::Status KernelContext::Error(absl::StatusCode code, absl::string_view message) const {
  return absl::Status(code, absl::StrCat(NodeLabel(), ": ", message));
}

absl::Status KernelContext::Invalid(absl::string_view message) const {
  return Error(absl::StatusCode::kInvalidArgument, message);
}

absl::Status KernelContext::Annotate(const absl::Status& s) const {
  if (s.ok() || absl::StartsWith(s.message(), NodeLabel())) return s;
  return Error(s.code(), s.message());
}

const KernelDef* KernelTable::Find(absl::string_view domain, absl::string_view op_type,
                                   int opset) const {
  // "ai.onnx" is the default domain spelled out.
  const absl::string_view d = domain == "ai.onnx" ? absl::string_view() : domain;
  for (const KernelDef& k : kernels_) {
    if (k.op_type == op_type && k.domain == d && opset >= k.since_version &&
        opset <= k.until_version) {
      return &k;
    }
  }
  return nullptr;
}

}  // namespace rt
}  // namespace tp
