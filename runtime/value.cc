#include "runtime/value.h"

#include "absl/strings/str_cat.h"

namespace tp {
namespace rt {

std::string Value::Describe() const {
  switch (kind_) {
    case Kind::kTensor:
      return absl::StrCat("tensor ", DTypeName(tensor_.dtype()), " ",
                          ShapeToString(tensor_.shape()));
    case Kind::kSequence:
      return absl::StrCat("sequence of ", items_.size(), " ", DTypeName(elem_type_), " tensors");
    case Kind::kNone:
      break;
  }
  return "optional without a value";
}

}  // namespace rt
}  // namespace tp
