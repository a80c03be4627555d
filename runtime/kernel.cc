#include "runtime/kernel.h"

#include "absl/strings/str_cat.h"

namespace tp {
namespace rt {

absl::StatusOr<const Tensor*> KernelContext::Input(int i) const {
  if (!HasInput(i)) {
    return Error(absl::StatusCode::kInvalidArgument,
                 absl::StrCat("input ", i, " is missing; expected a tensor"));
  }
  return inputs_[i];
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

std::string KernelContext::NodeLabel() const {
  return absl::StrCat("node '", node_.name(), "' (", node_.op_type(), ")");
}

absl::Status KernelContext::Error(absl::StatusCode code, absl::string_view message) const {
  return absl::Status(code, absl::StrCat(NodeLabel(), ": ", message));
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
