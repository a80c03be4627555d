// Differential cases of the math ops: MatMul, Gemm, Softmax, LogSoftmax, the broadcasting binary ops
// and the element-wise unary ops.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/tensor.h"
#include "runtime/cpu/differential_case.h"

namespace tp {
namespace rt {
namespace {

void MatMulCases(std::vector<Case>* out) {
  const std::vector<std::pair<Shape, Shape>> shapes = {{{5, 7}, {7, 3}},
                                                       {{2, 1, 3, 4}, {5, 4, 6}},
                                                       {{4}, {2, 4, 3}},
                                                       {{2, 3, 4}, {4}},
                                                       {{6}, {6}},
                                                       {{3, 0}, {0, 2}},
                                                       {{0, 4}, {4, 3}},
                                                       {{1, 4, 50, 16}, {1, 4, 16, 50}},
                                                       {{301, 203}, {203, 97}},
                                                       {{1, 1, 5}, {5, 3}},
                                                       {{3, 1, 17}, {1, 17, 130}}};
  uint32_t seed = 70;
  for (const auto& [a, b] : shapes) {
    const uint32_t seed_a = seed++, seed_b = seed++;
    out->push_back(Case(absl::StrCat("matmul_", ShapeToString(a), "x", ShapeToString(b)), "MatMul")
                       .In(Random(a, seed_a))
                       .In(Random(b, seed_b))
                       .Outputs(1));
  }
  out->push_back(Case("matmul_f16", "MatMul")
                     .In(*Cast(Random({3, 4}, 502), DType::kF16))
                     .In(*Cast(Random({4, 2}, 503), DType::kF16))
                     .Outputs(1)
                     .Rtol(0.0));
}

void GemmCases(std::vector<Case>* out) {
  struct G {
    int ta, tb;
    float alpha, beta;
    Shape c;  // {-1}: no C
  };
  uint32_t seed = 90;
  for (const G& g : std::vector<G>{{0, 0, 1, 1, {-1}},
                                   {1, 1, 0.5f, 2, {6}},
                                   {0, 1, 1.5f, 0.25f, {4, 1}},
                                   {1, 0, 1, -1, {4, 6}},
                                   {0, 0, 2, 3, {}},
                                   {0, 1, 1, 1, {1, 6}}}) {
    const int64_t m = 4, k = 5, n = 6;
    Case c(absl::StrCat("gemm_", g.ta, g.tb, "_", g.alpha, "_", g.beta), "Gemm");
    const uint32_t seed_a = seed++, seed_b = seed++;
    c.In(Random(g.ta ? Shape{k, m} : Shape{m, k}, seed_a))
        .In(Random(g.tb ? Shape{n, k} : Shape{k, n}, seed_b));
    if (g.c != Shape{-1}) c.In(Random(g.c, seed++));
    c.Outputs(1)
        .Int("transA", g.ta)
        .Int("transB", g.tb)
        .Float("alpha", g.alpha)
        .Float("beta", g.beta);
    out->push_back(c);
  }
  out->push_back(Case("gemm_large", "Gemm")
                     .In(Random({200, 300}, 99))
                     .In(Random({128, 300}, 100))
                     .In(Random({128}, 101))
                     .Outputs(1)
                     .Int("transB", 1));
}

// Softmax or LogSoftmax.
void SoftmaxCases(const std::string& op, std::vector<Case>* out) {
  uint32_t seed = op == "Softmax" ? 400 : 420;
  {
    for (int64_t axis : {-1, 0, 1, 2}) {
      out->push_back(Case(absl::StrCat(op, "_axis", axis), op)
                         .In(Random({3, 5, 7}, seed++, 4.0f))
                         .Outputs(1)
                         .Int("axis", axis));
    }
    out->push_back(Case(absl::StrCat(op, "_opset11_flatten"), op, 11)
                       .In(Random({2, 3, 4}, seed++))
                       .Outputs(1)
                       .Int("axis", 1));
    out->push_back(Case(absl::StrCat(op, "_large_values"), op)
                       .In(Random({4, 500}, seed++, 200.0f))
                       .Outputs(1));
    out->push_back(
        Case(absl::StrCat(op, "_attention"), op).In(Random({1, 4, 300, 300}, seed++)).Outputs(1));
    out->push_back(Case(absl::StrCat(op, "_empty"), op).In(Random({0, 5}, seed++)).Outputs(1));
  }
}

// Add, Sub, Mul or Div.
void BinaryCases(const std::string& op, std::vector<Case>* out) {
  const std::vector<std::pair<Shape, Shape>> shapes = {
      {{2, 3, 4}, {2, 3, 4}},
      {{2, 3, 4}, {}},
      {{}, {5, 7}},
      {{1, 8, 33}, {1, 8, 1}},
      {{2, 3, 4}, {4}},
      {{3, 1, 5}, {1, 4, 1}},
      {{1, 500, 64}, {1, 1, 64}},
      {{0, 3}, {3}},
      {{4, 1}, {1, 0}},
      {{300, 300}, {300, 300}},
      // At least kParallelCheap (512K) output elements: the multi-threaded paths.
      {{1, 600, 1024}, {1, 600, 1024}},
      {{1, 600, 1024}, {1024}},
      {{2, 300, 1024}, {2, 300, 1}}};
  uint32_t seed = op == "Add" ? 700 : op == "Sub" ? 730 : op == "Mul" ? 760 : 790;
  {
    for (const auto& [a, b] : shapes) {
      const uint32_t seed_a = seed++, seed_b = seed++;
      out->push_back(Case(absl::StrCat(op, ShapeToString(a), ShapeToString(b)), op)
                         .In(Random(a, seed_a))
                         .In(Random(b, seed_b))
                         .Outputs(1));
    }
    out->push_back(Case(absl::StrCat(op, "_special"), op).In(Special()).In(Special()).Outputs(1));
  }
}

// Pow: positive bases; scalar exponents with their own loops, and a general broadcast one.
void PowCases(std::vector<Case>* out) {
  Tensor base = Random({3, 70}, 800);
  for (int64_t i = 0; i < base.num_elements(); ++i) {
    base.mutable_data_as<float>()[i] = std::fabs(base.data_as<float>()[i]) + 0.1f;
  }
  for (float e : {2.0f, 3.0f, 0.5f, 1.0f, 1.7f, -1.0f}) {
    out->push_back(
        Case(absl::StrCat("Pow_", e), "Pow").In(base).In(TensorFromFloats({}, {e})).Outputs(1));
  }
  out->push_back(Case("Pow_bcast", "Pow").In(base).In(Random({70}, 801)).Outputs(1));
  out->push_back(Case("Pow_2_huge", "Pow")
                     .In(Random({1, 600, 1024}, 802))
                     .In(TensorFromFloats({}, {2.0f}))
                     .Outputs(1));
  out->push_back(
      Case("Pow_special", "Pow").In(Special()).In(TensorFromFloats({}, {2.0f})).Outputs(1));
}

// Relu, LeakyRelu, Sigmoid, Tanh, Erf, Exp, Neg, Abs, Reciprocal.
void UnaryCases(const std::string& op, std::vector<Case>* out) {
  const char* const kOps[] = {"Relu", "LeakyRelu", "Sigmoid", "Tanh",      "Erf",
                              "Exp",  "Neg",       "Abs",     "Reciprocal"};
  uint32_t seed = 900;
  for (const char* o : kOps) {
    if (op == o) break;
    seed += 4;
  }
  {
    out->push_back(
        Case(absl::StrCat(op, "_random"), op).In(Random({3, 1001}, seed++, 3.0f)).Outputs(1));
    out->push_back(
        Case(absl::StrCat(op, "_big"), op).In(Random({1, 64, 2000}, seed++, 2.0f)).Outputs(1));
    // Above the cheap ops' threading threshold too (512K elements).
    out->push_back(
        Case(absl::StrCat(op, "_huge"), op).In(Random({1, 600, 1024}, seed++, 2.0f)).Outputs(1));
    out->push_back(Case(absl::StrCat(op, "_special"), op).In(Special()).Outputs(1));
    out->push_back(Case(absl::StrCat(op, "_empty"), op).In(Random({0, 4}, seed++)).Outputs(1));
  }
  if (op == "LeakyRelu") {
    out->push_back(Case("LeakyRelu_alpha", "LeakyRelu")
                       .In(Random({5, 9}, 950))
                       .Outputs(1)
                       .Float("alpha", 0.2f));
  }
}

void SqrtCases(std::vector<Case>* out) {
  uint32_t seed = 960;
  Tensor pos = Random({4, 333}, seed++);
  for (int64_t i = 0; i < pos.num_elements(); ++i) {
    pos.mutable_data_as<float>()[i] = std::fabs(pos.data_as<float>()[i]);
  }
  out->push_back(Case("Sqrt_random", "Sqrt").In(pos).Outputs(1));
  out->push_back(Case("Sqrt_special", "Sqrt").In(Special()).Outputs(1));
  out->push_back(Case("Sqrt_empty", "Sqrt").In(Random({0}, seed++)).Outputs(1));
}


const CaseRegistration kMatMul({"MatMul"}, [](const std::string&, std::vector<Case>* out) {
  MatMulCases(out);
});
const CaseRegistration kGemm({"Gemm"}, [](const std::string&, std::vector<Case>* out) {
  GemmCases(out);
});
const CaseRegistration kSoftmax({"Softmax", "LogSoftmax"}, SoftmaxCases);
const CaseRegistration kBinary({"Add", "Sub", "Mul", "Div"}, BinaryCases);
const CaseRegistration kPow({"Pow"}, [](const std::string&, std::vector<Case>* out) {
  PowCases(out);
});
const CaseRegistration kSqrt({"Sqrt"}, [](const std::string&, std::vector<Case>* out) {
  SqrtCases(out);
});
const CaseRegistration kUnary({"Relu", "LeakyRelu", "Sigmoid", "Tanh", "Erf", "Exp", "Neg", "Abs",
                               "Reciprocal"},
                              UnaryCases);

}  // namespace
}  // namespace rt
}  // namespace tp
