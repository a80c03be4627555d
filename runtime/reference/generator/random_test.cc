// The random generators' distributions, checked by their moments and frequencies against the
// distribution's own parameters (bounds of 5 standard errors: a failure is a wrong distribution,
// not bad luck), plus seeding and input errors.
#include <onnx/onnx_pb.h>

#include <cmath>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/reference/kernel_table.h"

namespace tp {
namespace rt {
namespace {

onnx::NodeProto Node(const std::string& op, int inputs) {
  onnx::NodeProto n;
  n.set_name(op + "_node");
  n.set_op_type(op);
  for (int i = 0; i < inputs; ++i) n.add_input("in" + std::to_string(i));
  n.add_output("y");
  return n;
}

void SetFloat(onnx::NodeProto* n, const std::string& name, float v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}

absl::StatusOr<std::vector<double>> RunNode(const onnx::NodeProto& n, int opset,
                                            std::vector<const Tensor*> ins,
                                            Shape* shape = nullptr) {
  KernelContext ctx(n, opset, std::move(ins), 1);
  const KernelDef* k = ReferenceKernelTable().Find("", n.op_type(), opset);
  if (k == nullptr) return absl::NotFoundError(n.op_type());
  absl::Status s = k->fn(ctx);
  if (!s.ok()) return s;
  if (shape != nullptr) *shape = ctx.outputs()[0].shape();
  return ToDoubleVector(ctx.outputs()[0]);
}

void Moments(const std::vector<double>& v, double* mean, double* sd) {
  double s = 0, s2 = 0;
  for (double x : v) s += x;
  *mean = s / v.size();
  for (double x : v) s2 += (x - *mean) * (x - *mean);
  *sd = std::sqrt(s2 / (v.size() - 1));
}

TEST(RandomTest, NormalHasItsMeanAndScale) {
  onnx::NodeProto n = Node("RandomNormal", 0);
  auto* shape = n.add_attribute();
  shape->set_name("shape");
  shape->set_type(onnx::AttributeProto::INTS);
  shape->add_ints(200);
  shape->add_ints(100);
  SetFloat(&n, "mean", 1.5f);
  SetFloat(&n, "scale", 2.0f);
  Shape out;
  auto v = RunNode(n, 17, {}, &out);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(out, (Shape{200, 100}));
  double mean, sd;
  Moments(*v, &mean, &sd);
  EXPECT_NEAR(mean, 1.5, 5 * 2.0 / std::sqrt(20000.0));
  EXPECT_NEAR(sd, 2.0, 5 * 2.0 / std::sqrt(2 * 20000.0));
}

TEST(RandomTest, UniformLikeStaysInRange) {
  onnx::NodeProto n = Node("RandomUniformLike", 1);
  SetFloat(&n, "low", -1.0f);
  SetFloat(&n, "high", 3.0f);
  Tensor like = Tensor::Zeros(DType::kF64, {100, 200});
  Shape out;
  auto v = RunNode(n, 17, {&like}, &out);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(out, like.shape());
  for (double x : *v) {
    ASSERT_GE(x, -1.0);
    ASSERT_LT(x, 3.0);
  }
  double mean, sd;
  Moments(*v, &mean, &sd);
  EXPECT_NEAR(mean, 1.0, 5 * (4.0 / std::sqrt(12.0)) / std::sqrt(20000.0));
}

TEST(RandomTest, BernoulliFollowsItsProbabilities) {
  const int n_each = 20000;
  std::vector<float> p(3 * n_each);
  for (int i = 0; i < n_each; ++i) {
    p[3 * i] = 0.0f;
    p[3 * i + 1] = 1.0f;
    p[3 * i + 2] = 0.3f;
  }
  Tensor pt = TensorFromFloats({3 * n_each}, p);
  auto v = RunNode(Node("Bernoulli", 1), 15, {&pt});
  ASSERT_TRUE(v.ok()) << v.status();
  int ones = 0;
  for (int i = 0; i < n_each; ++i) {
    ASSERT_EQ((*v)[3 * i], 0.0);
    ASSERT_EQ((*v)[3 * i + 1], 1.0);
    ones += (*v)[3 * i + 2] == 1.0;
  }
  EXPECT_NEAR(ones / static_cast<double>(n_each), 0.3, 5 * std::sqrt(0.3 * 0.7 / n_each));

  Tensor bad = TensorFromFloats({1}, {1.5f});
  auto err = RunNode(Node("Bernoulli", 1), 15, {&bad});
  EXPECT_EQ(err.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(err.status().message().find("node 'Bernoulli_node' (Bernoulli)"), std::string::npos);
}

TEST(RandomTest, MultinomialSamplesBySoftmaxOfLogits) {
  onnx::NodeProto n = Node("Multinomial", 1);
  auto* s = n.add_attribute();
  s->set_name("sample_size");
  s->set_type(onnx::AttributeProto::INT);
  s->set_i(20000);
  Tensor logits = TensorFromFloats({1, 2}, {std::log(0.2f), std::log(0.8f)});
  Shape out;
  auto v = RunNode(n, 13, {&logits}, &out);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(out, (Shape{1, 20000}));
  double ones = 0;
  for (double x : *v) ones += x;
  EXPECT_NEAR(ones / 20000, 0.8, 5 * std::sqrt(0.8 * 0.2 / 20000));
}

TEST(RandomTest, SeedRepeatsUnseededAdvances) {
  onnx::NodeProto seeded = Node("RandomNormalLike", 1);
  SetFloat(&seeded, "seed", 7.0f);
  Tensor like = Tensor::Zeros(DType::kF32, {16});
  EXPECT_EQ(*RunNode(seeded, 17, {&like}), *RunNode(seeded, 17, {&like}));
  onnx::NodeProto plain = Node("RandomNormalLike", 1);
  EXPECT_NE(*RunNode(plain, 17, {&like}), *RunNode(plain, 17, {&like}));
}

}  // namespace
}  // namespace rt
}  // namespace tp
