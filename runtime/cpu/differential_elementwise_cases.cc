// Differential cases of the variadic and comparison ops, PRelu, Where and the reductions
// (ReduceSum .. ReduceLogSumExp over trailing, leading, middle and scattered axes, keepdims,
// axes from attributes and inputs; ArgMax / ArgMin with ties and select_last_index).
#include <cmath>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "runtime/cpu/differential_case.h"

namespace tp {
namespace rt {
namespace {

// Values with many ties (for ArgMax / ArgMin and comparisons).
Tensor Coarse(Shape shape, uint32_t seed) {
  Tensor t = Random(shape, seed, 2.0f);
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    t.mutable_data_as<float>()[i] = std::round(t.data_as<float>()[i]);
  }
  return t;
}

Tensor Bools(Shape shape, uint32_t seed) {
  Tensor r = Random(shape, seed);
  Tensor t = Tensor::Zeros(DType::kBool, shape);
  for (int64_t i = 0; i < t.num_elements(); ++i) t.mutable_data()[i] = r.data_as<float>()[i] > 0;
  return t;
}

void VariadicCases(const std::string& op, std::vector<Case>* out) {
  uint32_t seed = 5000 + static_cast<uint32_t>(op.size()) * 17 + static_cast<uint8_t>(op[1]);
  out->push_back(Case(op + "_three_bcast", op)
                     .In(Random({2, 3, 4}, seed++))
                     .In(Random({3, 1}, seed++))
                     .In(Random({4}, seed++))
                     .Outputs(1));
  out->push_back(Case(op + "_one", op).In(Random({5, 6}, seed++)).Outputs(1));
  out->push_back(Case(op + "_special", op).In(Special()).In(Random({12}, seed++)).Outputs(1));
  out->push_back(Case(op + "_big", op)
                     .In(Random({1, 600, 1024}, seed++))
                     .In(Random({1, 600, 1024}, seed++))
                     .Outputs(1));
}

void PReluCases(const std::string& op, std::vector<Case>* out) {
  out->push_back(Case("prelu_channel", op)
                     .In(Random({2, 8, 5, 5}, 5100))
                     .In(Random({8, 1, 1}, 5101))
                     .Outputs(1));
  out->push_back(Case("prelu_scalar", op).In(Random({3, 7}, 5102)).In(Random({1}, 5103)).Outputs(1));
  out->push_back(Case("prelu_special", op).In(Special()).In(Random({12}, 5104)).Outputs(1));
}

void CompareCases(const std::string& op, std::vector<Case>* out) {
  uint32_t seed = 5200 + static_cast<uint32_t>(op.size()) * 13;
  out->push_back(Case(op + "_same", op)
                     .In(Coarse({4, 50}, seed++))
                     .In(Coarse({4, 50}, seed++))
                     .Outputs(1)
                     .Rtol(0));
  out->push_back(Case(op + "_bcast", op)
                     .In(Coarse({3, 1, 5}, seed++))
                     .In(Coarse({4, 1}, seed++))
                     .Outputs(1)
                     .Rtol(0));
  out->push_back(Case(op + "_special", op).In(Special()).In(Special()).Outputs(1).Rtol(0));
}

void WhereCases(const std::string& op, std::vector<Case>* out) {
  out->push_back(Case("where_same", op)
                     .In(Bools({4, 30}, 5300))
                     .In(Random({4, 30}, 5301))
                     .In(Random({4, 30}, 5302))
                     .Outputs(1)
                     .Rtol(0));
  out->push_back(Case("where_bcast", op)
                     .In(Bools({1, 5}, 5303))
                     .In(Random({3, 1}, 5304))
                     .In(TensorFromFloats({}, {-1.0f}))
                     .Outputs(1)
                     .Rtol(0));
  out->push_back(Case("where_i64", op)
                     .In(Bools({6}, 5305))
                     .In(IntsI64({6}, {1, 2, 3, 4, 5, 6}))
                     .In(IntsI64({1}, {-9}))
                     .Outputs(1)
                     .Rtol(0));
  out->push_back(Case("where_big", op)
                     .In(Bools({1, 600, 1024}, 5306))
                     .In(Random({1, 600, 1024}, 5307))
                     .In(Random({1, 1, 1024}, 5308))
                     .Outputs(1)
                     .Rtol(0));
}

void ReduceCases(const std::string& op, std::vector<Case>* out) {
  uint32_t seed = 5400 + static_cast<uint32_t>(op.size()) * 11 + static_cast<uint8_t>(op.back());
  const bool input_axes = op == "ReduceSum";  // opset 13+ takes axes as an input
  auto with_axes = [&](Case c, std::vector<int64_t> axes) {
    if (input_axes) return c.In(IntsI64({static_cast<int64_t>(axes.size())}, axes));
    return c.Ints("axes", axes);
  };
  auto positive = [&](Shape s) {
    Tensor t = Random(s, seed++);
    for (int64_t i = 0; i < t.num_elements(); ++i) {
      t.mutable_data_as<float>()[i] = std::fabs(t.data_as<float>()[i]) + 0.5f;
    }
    return t;
  };
  const bool needs_positive = op == "ReduceLogSum" || op == "ReduceProd";
  auto x = [&](Shape s) { return needs_positive ? positive(s) : Random(s, seed++); };
  out->push_back(with_axes(Case(op + "_last", op).In(x({3, 4, 50})), {-1}).Outputs(1));
  out->push_back(with_axes(Case(op + "_middle", op).In(x({3, 40, 20})), {1}).Outputs(1).Int("keepdims", 0));
  out->push_back(with_axes(Case(op + "_spatial", op).In(x({2, 8, 7, 9})), {2, 3}).Outputs(1));
  out->push_back(with_axes(Case(op + "_scattered", op).In(x({4, 5, 6, 3})), {0, 2}).Outputs(1));
  out->push_back(Case(op + "_all", op).In(x({6, 7})).Outputs(1).Int("keepdims", 0));
  out->push_back(with_axes(Case(op + "_big", op).In(x({1, 600, 1024})), {1}).Outputs(1));
  if (op == "ReduceMax" || op == "ReduceMin" || op == "ReduceSum") {
    out->push_back(with_axes(Case(op + "_special", op).In(Special()), {0}).Outputs(1));
  }
}

void ArgCases(const std::string& op, std::vector<Case>* out) {
  const uint32_t seed = op == "ArgMax" ? 5600 : 5610;
  out->push_back(Case(op + "_axis0", op).In(Coarse({7, 5}, seed)).Outputs(1).Rtol(0));
  out->push_back(Case(op + "_last_nokeep", op)
                     .In(Coarse({3, 4, 9}, seed + 1))
                     .Outputs(1)
                     .Int("axis", -1)
                     .Int("keepdims", 0)
                     .Rtol(0));
  out->push_back(Case(op + "_select_last", op)
                     .In(Coarse({4, 12}, seed + 2))
                     .Outputs(1)
                     .Int("axis", 1)
                     .Int("select_last_index", 1)
                     .Rtol(0));
  out->push_back(Case(op + "_special", op).In(Special()).Outputs(1).Rtol(0));
}

const CaseRegistration kVariadic({"Max", "Min", "Sum", "Mean"}, VariadicCases);
const CaseRegistration kPRelu({"PRelu"}, PReluCases);
const CaseRegistration kCompare({"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"},
                                CompareCases);
const CaseRegistration kWhere({"Where"}, WhereCases);
const CaseRegistration kReduce({"ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
                                "ReduceL2", "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp"},
                               ReduceCases);
const CaseRegistration kArg({"ArgMax", "ArgMin"}, ArgCases);

}  // namespace
}  // namespace rt
}  // namespace tp
