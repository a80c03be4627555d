// A runtime value of an ONNX graph: a tensor, a sequence of tensors (the seq(tensor) type that
// SequenceEmpty, SplitToSequence and Loop-carried lists make), or an optional without a value.
//
// An optional *with* a value is just that value: the runtime never needs the wrapper, only
// OptionalHasElement asks, and it asks whether the value is kNone. Values are cheap handles:
// copying one copies Tensor handles, never element data.
//
// Example:
//   Value v = Value::FromTensor(TensorFromFloats({2}, {1, 2}));
//   Value s = Value::Sequence(DType::kF32, {v.tensor(), v.tensor()});
//   if (s.is_sequence()) int n = static_cast<int>(s.items().size());   // 2
//   std::string what = s.Describe();                                   // "sequence of 2 f32
//   tensors"
#ifndef TENSORPORT_RUNTIME_VALUE_H_
#define TENSORPORT_RUNTIME_VALUE_H_

#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace tp {
namespace rt {

class Value {
 public:
  enum class Kind { kTensor, kSequence, kNone };

  // An optional without a value.
  Value() = default;
  static Value FromTensor(Tensor t) {
    Value v;
    v.kind_ = Kind::kTensor;
    v.tensor_ = std::move(t);
    return v;
  }
  // Every item must have `elem_type` (the caller checks; sequences are built by kernels that do).
  static Value Sequence(DType elem_type, std::vector<Tensor> items) {
    Value v;
    v.kind_ = Kind::kSequence;
    v.elem_type_ = elem_type;
    v.items_ = std::move(items);
    return v;
  }
  static Value None() { return Value(); }

  Kind kind() const { return kind_; }
  bool is_tensor() const { return kind_ == Kind::kTensor; }
  bool is_sequence() const { return kind_ == Kind::kSequence; }
  bool is_none() const { return kind_ == Kind::kNone; }

  const Tensor& tensor() const { return tensor_; }
  const std::vector<Tensor>& items() const { return items_; }
  DType elem_type() const { return elem_type_; }

  // "tensor f32 [2, 3]", "sequence of 3 f32 tensors", "optional without a value".
  std::string Describe() const;

 private:
  Kind kind_ = Kind::kNone;
  Tensor tensor_;
  DType elem_type_ = DType::kF32;
  std::vector<Tensor> items_;
};

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_VALUE_H_
