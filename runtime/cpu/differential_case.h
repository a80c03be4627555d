// The differential test's harness (differential_test.cc): single-node cases run on the cpu and
// reference backends and compared, and the registry that maps every fast op to its cases. Case
// files (differential_*_cases.cc, by op group) register with one constant each:
//
//   const CaseRegistration kPoolCases({"MaxPool", "AveragePool"}, [](const std::string& op,
//                                                                   std::vector<Case>* out) {...});
//
// Example:
//   Case c("conv1d", "Conv");
//   c.In(Random({1, 2, 9}, 1)).In(Random({3, 2, 3}, 2)).Outputs(1).Ints("pads", {1, 1});
//   Check(c);  // gtest expectations: cpu output within c.rtol() of the reference output
#ifndef TENSORPORT_RUNTIME_CPU_DIFFERENTIAL_CASE_H_
#define TENSORPORT_RUNTIME_CPU_DIFFERENTIAL_CASE_H_

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/tensor.h"

namespace tp {
namespace rt {

// Normal(0, scale) float32 values from a fixed seed.
Tensor Random(Shape shape, uint32_t seed, float scale = 1.0f);
Tensor IntsI64(Shape shape, const std::vector<int64_t>& values);
Tensor Ints(Shape shape, const std::vector<int32_t>& values);
// NaN, +-inf, +-0, tiny, large and ordinary values.
Tensor Special();

// A single-node case: op, attributes, inputs (absent optional inputs as empty Tensor slots).
class Case {
 public:
  Case(std::string name, std::string op, int opset = 17) : opset_(opset) {
    node_.set_name(std::move(name));
    node_.set_op_type(std::move(op));
  }
  Case& In(Tensor t) {
    node_.add_input(absl::StrCat("in", inputs_.size()));
    inputs_.push_back(std::move(t));
    present_.push_back(true);
    return *this;
  }
  Case& Skip() {
    node_.add_input("");
    inputs_.emplace_back();
    present_.push_back(false);
    return *this;
  }
  Case& Outputs(int n) {
    for (int i = 0; i < n; ++i) node_.add_output(absl::StrCat("out", i));
    return *this;
  }
  Case& Int(const std::string& name, int64_t v) {
    auto* a = Attr(name, onnx::AttributeProto::INT);
    a->set_i(v);
    return *this;
  }
  Case& Ints(const std::string& name, std::vector<int64_t> v) {
    auto* a = Attr(name, onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
    return *this;
  }
  Case& Float(const std::string& name, float v) {
    auto* a = Attr(name, onnx::AttributeProto::FLOAT);
    a->set_f(v);
    return *this;
  }
  Case& Str(const std::string& name, const std::string& v) {
    auto* a = Attr(name, onnx::AttributeProto::STRING);
    a->set_s(v);
    return *this;
  }
  // Tolerance relative to the largest reference magnitude (0: bit-exact).
  Case& Rtol(double rtol) {
    rtol_ = rtol;
    return *this;
  }

  const onnx::NodeProto& node() const { return node_; }
  int opset() const { return opset_; }
  double rtol() const { return rtol_; }
  std::vector<const Tensor*> InputPtrs() const {
    std::vector<const Tensor*> v;
    for (size_t i = 0; i < inputs_.size(); ++i) v.push_back(present_[i] ? &inputs_[i] : nullptr);
    return v;
  }

 private:
  onnx::AttributeProto* Attr(const std::string& name, onnx::AttributeProto::AttributeType type) {
    onnx::AttributeProto* a = node_.add_attribute();
    a->set_name(name);
    a->set_type(type);
    return a;
  }
  onnx::NodeProto node_;
  int opset_;
  double rtol_ = 2e-5;
  std::vector<Tensor> inputs_;
  std::vector<bool> present_;
};

// Runs the case on both backends and compares every output: max |cpu - ref| must stay within
// c.rtol() * max |ref| (+ a tiny absolute floor for all-zero outputs); non-finite reference values
// must match exactly.
void Check(const Case& c);

using CaseFn = std::function<void(const std::string& op, std::vector<Case>* out)>;

// Registers `fn` as the case maker of `ops` (a static constant per case file).
class CaseRegistration {
 public:
  CaseRegistration(std::vector<std::string> ops, CaseFn fn);
};

// Every registered case of `op`.
std::vector<Case> CasesFor(const std::string& op);

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_CPU_DIFFERENTIAL_CASE_H_
