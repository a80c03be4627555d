// The cpu backend's fusion pass: fused runs against PyTorch / NumPy expected values and against
// the same session run unfused, on the bundled DiT and vocoder, a benchmark-sized DiT block and
// small PyTorch exports; runs with a capture or overrides never use the fused node list.
#include "runtime/fusion.h"

#include <cmath>
#include <map>
#include <random>
#include <set>

#include "gtest/gtest.h"
#include "runtime/cpu/kernel_table.h"
#include "runtime/session.h"
#include "runtime/tensor_util.h"
#include "runtime/testing/session_test_util.h"

namespace tp {
namespace rt {
namespace {

const char kDir[] = "runtime/testdata/";

// Inputs and PyTorch / NumPy outputs written by make_fusion_test_models.py.
std::map<std::string, Tensor> Expected(const std::string& name) {
  return testutil::ReadTensorSetOrFail(std::string(kDir) + name + "_expected.pb");
}

std::unique_ptr<Session> Load(const std::string& path, bool fuse, int threads = 1) {
  SessionOptions o;
  o.backend = "cpu";
  o.fuse = fuse;
  o.num_threads = threads;
  return testutil::LoadOrFail(path, o);
}

struct Diff {
  double max_abs = 0;
  double nmse = 0;  // sum (a - e)^2 / sum e^2
};

Diff Compare(const Tensor& actual, const Tensor& expected) {
  EXPECT_EQ(actual.shape(), expected.shape());
  std::vector<double> a = *ToDoubleVector(actual), e = *ToDoubleVector(expected);
  Diff d;
  if (a.size() != e.size()) {
    d.max_abs = INFINITY;
    return d;
  }
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double diff = a[i] - e[i];
    if (!(std::fabs(diff) <= d.max_abs)) d.max_abs = std::fabs(diff);  // NaN propagates
    num += diff * diff;
    den += e[i] * e[i];
  }
  d.nmse = den > 0 ? num / den : num;
  return d;
}

Tensor Random(Shape shape, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist;
  Tensor t = Tensor::Uninitialized(DType::kF32, shape);
  float* p = t.mutable_data_as<float>();
  for (int64_t i = 0; i < t.num_elements(); ++i) p[i] = dist(gen);
  return t;
}

class FusionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!CpuFastKernelsEnabled())
      GTEST_FAIL() << "this CPU lacks AVX2/FMA/F16C: fusion is off here";
  }
};

TEST_F(FusionTest, SmallExportMatchesPyTorchFusedAndUnfused) {
  auto e = Expected("small");
  auto fused = Load(std::string(kDir) + "small.onnx", true);
  auto plain = Load(std::string(kDir) + "small.onnx", false);
  ASSERT_TRUE(fused && plain);
  EXPECT_EQ(fused->fusion().matmul_bias, 2);
  EXPECT_EQ(fused->fusion().layer_norm, 2);
  EXPECT_EQ(fused->fusion().gelu, 1);
  // norm1 has affine parameters: Mul and Add are folded in, so 2 + 2 + 1 fused nodes remain
  // out of the 32 (Constants that only fed chains are dropped).
  EXPECT_EQ(fused->fusion().nodes.size(), 5u);
  EXPECT_TRUE(plain->fusion().nodes.empty());
  auto yf = fused->Run({{"x", e["x"]}});
  auto yp = plain->Run({{"x", e["x"]}});
  ASSERT_TRUE(yf.ok()) << yf.status();
  ASSERT_TRUE(yp.ok()) << yp.status();
  EXPECT_LT(Compare(yf->at("out"), e["out"]).max_abs, 2e-5);
  EXPECT_LT(Compare(yp->at("out"), e["out"]).max_abs, 2e-5);
  EXPECT_LT(Compare(yf->at("out"), yp->at("out")).max_abs, 2e-5);
}

TEST_F(FusionTest, BenchmarkSizedDitBlockMatchesPyTorchOnOneAndTwoThreads) {
  auto e = Expected("dit_bench");
  for (int threads : {1, 2}) {
    auto fused = Load(std::string(kDir) + "dit_bench.onnx", true, threads);
    auto plain = Load(std::string(kDir) + "dit_bench.onnx", false, threads);
    ASSERT_TRUE(fused && plain);
    EXPECT_EQ(fused->fusion().matmul_bias, 4);  // qkv, proj, fc1, fc2 (ada is a Gemm)
    EXPECT_EQ(fused->fusion().layer_norm, 2);
    EXPECT_EQ(fused->fusion().gelu, 1);
    std::map<std::string, Tensor> in = {{"x", e["x"]}, {"c", e["c"]}};
    auto yf = fused->Run(in);
    auto yp = plain->Run(in);
    ASSERT_TRUE(yf.ok()) << yf.status();
    ASSERT_TRUE(yp.ok()) << yp.status();
    const Diff torch_fused = Compare(yf->at("out"), e["out"]);
    const Diff torch_plain = Compare(yp->at("out"), e["out"]);
    const Diff fused_plain = Compare(yf->at("out"), yp->at("out"));
    EXPECT_LT(torch_fused.max_abs, 1e-4) << threads;
    EXPECT_LT(torch_fused.nmse, 1e-10) << threads;
    EXPECT_LT(torch_plain.max_abs, 1e-4) << threads;
    EXPECT_LT(fused_plain.max_abs, 1e-4) << threads;
    EXPECT_LT(fused_plain.nmse, 1e-10) << threads;
  }
}

TEST_F(FusionTest, BundledModelsFusedEqualUnfused) {
  struct Case {
    const char* path;
    std::map<std::string, Shape> inputs;
    int fused_chains;
  };
  // Chain counts read from the exports: the DiT has 4 MatMul + bias, 2 LayerNorms and 1 GELU;
  // the vocoder (Conv / ConvTranspose / LeakyRelu) has none.
  const Case cases[] = {
      {"reference_dumps/dit/model.onnx", {{"x", {1, 16, 32}}, {"c", {1, 32}}}, 7},
      {"reference_dumps/vocoder/model.onnx", {{"mel", {1, 8, 16}}}, 0},
  };
  for (const Case& c : cases) {
    auto fused = Load(c.path, true);
    auto plain = Load(c.path, false);
    ASSERT_TRUE(fused && plain) << c.path;
    const FusedGraph& f = fused->fusion();
    EXPECT_EQ(f.matmul_bias + f.layer_norm + f.gelu, c.fused_chains) << c.path;
    std::map<std::string, Tensor> in;
    uint32_t seed = 1;
    for (const auto& [name, shape] : c.inputs) in[name] = Random(shape, seed++);
    auto yf = fused->Run(in);
    auto yp = plain->Run(in);
    ASSERT_TRUE(yf.ok()) << yf.status();
    ASSERT_TRUE(yp.ok()) << yp.status();
    for (const auto& [name, t] : *yp) {
      const Diff d = Compare(yf->at(name), t);
      EXPECT_LT(d.max_abs, 1e-5) << c.path << " " << name;
      EXPECT_LT(d.nmse, 1e-11) << c.path << " " << name;
    }
  }
}

TEST_F(FusionTest, CaptureSeesEveryNodeOutputAndOverridesApply) {
  auto s = Load("reference_dumps/dit/model.onnx", true);
  ASSERT_TRUE(s);
  ASSERT_GT(s->fusion().nodes.size(), 0u);
  std::map<std::string, Tensor> in = {{"x", Random({1, 16, 32}, 1)}, {"c", Random({1, 32}, 2)}};
  std::set<std::string> seen;
  RunOptions run;
  run.capture = [&](const onnx::NodeProto& node, const std::string& name, const Tensor&) {
    EXPECT_TRUE(node.domain().empty()) << node.name() << " is a fused node";
    seen.insert(name);
  };
  auto captured = s->Run(in, run);
  ASSERT_TRUE(captured.ok()) << captured.status();
  std::set<std::string> all;
  for (const auto& n : s->model().graph().node()) {
    for (const auto& o : n.output()) all.insert(o);
  }
  EXPECT_EQ(seen, all);
  auto plain = s->Run(in);
  ASSERT_TRUE(plain.ok());
  EXPECT_LT(Compare(captured->at("out"), plain->at("out")).max_abs, 1e-5);

  // An override of an intermediate inside a fused chain (the GELU's Erf output) must reach its
  // consumer: with every erf value replaced by 0 the GELU becomes 0.5 * x, which changes `out`.
  const std::string erf = "/mlp/act/Erf_output_0";
  ASSERT_NE(s->Producer(erf), nullptr);
  std::map<std::string, Tensor> erf_value;
  RunOptions cap;
  cap.capture_pattern = "^/mlp/act/Erf_output_0$";
  cap.capture = [&](const onnx::NodeProto&, const std::string& name, const Tensor& t) {
    erf_value[name] = t;
  };
  ASSERT_TRUE(s->Run(in, cap).ok());
  ASSERT_EQ(erf_value.count(erf), 1u);
  RunOptions over;
  over.overrides[erf] = Tensor::Zeros(DType::kF32, erf_value[erf].shape());
  auto overridden = s->Run(in, over);
  ASSERT_TRUE(overridden.ok()) << overridden.status();
  EXPECT_GT(Compare(overridden->at("out"), plain->at("out")).max_abs, 1e-4);
}

TEST_F(FusionTest, ChainWithAnIntermediateGraphOutputIsNotFused) {
  auto e = Expected("gelu_leak");
  auto s = Load(std::string(kDir) + "gelu_leak.onnx", true);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->fusion().gelu, 0);
  auto y = s->Run({{"x", e["x"]}});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_LT(Compare(y->at("y"), e["y"]).max_abs, 1e-6);
  EXPECT_LT(Compare(y->at("e"), e["e"]).max_abs, 1e-6);
}

TEST_F(FusionTest, ReferenceBackendNeverFuses) {
  SessionOptions o;
  o.backend = "reference";
  auto s = Session::Load(std::string(kDir) + "small.onnx", o);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE((*s)->fusion().nodes.empty());
}

}  // namespace
}  // namespace rt
}  // namespace tp
