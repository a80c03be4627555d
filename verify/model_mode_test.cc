#include "verify/model_mode.h"

#include <fstream>
#include <set>
#include <string>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace tp {
namespace verify {
namespace {

// Every scope of the four bundled exports maps to the module name that tools/export_onnx.py
// (Python, from the exporter's scopes) wrote into the manifests.
TEST(NodeScopeModuleTest, MatchesTheExportersMaps) {
  std::ifstream in("verify/testdata/scope_cases.tsv");
  ASSERT_TRUE(in.good());
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    ASSERT_EQ(f.size(), 2u) << line;
    EXPECT_EQ(NodeScopeModule(f[0]), f[1]) << f[0];
    ++n;
  }
  EXPECT_GT(n, 60);
}

// Cases written in reference_dumps/README.md (observed PyTorch 1.13 node names).
TEST(NodeScopeModuleTest, ReadmeCases) {
  EXPECT_EQ(NodeScopeModule("/lrelu_1/LeakyRelu"), "lrelu#1");
  EXPECT_EQ(NodeScopeModule("/model/model.3/conv/conv/Conv"), "model.3.conv.conv");
  EXPECT_EQ(NodeScopeModule("/cnn.0/cnn.0.1/InstanceNormalization"), "cnn.0.1");
  EXPECT_EQ(NodeScopeModule("/adaLN_modulation/adaLN_modulation.1/Gemm"), "adaLN_modulation.1");
  EXPECT_EQ(NodeScopeModule("/resblocks.0/activations.0/Sin"), "resblocks.0.activations.0");
  EXPECT_EQ(NodeScopeModule("/resblocks.0/Add_1"), "resblocks.0");
  EXPECT_EQ(NodeScopeModule("/Tanh"), "");
  EXPECT_EQ(NodeScopeModule("Identity_3"), "");
  EXPECT_EQ(NodeScopeModule("Constant_66"), "");
}

TEST(NodeScopeModuleTest, LiteralSuffixKeptWhenKnown) {
  std::set<std::string> known = {"conv_1", "up.conv_2"};
  auto is_known = [&](const std::string& n) { return known.count(n) > 0; };
  EXPECT_EQ(NodeScopeModule("/conv_1/Conv", is_known), "conv_1");
  EXPECT_EQ(NodeScopeModule("/up/conv_2/Conv", is_known), "up.conv_2");
  EXPECT_EQ(NodeScopeModule("/conv_1/Conv"), "conv#1");
  EXPECT_EQ(NodeScopeModule("/dec/lrelu_2/LeakyRelu", is_known), "dec.lrelu#2");
}

TEST(ScopeSegmentsToModuleTest, EveryDepth) {
  const std::vector<std::string> segs = {"model", "model.1", "block", "block.1", "conv", "conv"};
  EXPECT_EQ(ScopeSegmentsToModule(segs, 1), "model");
  EXPECT_EQ(ScopeSegmentsToModule(segs, 2), "model.1");
  EXPECT_EQ(ScopeSegmentsToModule(segs, 3), "model.1.block");
  EXPECT_EQ(ScopeSegmentsToModule(segs, 4), "model.1.block.1");
  EXPECT_EQ(ScopeSegmentsToModule(segs, 5), "model.1.block.1.conv");
  EXPECT_EQ(ScopeSegmentsToModule(segs, 6), "model.1.block.1.conv.conv");
}

}  // namespace
}  // namespace verify
}  // namespace tp
