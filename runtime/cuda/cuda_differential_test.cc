// Differential test of the cuda backend: every op with a GPU kernel runs on random and edge-case
// inputs (odd sizes, broadcasting, empty dims, groups, dilation, padding modes, negative steps)
// on both the cuda and the reference table, and the outputs must agree within a per-op
// tolerance. The reference backend is itself checked against PyTorch/NumPy
// (runtime/reference/nn_kernels_test.cc), so it is the independent source here.
//
// Without a visible CUDA device every test skips with the reason; none reports a pass.
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "absl/strings/str_cat.h"
#include "core/tensor.h"
#include "gtest/gtest.h"
#include "runtime/cuda/kernel_table.h"
#include "runtime/reference/kernel_table.h"

namespace tp {
namespace rt {
namespace {

// ---- building nodes and tensors ----

struct Attr {
  std::string name;
  enum Kind { kInt, kFloat, kInts, kString } kind;
  int64_t i = 0;
  float f = 0;
  std::vector<int64_t> ints;
  std::string s;
};
Attr I(const std::string& n, int64_t v) { return Attr{n, Attr::kInt, v}; }
Attr F(const std::string& n, float v) {
  Attr a{n, Attr::kFloat};
  a.f = v;
  return a;
}
Attr Is(const std::string& n, std::vector<int64_t> v) {
  Attr a{n, Attr::kInts};
  a.ints = std::move(v);
  return a;
}
Attr S(const std::string& n, const std::string& v) {
  Attr a{n, Attr::kString};
  a.s = v;
  return a;
}

struct Case {
  std::string label;
  onnx::NodeProto node;
  int opset = 17;
  std::vector<Tensor> inputs;  // a default Tensor with rank 0 and no data marks "absent"
  std::vector<bool> present;
  double atol = 1e-5, rtol = 1e-5;
  bool expect_gpu = true;  // false: the kernel is expected to hand the case to the reference
};

class CaseBuilder {
 public:
  CaseBuilder(std::string op, std::string label) {
    c_.label = absl::StrCat(op, "/", label);
    c_.node.set_op_type(op);
    c_.node.set_name(c_.label);
  }
  CaseBuilder& In(Tensor t) {
    c_.node.add_input(absl::StrCat("in", c_.inputs.size()));
    c_.inputs.push_back(std::move(t));
    c_.present.push_back(true);
    return *this;
  }
  CaseBuilder& Absent() {
    c_.node.add_input("");
    c_.inputs.emplace_back();
    c_.present.push_back(false);
    return *this;
  }
  CaseBuilder& Out(int n) {
    for (int i = 0; i < n; ++i) c_.node.add_output(absl::StrCat("out", i));
    return *this;
  }
  CaseBuilder& A(const Attr& a) {
    onnx::AttributeProto* p = c_.node.add_attribute();
    p->set_name(a.name);
    switch (a.kind) {
      case Attr::kInt:
        p->set_type(onnx::AttributeProto::INT);
        p->set_i(a.i);
        break;
      case Attr::kFloat:
        p->set_type(onnx::AttributeProto::FLOAT);
        p->set_f(a.f);
        break;
      case Attr::kInts:
        p->set_type(onnx::AttributeProto::INTS);
        for (int64_t v : a.ints) p->add_ints(v);
        break;
      case Attr::kString:
        p->set_type(onnx::AttributeProto::STRING);
        p->set_s(a.s);
        break;
    }
    return *this;
  }
  CaseBuilder& Opset(int v) {
    c_.opset = v;
    return *this;
  }
  CaseBuilder& Tol(double atol, double rtol) {
    c_.atol = atol;
    c_.rtol = rtol;
    return *this;
  }
  CaseBuilder& Fallback() {
    c_.expect_gpu = false;
    return *this;
  }
  Case Build() {
    if (c_.node.output_size() == 0) c_.node.add_output("out0");
    return c_;
  }

 private:
  Case c_;
};

std::mt19937& Rng() {
  static std::mt19937 rng(1234);
  return rng;
}

int64_t Count(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

Tensor Rand(Shape s, float lo = -2.0f, float hi = 2.0f) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(Count(s));
  for (float& x : v) x = dist(Rng());
  return TensorFromFloats(std::move(s), v);
}

// Small integers as floats, so comparisons see equal values.
Tensor RandInt(Shape s, int lo, int hi) {
  std::uniform_int_distribution<int> dist(lo, hi);
  std::vector<float> v(Count(s));
  for (float& x : v) x = static_cast<float>(dist(Rng()));
  return TensorFromFloats(std::move(s), v);
}

Tensor Floats(Shape s, std::vector<float> v) { return TensorFromFloats(std::move(s), v); }

Tensor I64(Shape s, std::vector<int64_t> v) {
  return *Tensor::FromBytes(DType::kI64, std::move(s),
                            absl::string_view(reinterpret_cast<const char*>(v.data()), v.size() * 8));
}

Tensor I32(Shape s, std::vector<int32_t> v) {
  return *Tensor::FromBytes(DType::kI32, std::move(s),
                            absl::string_view(reinterpret_cast<const char*>(v.data()), v.size() * 4));
}

Tensor RandI64(Shape s, int64_t lo, int64_t hi) {
  std::uniform_int_distribution<int64_t> dist(lo, hi);
  std::vector<int64_t> v(Count(s));
  for (int64_t& x : v) x = dist(Rng());
  return I64(std::move(s), v);
}

Tensor RandBool(Shape s) {
  std::bernoulli_distribution dist(0.5);
  std::vector<char> v(Count(s));
  for (char& x : v) x = dist(Rng()) ? 1 : 0;
  return *Tensor::FromBytes(DType::kBool, std::move(s), absl::string_view(v.data(), v.size()));
}

Tensor Positive(Shape s) { return Rand(std::move(s), 0.1f, 3.0f); }

// ---- the cases ----

std::vector<Case> UnaryCases() {
  std::vector<Case> cases;
  struct U {
    const char* op;
    float lo, hi;
    std::vector<Attr> attrs;
    int opset;
  };
  const std::vector<U> ops = {
      {"Sqrt", 0.01f, 4, {}, 17},      {"Reciprocal", 0.2f, 4, {}, 17},
      {"Exp", -5, 5, {}, 17},          {"Log", 0.01f, 9, {}, 17},
      {"Sin", -6, 6, {}, 17},          {"Cos", -6, 6, {}, 17},
      {"Tanh", -5, 5, {}, 17},         {"Sigmoid", -12, 12, {}, 17},
      {"Erf", -3, 3, {}, 17},          {"Softplus", -40, 40, {}, 17},
      {"Softsign", -5, 5, {}, 17},     {"Floor", -5, 5, {}, 17},
      {"Ceil", -5, 5, {}, 17},         {"HardSwish", -5, 5, {}, 17},
      {"Neg", -5, 5, {}, 17},          {"Abs", -5, 5, {}, 17},
      {"Relu", -5, 5, {}, 17},         {"LeakyRelu", -5, 5, {F("alpha", 0.2f)}, 17},
      {"LeakyRelu", -5, 5, {}, 17},    {"Elu", -5, 5, {F("alpha", 0.7f)}, 17},
      {"Celu", -5, 5, {F("alpha", 1.5f)}, 17}, {"Selu", -5, 5, {}, 17},
      {"HardSigmoid", -5, 5, {}, 17},  {"Gelu", -5, 5, {}, 20},
      {"Gelu", -5, 5, {S("approximate", "tanh")}, 20},
  };
  for (const U& u : ops) {
    for (const Shape& s : std::vector<Shape>{{3, 17, 5}, {1}, {0, 4}, {}}) {
      CaseBuilder b(u.op, ShapeToString(s));
      for (const Attr& a : u.attrs) b.A(a);
      cases.push_back(b.In(Rand(s, u.lo, u.hi)).Opset(u.opset).Tol(2e-6, 4e-6).Build());
    }
  }
  // Clip: attributes (opset 6), inputs (opset 13), only a minimum.
  cases.push_back(CaseBuilder("Clip", "attrs").In(Rand({4, 9})).A(F("min", -0.5f))
                      .A(F("max", 0.7f)).Opset(6).Build());
  cases.push_back(CaseBuilder("Clip", "inputs").In(Rand({4, 9})).In(Floats({}, {-0.3f}))
                      .In(Floats({}, {1.1f})).Opset(13).Build());
  cases.push_back(CaseBuilder("Clip", "min only").In(Rand({4, 9})).In(Floats({}, {0.2f}))
                      .Opset(13).Build());
  // Element types the GPU does not take go to the reference.
  cases.push_back(CaseBuilder("Neg", "i64 fallback").In(RandI64({7}, -9, 9)).Fallback().Build());
  // NaN / Inf detection.
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Tensor special = Floats({6}, {1.0f, inf, -inf, nan, 0.0f, -2.0f});
  cases.push_back(CaseBuilder("IsNaN", "special").In(special).Build());
  cases.push_back(CaseBuilder("IsInf", "both").In(special).Build());
  cases.push_back(
      CaseBuilder("IsInf", "negative").In(special).A(I("detect_positive", 0)).Build());
  return cases;
}

std::vector<std::pair<Shape, Shape>> BroadcastPairs() {
  return {{{2, 3, 4}, {2, 3, 4}}, {{2, 3, 4}, {4}}, {{2, 1, 4}, {1, 3, 1}},
          {{}, {5}},              {{0, 3}, {3}},   {{5, 1, 1, 1, 2}, {3, 1, 2}}};
}

std::vector<Case> BinaryCases() {
  std::vector<Case> cases;
  for (const char* op : {"Add", "Sub", "Mul", "Div"}) {
    for (const auto& [sa, sb] : BroadcastPairs()) {
      cases.push_back(CaseBuilder(op, ShapeToString(sa) + ShapeToString(sb))
                          .In(Rand(sa)).In(op == std::string("Div") ? Positive(sb) : Rand(sb))
                          .Build());
    }
  }
  cases.push_back(CaseBuilder("Pow", "broadcast").In(Positive({3, 4})).In(Rand({4})).Tol(1e-5, 1e-5).Build());
  cases.push_back(CaseBuilder("Pow", "square").In(Rand({3, 4})).In(Floats({}, {2.0f})).Build());
  cases.push_back(CaseBuilder("PRelu", "channel").In(Rand({2, 3, 5})).In(Rand({3, 1})).Build());
  cases.push_back(CaseBuilder("Add", "i64 fallback").In(RandI64({3}, -5, 5))
                      .In(RandI64({3}, -5, 5)).Fallback().Build());
  for (const char* op : {"Max", "Min", "Sum", "Mean"}) {
    cases.push_back(CaseBuilder(op, "one").In(Rand({3, 4})).Build());
    cases.push_back(CaseBuilder(op, "two").In(Rand({3, 4})).In(Rand({4})).Build());
    cases.push_back(
        CaseBuilder(op, "three").In(Rand({3, 1})).In(Rand({1, 4})).In(Rand({2, 1, 1})).Build());
  }
  for (const char* op : {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"}) {
    for (const auto& [sa, sb] : BroadcastPairs()) {
      cases.push_back(CaseBuilder(op, ShapeToString(sa) + ShapeToString(sb))
                          .In(RandInt(sa, -2, 2)).In(RandInt(sb, -2, 2)).Build());
    }
  }
  for (const char* op : {"And", "Or", "Xor"}) {
    cases.push_back(CaseBuilder(op, "broadcast").In(RandBool({3, 1, 4})).In(RandBool({5, 1}))
                        .Build());
  }
  cases.push_back(CaseBuilder("Not", "plain").In(RandBool({3, 7})).Build());
  cases.push_back(CaseBuilder("Where", "f32").In(RandBool({3, 1})).In(Rand({1, 4}))
                      .In(Rand({3, 4})).Build());
  cases.push_back(CaseBuilder("Where", "i64").In(RandBool({4})).In(RandI64({2, 4}, -9, 9))
                      .In(I64({}, {7})).Build());
  return cases;
}

std::vector<Case> MatMulCases() {
  std::vector<Case> cases;
  const double at = 1e-4, rt = 1e-4;
  std::vector<std::pair<Shape, Shape>> shapes = {
      {{3, 4}, {4, 5}},       {{2, 3, 4}, {4, 5}},       {{2, 3, 4}, {2, 4, 5}},
      {{4}, {4, 5}},          {{3, 4}, {4}},             {{2, 1, 3, 4}, {1, 3, 4, 2}},
      {{3, 4}, {2, 4, 5}},    {{3, 0}, {0, 2}},          {{1, 33, 70}, {70, 129}},
  };
  for (const auto& [sa, sb] : shapes) {
    cases.push_back(CaseBuilder("MatMul", ShapeToString(sa) + ShapeToString(sb)).In(Rand(sa))
                        .In(Rand(sb)).Tol(at, rt).Build());
  }
  struct G {
    bool ta, tb;
    Shape c;
    float alpha, beta;
  };
  for (const G& g : std::vector<G>{{false, false, {5}, 1, 1},
                                   {true, false, {3, 1}, 0.5f, 2},
                                   {false, true, {3, 5}, 1, 0.3f},
                                   {true, true, {1}, 2, 1},
                                   {false, false, {}, 1, 1}}) {
    CaseBuilder b("Gemm", absl::StrCat("ta", g.ta, "tb", g.tb, "c", ShapeToString(g.c)));
    b.In(Rand(g.ta ? Shape{7, 3} : Shape{3, 7})).In(Rand(g.tb ? Shape{5, 7} : Shape{7, 5}));
    if (!g.c.empty()) b.In(Rand(g.c));
    cases.push_back(b.A(I("transA", g.ta)).A(I("transB", g.tb)).A(F("alpha", g.alpha))
                        .A(F("beta", g.beta)).Tol(at, rt).Build());
  }
  return cases;
}

std::vector<Case> ConvCases() {
  std::vector<Case> cases;
  const double at = 1e-4, rt = 1e-4;
  cases.push_back(CaseBuilder("Conv", "1d stride dilation pads").In(Rand({2, 4, 19}))
                      .In(Rand({6, 4, 3})).In(Rand({6})).A(Is("strides", {2}))
                      .A(Is("dilations", {2})).A(Is("pads", {1, 2})).Tol(at, rt).Build());
  cases.push_back(CaseBuilder("Conv", "2d groups same_upper").In(Rand({1, 4, 9, 8}))
                      .In(Rand({6, 2, 3, 2})).A(I("group", 2)).A(S("auto_pad", "SAME_UPPER"))
                      .Tol(at, rt).Build());
  cases.push_back(CaseBuilder("Conv", "pointwise").In(Rand({2, 5, 11})).In(Rand({3, 5, 1}))
                      .In(Rand({3})).Tol(at, rt).Build());
  cases.push_back(CaseBuilder("Conv", "depthwise").In(Rand({1, 6, 30})).In(Rand({6, 1, 7}))
                      .A(I("group", 6)).A(Is("pads", {3, 3})).Tol(at, rt).Build());
  cases.push_back(CaseBuilder("Conv", "3d").In(Rand({1, 2, 5, 4, 6})).In(Rand({3, 2, 2, 3, 2}))
                      .A(Is("pads", {1, 0, 1, 0, 1, 1})).A(Is("strides", {1, 2, 1})).Tol(at, rt)
                      .Build());
  cases.push_back(CaseBuilder("Conv", "empty batch").In(Rand({0, 3, 8})).In(Rand({2, 3, 3}))
                      .Build());
  cases.push_back(CaseBuilder("ConvTranspose", "1d stride pads output_padding")
                      .In(Rand({2, 4, 7})).In(Rand({4, 3, 4})).In(Rand({3}))
                      .A(Is("strides", {2})).A(Is("pads", {1, 1}))
                      .A(Is("output_padding", {1})).Tol(at, rt).Build());
  cases.push_back(CaseBuilder("ConvTranspose", "2d groups dilation").In(Rand({1, 4, 5, 6}))
                      .In(Rand({4, 2, 3, 2})).A(I("group", 2)).A(Is("dilations", {2, 1}))
                      .A(Is("strides", {1, 3})).Tol(at, rt).Build());
  cases.push_back(CaseBuilder("ConvTranspose", "vocoder upsample").In(Rand({1, 8, 25}))
                      .In(Rand({8, 4, 16})).In(Rand({4})).A(Is("strides", {8}))
                      .A(Is("pads", {4, 4})).Tol(at, rt).Build());
  return cases;
}

std::vector<Case> NormCases() {
  std::vector<Case> cases;
  const double at = 2e-5, rt = 2e-5;
  cases.push_back(CaseBuilder("LayerNormalization", "last axis").In(Rand({3, 5, 64}))
                      .In(Rand({64})).In(Rand({64})).Tol(at, rt).Build());
  cases.push_back(CaseBuilder("LayerNormalization", "axis 1 no bias").In(Rand({3, 5, 7}))
                      .In(Rand({5, 7})).A(I("axis", 1)).A(F("epsilon", 1e-3f)).Tol(at, rt)
                      .Build());
  cases.push_back(CaseBuilder("LayerNormalization", "mean output falls back")
                      .In(Rand({2, 6})).In(Rand({6})).Out(2).Fallback().Build());
  cases.push_back(CaseBuilder("InstanceNormalization", "1d").In(Rand({2, 3, 50}))
                      .In(Rand({3})).In(Rand({3})).Tol(at, rt).Build());
  cases.push_back(CaseBuilder("InstanceNormalization", "2d").In(Rand({1, 4, 5, 6}))
                      .In(Rand({4})).In(Rand({4})).A(F("epsilon", 1e-3f)).Tol(at, rt).Build());
  cases.push_back(CaseBuilder("BatchNormalization", "2d").In(Rand({2, 3, 5, 4})).In(Rand({3}))
                      .In(Rand({3})).In(Rand({3})).In(Positive({3})).Tol(at, rt).Build());
  cases.push_back(CaseBuilder("BatchNormalization", "1d").In(Rand({2, 3, 9})).In(Rand({3}))
                      .In(Rand({3})).In(Rand({3})).In(Positive({3})).Opset(9).Tol(at, rt)
                      .Build());
  for (const char* op : {"Softmax", "LogSoftmax"}) {
    cases.push_back(CaseBuilder(op, "last axis").In(Rand({4, 3, 500}, -8, 8)).Tol(at, rt).Build());
    cases.push_back(CaseBuilder(op, "axis 1").In(Rand({4, 7, 3}, -8, 8)).A(I("axis", 1))
                        .Tol(at, rt).Build());
    cases.push_back(CaseBuilder(op, "opset 11 flattening").In(Rand({2, 3, 4}, -8, 8))
                        .A(I("axis", 1)).Opset(11).Tol(at, rt).Build());
  }
  return cases;
}

std::vector<Case> ReduceCases() {
  std::vector<Case> cases;
  const double at = 2e-5, rt = 2e-5;
  for (const char* op : {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd",
                         "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum",
                         "ReduceLogSumExp"}) {
    const bool positive = std::string(op) == "ReduceLogSum" || std::string(op) == "ReduceProd";
    auto input = [&](Shape s) { return positive ? Rand(s, 0.5f, 1.5f) : Rand(s); };
    // Axes as an attribute: opset 11 (ReduceSum takes them as an input from 13 on).
    cases.push_back(CaseBuilder(op, "axes attr").In(input({3, 4, 5})).A(Is("axes", {1}))
                        .Opset(11).Tol(at, rt).Build());
    cases.push_back(CaseBuilder(op, "two axes no keepdims").In(input({3, 4, 5}))
                        .A(Is("axes", {0, -1})).A(I("keepdims", 0)).Opset(11).Tol(at, rt)
                        .Build());
    cases.push_back(CaseBuilder(op, "all").In(input({6, 7})).Opset(13).Tol(at, rt).Build());
    cases.push_back(CaseBuilder(op, "axes input opset 18").In(input({2, 3, 4}))
                        .In(I64({1}, {2})).Opset(18).Tol(at, rt).Build());
  }
  cases.push_back(CaseBuilder("ReduceSum", "axes input opset 13").In(Rand({2, 300, 3}))
                      .In(I64({1}, {1})).Opset(13).Tol(at, rt).Build());
  cases.push_back(CaseBuilder("ReduceSum", "noop with empty axes").In(Rand({2, 3}))
                      .A(I("noop_with_empty_axes", 1)).Opset(13).Fallback().Build());
  return cases;
}

std::vector<Case> LayoutCases() {
  std::vector<Case> cases;
  cases.push_back(CaseBuilder("Transpose", "default").In(Rand({2, 3, 4})).Build());
  cases.push_back(CaseBuilder("Transpose", "perm").In(Rand({2, 3, 4, 5})).A(Is("perm", {0, 2, 3, 1}))
                      .Build());
  cases.push_back(CaseBuilder("Transpose", "i64").In(RandI64({3, 5}, -9, 9)).Build());
  cases.push_back(CaseBuilder("Concat", "axis 1 with empty").In(Rand({2, 3, 4}))
                      .In(Rand({2, 0, 4})).In(Rand({2, 5, 4})).A(I("axis", 1)).Build());
  cases.push_back(CaseBuilder("Concat", "i64 last axis").In(RandI64({3, 1}, 0, 9))
                      .In(RandI64({3, 2}, 0, 9)).A(I("axis", -1)).Build());
  const int64_t big = std::numeric_limits<int64_t>::max();
  cases.push_back(CaseBuilder("Slice", "steps and axes").In(Rand({5, 6, 7})).In(I64({2}, {1, -1}))
                      .In(I64({2}, {big, 0})).In(I64({2}, {0, 2})).In(I64({2}, {2, -2})).Opset(13)
                      .Build());
  cases.push_back(CaseBuilder("Slice", "clamped").In(Rand({4, 10})).In(I64({1}, {-100}))
                      .In(I64({1}, {7})).In(I64({1}, {1})).Opset(13).Build());
  cases.push_back(CaseBuilder("Slice", "empty result").In(Rand({4, 10})).In(I64({1}, {5}))
                      .In(I64({1}, {2})).Opset(13).Build());
  cases.push_back(CaseBuilder("Slice", "opset 1 falls back").In(Rand({4, 10})).A(Is("starts", {1}))
                      .A(Is("ends", {3})).Opset(1).Fallback().Build());
  cases.push_back(CaseBuilder("Gather", "2d indices").In(Rand({5, 4})).In(I64({2, 3}, {0, -1, 2, 4, 1, -5}))
                      .Build());
  cases.push_back(CaseBuilder("Gather", "axis 1 i32").In(Rand({2, 6, 3})).In(I32({2}, {5, 0}))
                      .A(I("axis", 1)).Build());
  cases.push_back(CaseBuilder("Gather", "scalar index i64 data").In(RandI64({4}, 0, 99))
                      .In(I64({}, {2})).Build());
  cases.push_back(CaseBuilder("Pad", "constant value").In(Rand({2, 3, 4})).In(I64({6}, {0, 1, 2, 0, 3, 1}))
                      .In(Floats({}, {1.5f})).Opset(13).Build());
  cases.push_back(CaseBuilder("Pad", "reflect").In(Rand({1, 3, 8})).In(I64({6}, {0, 0, 3, 0, 0, 5}))
                      .A(S("mode", "reflect")).Opset(13).Build());
  cases.push_back(CaseBuilder("Pad", "edge").In(Rand({2, 5})).In(I64({4}, {1, 2, 3, 4}))
                      .A(S("mode", "edge")).Opset(13).Build());
  cases.push_back(CaseBuilder("Pad", "negative crop").In(Rand({3, 6})).In(I64({4}, {0, -2, 1, -1}))
                      .Opset(13).Build());
  cases.push_back(CaseBuilder("Expand", "broadcast").In(Rand({3, 1})).In(I64({3}, {2, 3, 4})).Build());
  cases.push_back(CaseBuilder("Expand", "smaller shape").In(Rand({2, 3})).In(I64({1}, {1})).Build());
  return cases;
}

std::vector<Case> LstmCases() {
  std::vector<Case> cases;
  const int64_t seq = 5, batch = 3, in = 4, hid = 6;
  const double at = 1e-4, rt = 1e-4;
  cases.push_back(CaseBuilder("LSTM", "forward with bias and states")
                      .In(Rand({seq, batch, in})).In(Rand({1, 4 * hid, in}, -0.5f, 0.5f))
                      .In(Rand({1, 4 * hid, hid}, -0.5f, 0.5f)).In(Rand({1, 8 * hid}))
                      .Absent().In(Rand({1, batch, hid})).In(Rand({1, batch, hid}))
                      .A(I("hidden_size", hid)).Out(3).Tol(at, rt).Build());
  cases.push_back(CaseBuilder("LSTM", "bidirectional no bias")
                      .In(Rand({seq, batch, in})).In(Rand({2, 4 * hid, in}, -0.5f, 0.5f))
                      .In(Rand({2, 4 * hid, hid}, -0.5f, 0.5f)).A(I("hidden_size", hid))
                      .A(S("direction", "bidirectional")).Out(3).Tol(at, rt).Build());
  cases.push_back(CaseBuilder("LSTM", "reverse Y only")
                      .In(Rand({seq, batch, in})).In(Rand({1, 4 * hid, in}, -0.5f, 0.5f))
                      .In(Rand({1, 4 * hid, hid}, -0.5f, 0.5f)).In(Rand({1, 8 * hid}))
                      .A(I("hidden_size", hid)).A(S("direction", "reverse")).Out(1).Tol(at, rt)
                      .Build());
  cases.push_back(CaseBuilder("LSTM", "layout 1 falls back")
                      .In(Rand({batch, seq, in})).In(Rand({1, 4 * hid, in}, -0.5f, 0.5f))
                      .In(Rand({1, 4 * hid, hid}, -0.5f, 0.5f)).A(I("hidden_size", hid))
                      .A(I("layout", 1)).Out(3).Fallback().Tol(at, rt).Build());
  return cases;
}

std::vector<Case> AllCases() {
  std::vector<Case> all;
  for (auto group : {UnaryCases, BinaryCases, MatMulCases, ConvCases, NormCases, ReduceCases,
                     LayoutCases, LstmCases}) {
    for (Case& c : group()) all.push_back(std::move(c));
  }
  return all;
}

// ---- running and comparing ----

class CudaDifferentialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const absl::Status s = CudaDeviceStatus();
    if (!s.ok()) GTEST_SKIP() << "no visible CUDA GPU (" << s.message() << ")";
  }
};

// Runs `c` on `table`; outputs in ctx order.
absl::StatusOr<std::vector<Tensor>> RunOn(const KernelTable& table, const Case& c) {
  const KernelDef* def = table.Find("", c.node.op_type(), c.opset);
  if (def == nullptr) {
    return absl::NotFoundError(absl::StrCat(table.backend(), " has no kernel for ",
                                            c.node.op_type(), " at opset ", c.opset));
  }
  std::vector<const Tensor*> inputs;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    inputs.push_back(c.present[i] ? &c.inputs[i] : nullptr);
  }
  KernelContext ctx(c.node, c.opset, inputs, 1);
  absl::Status s = def->fn(ctx);
  if (!s.ok()) return s;
  return ctx.outputs();
}

void Compare(const Case& c, const std::vector<Tensor>& got, const std::vector<Tensor>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("output ", i));
    ASSERT_EQ(ShapeToString(got[i].shape()), ShapeToString(want[i].shape()));
    ASSERT_EQ(DTypeName(got[i].dtype()), DTypeName(want[i].dtype()));
    absl::StatusOr<std::vector<double>> g = ToDoubleVector(got[i]);
    absl::StatusOr<std::vector<double>> w = ToDoubleVector(want[i]);
    ASSERT_TRUE(g.ok() && w.ok());
    const bool exact = !IsFloating(want[i].dtype());
    double worst = 0, err2 = 0, ref2 = 0;
    size_t worst_at = 0;
    for (size_t k = 0; k < w->size(); ++k) {
      const double a = (*g)[k], b = (*w)[k];
      if (std::isnan(a) && std::isnan(b)) continue;
      if (a == b) continue;  // also equal infinities
      double ratio = exact ? 1e30 : std::fabs(a - b) / (c.atol + c.rtol * std::fabs(b));
      if (std::isnan(ratio)) ratio = 1e30;
      if (ratio > worst) {
        worst = ratio;
        worst_at = k;
      }
      err2 += (a - b) * (a - b);
      ref2 += b * b;
    }
    EXPECT_LE(worst, 1.0) << "element " << worst_at << ": cuda " << (*g)[worst_at]
                          << ", reference " << (*w)[worst_at] << " (atol " << c.atol
                          << ", rtol " << c.rtol << "; NMSE "
                          << (ref2 > 0 ? err2 / ref2 : err2) << ")";
  }
}

// One case; ASSERTs end only this case, so one broken op does not hide the others.
void CheckCase(const Case& c) {
  absl::StatusOr<std::vector<Tensor>> want = RunOn(ReferenceKernelTable(), c);
  ASSERT_TRUE(want.ok()) << want.status();
  const int64_t fallbacks_before = CudaFallbackCount();
  absl::StatusOr<std::vector<Tensor>> got = RunOn(CudaKernelTable(), c);
  ASSERT_TRUE(got.ok()) << got.status();
  const bool used_gpu = CudaFallbackCount() == fallbacks_before;
  EXPECT_EQ(used_gpu, c.expect_gpu)
      << (c.expect_gpu ? "the GPU kernel handed this case to the reference"
                       : "expected a hand-off to the reference kernel");
  Compare(c, *got, *want);
}

TEST_F(CudaDifferentialTest, EveryCaseMatchesTheReference) {
  int checked = 0;
  for (const Case& c : AllCases()) {
    SCOPED_TRACE(c.label);
    CheckCase(c);
    ++checked;
  }
  EXPECT_GE(checked, 250);
}

TEST_F(CudaDifferentialTest, EveryGpuOpHasCases) {
  std::set<std::string> covered;
  for (const Case& c : AllCases()) {
    if (c.expect_gpu) covered.insert(c.node.op_type());
  }
  for (const std::string& op : CudaGpuOps()) {
    EXPECT_TRUE(covered.count(op) > 0) << op << " has a GPU kernel but no differential case";
  }
}

TEST_F(CudaDifferentialTest, LargeConvAndMatMulMatchTheReference) {
  // Sizes where the GEMM paths and the buffer cache see realistic shapes.
  std::vector<Case> cases;
  cases.push_back(CaseBuilder("Conv", "large 1d").In(Rand({1, 64, 2000})).In(Rand({64, 64, 7}, -0.2f, 0.2f))
                      .In(Rand({64})).A(Is("pads", {3, 3})).Tol(1e-4, 1e-4).Build());
  cases.push_back(CaseBuilder("MatMul", "attention").In(Rand({4, 250, 64})).In(Rand({4, 64, 250}))
                      .Tol(1e-4, 1e-4).Build());
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    CheckCase(c);
  }
}

}  // namespace
}  // namespace rt
}  // namespace tp
