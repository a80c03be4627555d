// Differential cases of the element-wise math and activation ops added for the CNN and audio
// models: HardSigmoid, HardSwish, Clip, Elu, Celu, Selu, Softplus, Softsign, ThresholdedRelu,
// Shrink, Gelu, Log, Sin, Cos, Floor, Ceil, Round, Sign. Each op gets random values around its
// kinks, a multi-threaded size, the special values (NaN, infinities, signed zeros) and an empty
// tensor; ops with attributes get non-default ones.
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/tensor.h"
#include "runtime/cpu/differential_case.h"

namespace tp {
namespace rt {
namespace {

Tensor Abs(Tensor t, float offset) {
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    t.mutable_data_as<float>()[i] = std::fabs(t.data_as<float>()[i]) + offset;
  }
  return t;
}

void ActivationCases(const std::string& op, std::vector<Case>* out) {
  uint32_t seed = 2000;
  for (char ch : op) seed = seed * 31 + static_cast<uint8_t>(ch);
  const bool positive = op == "Log";
  auto values = [&](Shape shape, float scale) {
    Tensor t = Random(shape, seed++, scale);
    return positive ? Abs(t, 1e-3f) : t;
  };
  const int opset = op == "Gelu" ? 20 : 17;
  out->push_back(Case(op + "_random", op, opset).In(values({3, 1001}, 4.0f)).Outputs(1));
  // Above the threading thresholds (64K math, 512K cheap elements).
  out->push_back(Case(op + "_huge", op, opset).In(values({1, 600, 1024}, 3.0f)).Outputs(1));
  out->push_back(Case(op + "_special", op, opset).In(Special()).Outputs(1));
  out->push_back(Case(op + "_empty", op, opset).In(Random({0, 4}, seed++)).Outputs(1));
  if (op == "HardSigmoid") {
    out->push_back(Case("HardSigmoid_attrs", op)
                       .In(Random({4, 300}, seed++, 4.0f))
                       .Outputs(1)
                       .Float("alpha", 1.0f / 6.0f)
                       .Float("beta", 0.5f));
  }
  if (op == "Elu" || op == "Celu" || op == "ThresholdedRelu") {
    out->push_back(
        Case(op + "_alpha", op).In(Random({4, 300}, seed++, 3.0f)).Outputs(1).Float("alpha", 0.4f));
  }
  if (op == "Selu") {
    out->push_back(Case("Selu_attrs", op)
                       .In(Random({4, 300}, seed++, 3.0f))
                       .Outputs(1)
                       .Float("alpha", 1.5f)
                       .Float("gamma", 0.9f));
  }
  if (op == "Shrink") {
    out->push_back(Case("Shrink_attrs", op)
                       .In(Random({4, 300}, seed++, 2.0f))
                       .Outputs(1)
                       .Float("lambd", 1.2f)
                       .Float("bias", 0.3f));
  }
  if (op == "Gelu") {
    out->push_back(Case("Gelu_tanh", op, 20)
                       .In(Random({4, 3000}, seed++, 3.0f))
                       .Outputs(1)
                       .Str("approximate", "tanh"));
    out->push_back(
        Case("Gelu_tanh_special", op, 20).In(Special()).Outputs(1).Str("approximate", "tanh"));
  }
  if (op == "Round") {
    out->push_back(Case("Round_halves", op)
                       .In(TensorFromFloats({8}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 3.49f,
                                                  -3.51f}))
                       .Outputs(1)
                       .Rtol(0.0));
  }
  if (op == "Clip") {
    Tensor x = Random({5, 777}, seed++, 3.0f);
    out->push_back(Case("Clip_relu6", op)
                       .In(x)
                       .In(TensorFromFloats({}, {0.0f}))
                       .In(TensorFromFloats({}, {6.0f}))
                       .Outputs(1));
    out->push_back(Case("Clip_min_only", op).In(x).In(TensorFromFloats({}, {-0.5f})).Outputs(1));
    out->push_back(
        Case("Clip_max_only", op).In(x).Skip().In(TensorFromFloats({1}, {0.25f})).Outputs(1));
    out->push_back(Case("Clip_opset6", op, 6)
                       .In(x)
                       .Outputs(1)
                       .Float("min", -1.0f)
                       .Float("max", 2.0f));
    out->push_back((Case("Clip_i64_reference", op)
                        .In(IntsI64({5}, {-9, -1, 0, 3, 12}))
                        .In(IntsI64({}, {-2}))
                        .In(IntsI64({}, {4}))
                        .Outputs(1))
                       .Rtol(0.0));
  }
}

const CaseRegistration kActivations(
    {"HardSigmoid", "HardSwish", "Clip", "Elu", "Celu", "Selu", "Softplus", "Softsign",
     "ThresholdedRelu", "Shrink", "Gelu", "Log", "Sin", "Cos", "Floor", "Ceil", "Round", "Sign"},
    ActivationCases);

}  // namespace
}  // namespace rt
}  // namespace tp
