#include "convert/transform.h"

#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace tp {
namespace {

std::map<std::string, TransformDef>& Registry() {
  static auto* registry = new std::map<std::string, TransformDef>();
  return *registry;
}

}  // namespace

TransformRegistration::TransformRegistration(TransformDef def) {
  std::string op = def.op;
  Registry()[op] = std::move(def);
}

const TransformDef* FindTransform(absl::string_view op) {
  auto it = Registry().find(std::string(op));
  return it == Registry().end() ? nullptr : &it->second;
}

std::vector<std::string> TransformOps() {
  std::vector<std::string> out;
  for (const auto& [op, def] : Registry()) out.push_back(op);
  return out;
}

std::string Transform::Describe() const {
  const TransformDef* def = FindTransform(op);
  return def == nullptr ? absl::StrCat(op, "(?)") : def->describe(*this);
}

absl::StatusOr<Tensor> ApplyTransform(const Transform& t, const std::vector<Tensor>& inputs) {
  const TransformDef* def = FindTransform(t.op);
  if (def == nullptr) {
    return absl::InternalError(absl::StrCat("transform \"", t.op, "\" is not registered"));
  }
  return def->apply(inputs, t);
}

absl::StatusOr<std::optional<Tensor>> InvertTransform(const Transform& t, const Tensor& output) {
  const TransformDef* def = FindTransform(t.op);
  if (def == nullptr || !def->invert) return std::optional<Tensor>();
  ASSIGN_OR_RETURN(Tensor in, def->invert(output, t));
  return std::optional<Tensor>(std::move(in));
}

}  // namespace tp
