#include "core/output_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>

#include "core/testing/test_util.h"
#include "gtest/gtest.h"

namespace tp {
namespace {

// Bytes that differ from one offset to the next, so a copy from the wrong place shows.
std::string Noise(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(gen() & 0xff);
  return s;
}

class CopyFromTest : public ::testing::TestWithParam<int> {};

// Writes and copies interleaved, the copies starting mid-page, longer than the splice pipe (1 MiB)
// and of 0 or 1 bytes, must give the same bytes by every way CopyFrom has.
TEST_P(CopyFromTest, CopiesRangesBetweenBufferedWritesByteForByte) {
  const std::string source = Noise((3 << 20) + 123, 7);
  const std::string source_path = testutil::TempPath("copy_source.bin");
  ASSERT_TRUE(testutil::WriteFileBytes(source_path, source));
  const int fd = ::open(source_path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);

  const std::string path = testutil::TempPath("copy_out_" + std::to_string(GetParam()) + ".bin");
  absl::StatusOr<std::unique_ptr<OutputFile>> out = OutputFile::Create(path);
  ASSERT_TRUE(out.ok()) << out.status();
  (*out)->StartCopiesAtWayForTesting(GetParam());
  std::string expected;
  auto write = [&](const std::string& bytes) {
    ASSERT_TRUE((*out)->Write(bytes).ok());
    expected += bytes;
  };
  auto copy = [&](uint64_t offset, uint64_t length) {
    absl::Status s = (*out)->CopyFrom(fd, offset, length);
    ASSERT_TRUE(s.ok()) << s;
    expected += source.substr(offset, length);
  };
  write("GGUF!");
  copy(1, 0);
  copy(4095, (2 << 20) + 7);  // two pipes' worth and a bit, from one byte before a page ends
  write(std::string(27, '\0'));
  copy(64, 100);
  copy(source.size() - 1, 1);
  copy(0, source.size());
  write("tail");
  EXPECT_EQ((*out)->offset(), expected.size());
  ASSERT_TRUE((*out)->Commit().ok());
  ::close(fd);
  EXPECT_TRUE(testutil::ReadFileBytes(path) == expected) << "output differs from the source";
}

TEST_P(CopyFromTest, ShortSourceIsDataLossAndLeavesNoOutput) {
  const std::string source = Noise(10000, 3);
  const std::string source_path = testutil::TempPath("short_source.bin");
  ASSERT_TRUE(testutil::WriteFileBytes(source_path, source));
  const int fd = ::open(source_path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const std::string path = testutil::TempPath("short_out_" + std::to_string(GetParam()) + ".bin");
  ::unlink(path.c_str());
  {
    absl::StatusOr<std::unique_ptr<OutputFile>> out = OutputFile::Create(path);
    ASSERT_TRUE(out.ok()) << out.status();
    (*out)->StartCopiesAtWayForTesting(GetParam());
    absl::Status s = (*out)->CopyFrom(fd, 9000, 2000);
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
    EXPECT_NE(s.message().find(path), std::string::npos) << s;
    EXPECT_NE(s.message().find("source file ended 1000 bytes short of the 2000"), std::string::npos)
        << s;
  }
  ::close(fd);
  EXPECT_FALSE(testutil::FileExists(path));
}

std::string WayName(const ::testing::TestParamInfo<int>& info) {
  static const char* const kNames[] = {"Splice", "CopyFileRange", "ReadWrite"};
  return kNames[info.param];
}

INSTANTIATE_TEST_SUITE_P(Ways, CopyFromTest, ::testing::Values(0, 1, 2), WayName);

}  // namespace
}  // namespace tp
