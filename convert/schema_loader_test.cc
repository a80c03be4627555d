#include "convert/schema_loader.h"

#include <unistd.h>

#include <string>

#include "absl/strings/match.h"
#include "core/testing/test_util.h"
#include "gtest/gtest.h"

namespace tp {
namespace {

using ::tp::testutil::TempDir;
using ::tp::testutil::TempPath;
using ::tp::testutil::WriteFileBytes;

TEST(LoadSchemaOrPresetTest, PresetNameLoadsThePreset) {
  absl::StatusOr<schema::Conversion> got = LoadSchemaOrPreset("hifigan");
  ASSERT_TRUE(got.ok()) << got.status();
  absl::StatusOr<schema::Conversion> want = LoadPreset("hifigan");
  ASSERT_TRUE(want.ok()) << want.status();
  EXPECT_GT(want->pass_size(), 0);
  EXPECT_EQ(got->SerializeAsString(), want->SerializeAsString());
}

TEST(LoadSchemaOrPresetTest, PathLoadsTheFile) {
  const std::string path = TempPath("rules.textproto");
  ASSERT_TRUE(WriteFileBytes(path, "out_type: \"bf16\"\nconv_layout: \"mlx\"\n"));
  absl::StatusOr<schema::Conversion> s = LoadSchemaOrPreset(path);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->out_type(), "bf16");
  EXPECT_EQ(s->conv_layout(), "mlx");
  EXPECT_EQ(s->pass_size(), 0);
}

TEST(LoadSchemaOrPresetTest, ReadableFileWinsOverPresetOfTheSameName) {
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof(cwd)), nullptr);
  ASSERT_EQ(chdir(TempDir().c_str()), 0);
  const bool wrote = WriteFileBytes("mlx", "out_type: \"f16\"\n");
  absl::StatusOr<schema::Conversion> s = LoadSchemaOrPreset("mlx");
  ASSERT_EQ(chdir(cwd), 0);
  ASSERT_TRUE(wrote);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->out_type(), "f16");
  EXPECT_EQ(s->pass_size(), 0) << "the mlx preset was loaded instead of the file";
}

TEST(LoadSchemaOrPresetTest, FileErrorsNameTheFileAndPosition) {
  const std::string path = TempPath("bad.textproto");
  ASSERT_TRUE(WriteFileBytes(path, "out_type: \"f16\"\nno_such_field: 1\n"));
  absl::StatusOr<schema::Conversion> s = LoadSchemaOrPreset(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(s.status().message(), path + ":2:")) << s.status();
}

TEST(LoadSchemaOrPresetTest, NeitherFileNorPresetIsNotFoundListingPresets) {
  const std::string missing = TempPath("missing.textproto");
  absl::StatusOr<schema::Conversion> s = LoadSchemaOrPreset(missing);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kNotFound);
  const std::string m(s.status().message());
  EXPECT_TRUE(absl::StrContains(m, missing)) << m;
  EXPECT_TRUE(absl::StrContains(m, "cannot open it as a schema file")) << m;
  EXPECT_TRUE(absl::StrContains(m, "known: encodec, hifigan, kokoro, mlx")) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace tp
