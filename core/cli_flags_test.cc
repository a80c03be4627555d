#include "core/cli_flags.h"

#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "gtest/gtest.h"

ABSL_FLAG(std::string, out_type, "", "test flag");
ABSL_FLAG(bool, dry_run, false, "test flag");
ABSL_FLAG(int, jobs, 1, "test flag");

namespace tp {
namespace {

absl::StatusOr<std::vector<std::string>> Prepare(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return PrepareFlags(static_cast<int>(argv.size()), argv.data());
}

TEST(CliFlagsTest, NormalizesDashesAndKeepsPositionals) {
  absl::StatusOr<std::vector<std::string>> r =
      Prepare({"tool", "--out-type=f16", "-dry-run", "in.pt", "--jobs", "3", "out.gguf"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, (std::vector<std::string>{"tool", "--out_type=f16", "--dry_run", "in.pt",
                                          "--jobs", "3", "out.gguf"}));
}

TEST(CliFlagsTest, UnknownFlagIsAnError) {
  absl::StatusOr<std::vector<std::string>> r = Prepare({"tool", "--bogus", "x"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "unknown flag --bogus (see --help)");
}

TEST(CliFlagsTest, MalformedValueIsAnError) {
  absl::StatusOr<std::vector<std::string>> r = Prepare({"tool", "--jobs=many"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--jobs: \"many\" is not valid"), std::string::npos)
      << r.status().message();
  EXPECT_FALSE(Prepare({"tool", "--dry_run=perhaps"}).ok());
  EXPECT_FALSE(Prepare({"tool", "--jobs"}).ok());  // value missing
}

TEST(CliFlagsTest, NegatedBoolAndUsageFlagsAndSeparatorPass) {
  EXPECT_TRUE(Prepare({"tool", "--nodry_run"}).ok());
  EXPECT_FALSE(Prepare({"tool", "--noout_type"}).ok());  // only bools have a negated form
  EXPECT_TRUE(Prepare({"tool", "--help"}).ok());
  EXPECT_TRUE(Prepare({"tool", "--", "--bogus"}).ok());  // after "--" everything is positional
  EXPECT_TRUE(Prepare({"tool", "-"}).ok());
}

}  // namespace
}  // namespace tp
