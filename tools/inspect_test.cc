// Unit tests of the inspect library: BUILD_WORKING_DIRECTORY handling (what `bazel run` sets) and
// error lines that name the file. Values per format are checked end to end by
// //tools:inspect_e2e_test against NumPy/PyTorch.
#include "tools/inspect.h"

#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace tp {
namespace {

const char kFixtureDir[] = "tests/inspect_testdata";

class ResolveUserPathTest : public ::testing::Test {
 protected:
  void TearDown() override { unsetenv("BUILD_WORKING_DIRECTORY"); }
};

TEST_F(ResolveUserPathTest, UnchangedWithoutBazelRun) {
  unsetenv("BUILD_WORKING_DIRECTORY");
  EXPECT_EQ(ResolveUserPath("model.pt"), "model.pt");
  EXPECT_EQ(ResolveUserPath("sub/model.pt"), "sub/model.pt");
  EXPECT_EQ(ResolveUserPath("/abs/model.pt"), "/abs/model.pt");
}

TEST_F(ResolveUserPathTest, RelativeToWorkingDirectoryUnderBazelRun) {
  setenv("BUILD_WORKING_DIRECTORY", "/home/user/project", 1);
  EXPECT_EQ(ResolveUserPath("model.pt"), "/home/user/project/model.pt");
  EXPECT_EQ(ResolveUserPath("ckpt/g_0100.pth"), "/home/user/project/ckpt/g_0100.pth");
  EXPECT_EQ(ResolveUserPath("/abs/model.pt"), "/abs/model.pt");
  EXPECT_EQ(ResolveUserPath(""), "");
}

TEST_F(ResolveUserPathTest, InspectFindsTheFileFromTheUsersDirectory) {
  char* cwd = getcwd(nullptr, 0);
  ASSERT_NE(cwd, nullptr);
  setenv("BUILD_WORKING_DIRECTORY", (std::string(cwd) + "/" + kFixtureDir).c_str(), 1);
  free(cwd);
  std::ostringstream out;
  absl::Status s = Inspect(ResolveUserPath("weights.safetensors"), InspectOptions(), out);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_TRUE(absl::StrContains(out.str(), "safetensors, 3 tensors")) << out.str();
  EXPECT_TRUE(absl::StrContains(out.str(), "enc.weight")) << out.str();
}

TEST(InspectTest, ErrorsNameTheFile) {
  const std::string path = std::string(kFixtureDir) + "/arrays.npy";
  InspectOptions options;
  options.format = "ggml";
  std::ostringstream out;
  absl::Status s = Inspect(path, options, out);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(s.message(), path)) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "ggml")) << s;
  EXPECT_EQ(out.str(), "");

  const std::string missing = std::string(kFixtureDir) + "/no_such_file.pt";
  s = Inspect(missing, InspectOptions(), out);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.message(), missing)) << s;
}

TEST(InspectTest, SelectOnTrainingCheckpointStripsThePrefix) {
  InspectOptions options;
  options.select = "model";
  options.json = true;
  std::ostringstream out;
  absl::Status s = Inspect(std::string(kFixtureDir) + "/training.pt", options, out);
  ASSERT_TRUE(s.ok()) << s;
  // Names from torch.nn.Sequential(Linear, LayerNorm).state_dict() (make_fixtures.py).
  EXPECT_TRUE(absl::StrContains(out.str(), "\"name\": \"0.weight\"")) << out.str();
  EXPECT_TRUE(absl::StrContains(out.str(), "\"name\": \"1.bias\"")) << out.str();
  EXPECT_FALSE(absl::StrContains(out.str(), "exp_avg")) << out.str();
}

}  // namespace
}  // namespace tp
