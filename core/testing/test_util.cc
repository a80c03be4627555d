#include "core/testing/test_util.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace tp {
namespace testutil {

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr && *dir != '\0' ? dir : "/tmp";
}

std::string TempPath(absl::string_view name) { return absl::StrCat(TempDir(), "/", name); }

std::string RunfilePath(absl::string_view workspace_relative) {
  const char* dir = std::getenv("TEST_SRCDIR");
  if (dir == nullptr || *dir == '\0') return std::string(workspace_relative);
  return absl::StrCat(dir, "/tensorport/", workspace_relative);
}

std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << path << ": cannot open for reading";
    return "";
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool WriteFileBytes(const std::string& path, absl::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    ADD_FAILURE() << path << ": cannot write " << bytes.size() << " bytes";
    return false;
  }
  return true;
}

bool FileExists(const std::string& path) { return std::ifstream(path).good(); }

std::string RunCommand(const std::string& command, int* exit_code) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) {
    *exit_code = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  *exit_code = pclose(p);
  return out;
}

void ForEachPrefix(const std::string& bytes,
                   const std::function<void(size_t n, const std::string& prefix)>& fn) {
  for (size_t n = 0; n < bytes.size(); ++n) {
    const std::string prefix = bytes.substr(0, n);
    fn(n, prefix);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

void ForEachPrefixFile(const std::string& bytes, const std::string& path,
                       const std::function<void(size_t n)>& fn) {
  for (size_t n = 0; n < bytes.size(); ++n) {
    if (!WriteFileBytes(path, absl::string_view(bytes).substr(0, n))) return;
    fn(n);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

void CheckBadCases(const std::string& dir,
                   const std::function<absl::Status(const std::string& path)>& read,
                   absl::string_view after_path, int* count) {
  *count = 0;
  const std::string cases = ReadFileBytes(absl::StrCat(dir, "bad_cases.txt"));
  for (absl::string_view line : absl::StrSplit(cases, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    ASSERT_EQ(f.size(), 3u) << line;
    const std::string path = absl::StrCat(dir, f[0]);
    SCOPED_TRACE(path);
    const absl::Status status = read(path);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(absl::StatusCodeToString(status.code()), f[1]) << status;
    EXPECT_NE(status.message().find(f[2]), absl::string_view::npos)
        << "expected the message to contain \"" << f[2] << "\": " << status;
    EXPECT_EQ(status.message().rfind(absl::StrCat(path, after_path), 0), 0u) << status;
    EXPECT_EQ(status.message().find('\n'), absl::string_view::npos);
    ++*count;
  }
}

}  // namespace testutil
}  // namespace tp
