// The cpu backend's inference-time rewrites (runtime/fusion.h), each on its own and all together,
// on small PyTorch exports (make_rewrite_test_models.py): every rewritten run must match PyTorch's
// outputs, the same model run as written on the cpu backend and on the reference backend, and the
// rewrite must actually have fired (its counter), so a rewrite that silently stops matching its
// pattern fails here instead of passing vacuously.
#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/fusion.h"
#include "runtime/session.h"
#include "runtime/testing/session_test_util.h"

namespace tp {
namespace rt {
namespace {

const char kDir[] = "runtime/rewrite/testdata/";

using testutil::MaxRelativeError;

std::map<std::string, Tensor> Expected(const std::string& name) {
  return testutil::ReadTensorSetOrFail(std::string(kDir) + name + "_expected.pb");
}

std::unique_ptr<Session> Load(const std::string& name, const std::string& backend, bool fuse,
                              const RewriteOptions& rewrites, int threads) {
  SessionOptions o;
  o.backend = backend;
  o.fuse = fuse;
  o.rewrites = rewrites;
  o.num_threads = threads;
  return testutil::LoadOrFail(std::string(kDir) + name + ".onnx", o);
}

using Counter = std::function<int(const FusedGraph&)>;

struct Check {
  std::string model;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::map<std::string, Counter> counters;  // what must have fired, by rewrite name
};

RewriteOptions Only(const std::string& rewrite) {
  RewriteOptions o;
  o.fold_constants = rewrite == "fold_constants";
  o.fold_affine = rewrite == "fold_affine";
  o.primitive_chains = rewrite == "primitive_chains";
  o.hard_swish = rewrite == "hard_swish";
  o.matmul_transpose_scale = rewrite == "matmul_transpose_scale";
  o.blocked_layout = rewrite == "blocked_layout" || rewrite == "conv_epilogues";
  o.conv_epilogues = rewrite == "conv_epilogues";
  return o;
}

void RunCheck(const Check& c) {
  SCOPED_TRACE(c.model);
  std::map<std::string, Tensor> expected = Expected(c.model);
  std::map<std::string, Tensor> inputs;
  for (const std::string& in : c.inputs) inputs[in] = expected.at(in);
  auto unrewritten = Load(c.model, "cpu", /*fuse=*/false, {}, 1);
  auto reference = Load(c.model, "reference", false, {}, 1);
  ASSERT_TRUE(unrewritten && reference);
  auto plain_out = unrewritten->Run(inputs);
  auto ref_out = reference->Run(inputs);
  ASSERT_TRUE(plain_out.ok() && ref_out.ok());
  std::vector<std::pair<std::string, RewriteOptions>> configs = {{"all", RewriteOptions()}};
  for (const auto& [name, counter] : c.counters) configs.push_back({name, Only(name)});
  for (const auto& [label, options] : configs) {
    for (int threads : {1, 2}) {
      SCOPED_TRACE(label + ", " + std::to_string(threads) + " threads");
      auto s = Load(c.model, "cpu", true, options, threads);
      ASSERT_NE(s, nullptr);
      for (const auto& [name, counter] : c.counters) {
        if (label == "all" || label == name) {
          EXPECT_GT(counter(s->fusion()), 0) << "rewrite " << name << " did not fire";
        }
      }
      auto out = s->Run(inputs);
      ASSERT_TRUE(out.ok()) << out.status();
      for (const std::string& o : c.outputs) {
        SCOPED_TRACE(o);
        EXPECT_LE(MaxRelativeError(out->at(o), expected.at(o)), 2e-5) << "against PyTorch";
        EXPECT_LE(MaxRelativeError(out->at(o), plain_out->at(o)), 2e-5)
            << "against the graph as written";
        EXPECT_LE(MaxRelativeError(out->at(o), ref_out->at(o)), 2e-5)
            << "against the reference backend";
      }
    }
  }
}

TEST(RewriteTest, AffineFoldingIntoConvolutions) {
  RunCheck({"affine_conv",
            {"x"},
            {"out0", "out1"},
            {{"fold_affine", [](const FusedGraph& g) { return g.folded_affine >= 5 ? 1 : 0; }},
             {"blocked_layout", [](const FusedGraph& g) { return g.blocked_ops; }}}});
}

TEST(RewriteTest, AffineFoldingIntoLinearLayers) {
  RunCheck({"affine_linear",
            {"x2", "x3"},
            {"out0", "out1"},
            {{"fold_affine", [](const FusedGraph& g) { return g.folded_affine >= 3 ? 1 : 0; }}}});
}

TEST(RewriteTest, ConstantFolding) {
  RunCheck({"constants", {"x"}, {"out0"}, {{"fold_constants", [](const FusedGraph& g) {
                                              return g.folded_constants >= 4 ? 1 : 0;
                                            }}}});
}

TEST(RewriteTest, TransposesAndScalesFoldedIntoMatMul) {
  RunCheck({"attention",
            {"x"},
            {"out0", "out1", "out2"},
            {{"matmul_transpose_scale",
              [](const FusedGraph& g) { return g.matmul_transpose_scale >= 2 ? 1 : 0; }}}});
}

TEST(RewriteTest, BlockedLayoutAndEpiloguesOnACnn) {
  RunCheck({"cnn",
            {"image"},
            {"out0", "out1"},
            {{"hard_swish", [](const FusedGraph& g) { return g.hard_swish; }},
             {"blocked_layout",
              [](const FusedGraph& g) {
                return g.blocked_convs >= 8 && g.blocked_ops >= 10 && g.reorders >= 1 ? 1 : 0;
              }},
             {"conv_epilogues", [](const FusedGraph& g) { return g.conv_epilogues >= 5 ? 1 : 0; }},
             {"fold_constants", [](const FusedGraph& g) { return g.folded_constants; }}}});
}

TEST(RewriteTest, ReplacingAnInitializerRebuildsTheRewrittenGraph) {
  // The folded weights of affine_conv depend on the conv weights: after a replacement the
  // rewritten run must match the graph as written with the same replacement.
  std::map<std::string, Tensor> expected = Expected("affine_conv");
  auto rewritten = Load("affine_conv", "cpu", true, {}, 1);
  auto plain = Load("affine_conv", "cpu", false, {}, 1);
  ASSERT_TRUE(rewritten && plain);
  std::string weight;
  for (const auto& [name, t] : rewritten->initializers()) {
    if (t.shape() == Shape{16, 8, 3, 3}) weight = name;  // the first Conv (both outputs read it)
  }
  ASSERT_FALSE(weight.empty());
  Tensor w = *rewritten->initializers().at(weight).Contiguous();
  Tensor scaled = Tensor::Zeros(DType::kF32, w.shape());
  for (int64_t i = 0; i < w.num_elements(); ++i) {
    scaled.mutable_data_as<float>()[i] = w.data_as<float>()[i] * 1.5f;
  }
  ASSERT_TRUE(rewritten->Run({{"x", expected.at("x")}}).ok());  // states made before the change
  ASSERT_TRUE(rewritten->ReplaceInitializer(weight, scaled).ok());
  ASSERT_TRUE(plain->ReplaceInitializer(weight, scaled).ok());
  auto a = rewritten->Run({{"x", expected.at("x")}});
  auto b = plain->Run({{"x", expected.at("x")}});
  ASSERT_TRUE(a.ok() && b.ok());
  for (const char* o : {"out0", "out1"}) {
    EXPECT_LE(MaxRelativeError(a->at(o), b->at(o)), 2e-5) << o;
    EXPECT_GT(MaxRelativeError(a->at(o), expected.at(o)), 1e-2)
        << o << ": the replacement had no effect";
  }
}

TEST(RewriteTest, CaptureRunsTheGraphAsWritten) {
  std::map<std::string, Tensor> expected = Expected("cnn");
  auto s = Load("cnn", "cpu", true, {}, 1);
  ASSERT_NE(s, nullptr);
  ASSERT_GT(s->fusion().blocked_convs, 0);
  std::vector<std::string> captured;
  RunOptions run;
  run.capture = [&](const onnx::NodeProto& node, const std::string&, const Tensor&) {
    captured.push_back(node.op_type());
  };
  auto out = s->Run({{"image", expected.at("image")}}, run);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(captured.size(), static_cast<size_t>(s->model().graph().node_size()));
  for (const std::string& op : captured) EXPECT_NE(op.rfind("Fused", 0), 0u) << op;
  EXPECT_LE(MaxRelativeError(out->at("out0"), expected.at("out0")), 2e-5);
}

}  // namespace
}  // namespace rt
}  // namespace tp
