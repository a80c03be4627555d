#include "core/testing/test_util.h"

#include <sys/wait.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"

namespace tp {
namespace testutil {
namespace {

TEST(TestUtilTest, TempPathIsUnderTestTmpdir) {
  const char* dir = std::getenv("TEST_TMPDIR");
  ASSERT_NE(dir, nullptr) << "run under bazel test";
  EXPECT_EQ(TempDir(), std::string(dir));
  EXPECT_EQ(TempPath("a.bin"), std::string(dir) + "/a.bin");
}

TEST(TestUtilTest, RunfilePathPointsIntoTheWorkspace) {
  // This test's own source is not a runfile, but its BUILD file's package is; the binary is.
  const std::string p = RunfilePath("core/testing/test_util_test");
  EXPECT_EQ(p, std::string(std::getenv("TEST_SRCDIR")) + "/tensorport/core/testing/test_util_test");
  EXPECT_TRUE(FileExists(p));
}

TEST(TestUtilTest, WriteThenReadRoundTripsBinaryBytes) {
  const std::string path = TempPath("round_trip.bin");
  const std::string bytes("a\0b\xff\n", 5);
  ASSERT_TRUE(WriteFileBytes(path, bytes));
  EXPECT_TRUE(FileExists(path));
  EXPECT_EQ(ReadFileBytes(path), bytes);
  ASSERT_TRUE(WriteFileBytes(path, "x"));  // truncates
  EXPECT_EQ(ReadFileBytes(path), "x");
}

TEST(TestUtilTest, MissingFilesAreReportedNotPassedOver) {
  EXPECT_FALSE(FileExists(TempPath("no_such_file")));
  EXPECT_NONFATAL_FAILURE(ReadFileBytes(TempPath("no_such_file")), "cannot open");
  EXPECT_NONFATAL_FAILURE(WriteFileBytes(TempPath("no_such_dir/x"), "x"), "cannot write");
}

TEST(TestUtilTest, RunCommandGivesStdoutAndExitStatus) {
  int rc = 0;
  EXPECT_EQ(RunCommand("printf 'one\\ntwo'; exit 3", &rc), "one\ntwo");
  ASSERT_TRUE(WIFEXITED(rc));
  EXPECT_EQ(WEXITSTATUS(rc), 3);
  EXPECT_EQ(RunCommand("true", &rc), "");
  EXPECT_EQ(rc, 0);
}

TEST(TestUtilTest, ForEachPrefixVisitsEveryProperPrefixInOrder) {
  std::vector<std::string> seen;
  ForEachPrefix("abc", [&](size_t n, const std::string& prefix) {
    EXPECT_EQ(prefix.size(), n);
    seen.push_back(prefix);
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"", "a", "ab"}));
}

TEST(TestUtilTest, ForEachPrefixFileWritesEachPrefixBeforeTheCall) {
  const std::string path = TempPath("prefixes.bin");
  std::vector<std::string> seen;
  ForEachPrefixFile("wxyz", path, [&](size_t n) {
    seen.push_back(ReadFileBytes(path));
    EXPECT_EQ(seen.back().size(), n);
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"", "w", "wx", "wxy"}));
}

// An ASSERT in the callback ends the loop, as it ends an inline loop.
void StopsAtFirstFatalFailure(int* calls) {
  ForEachPrefix("abcdef", [&](size_t n, const std::string&) {
    ++*calls;
    ASSERT_LT(n, 2u) << "stop here";
  });
}

TEST(TestUtilTest, ForEachPrefixStopsAtTheFirstFatalFailure) {
  // In a child process, where the failure reaches the real reporter (EXPECT_FATAL_FAILURE's
  // interception would hide it from HasFatalFailure); the exit code is the number of calls.
  EXPECT_EXIT(
      {
        int calls = 0;
        StopsAtFirstFatalFailure(&calls);
        std::_Exit(calls);
      },
      ::testing::ExitedWithCode(3), "");  // gtest prints the failure to stdout
}

// A reader that fails every path with "PATH: bad magic", InvalidArgument.
absl::Status FakeRead(const std::string& path) {
  return absl::InvalidArgumentError(path + ": bad magic 'XXXX', expected 'GGUF'");
}

TEST(TestUtilTest, CheckBadCasesChecksEveryLine) {
  const std::string dir = TempPath("");
  ASSERT_TRUE(WriteFileBytes(dir + "bad_cases.txt",
                             "a.bin\tINVALID_ARGUMENT\tbad magic\nb.bin\tINVALID_ARGUMENT\t'GGUF'\n"));
  int count = -1;
  CheckBadCases(dir, FakeRead, ": ", &count);
  EXPECT_EQ(count, 2);
}

void CheckTempDirCases() {
  int count = 0;
  CheckBadCases(TempPath(""), FakeRead, ": ", &count);
}

TEST(TestUtilTest, CheckBadCasesReportsAWrongCodeOrMissingSubstring) {
  const std::string dir = TempPath("");
  ASSERT_TRUE(WriteFileBytes(dir + "bad_cases.txt", "a.bin\tOUT_OF_RANGE\tbad magic\n"));
  EXPECT_NONFATAL_FAILURE(CheckTempDirCases(), "OUT_OF_RANGE");
  ASSERT_TRUE(WriteFileBytes(dir + "bad_cases.txt", "a.bin\tINVALID_ARGUMENT\ttruncated\n"));
  EXPECT_NONFATAL_FAILURE(CheckTempDirCases(), "truncated");
  ASSERT_TRUE(WriteFileBytes(dir + "bad_cases.txt", "a.bin only two\tfields\n"));
  EXPECT_FATAL_FAILURE(CheckTempDirCases(), "f.size()");
}

}  // namespace
}  // namespace testutil
}  // namespace tp
