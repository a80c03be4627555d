// Helpers shared by the gtest unit tests: paths under the test's runfiles and TEST_TMPDIR,
// whole-file reads and writes, running a peer (a Python checker) through the shell, and the
// "every prefix of a fixture" loops that truncation tests run, and the bad_cases.txt check that
// every reader's malformed fixtures go through.
//
// In namespace tp::testutil (not tp::testing, which would hide gtest's ::testing inside tp).
// testonly: products never link this. Reads and writes report failures through gtest
// (ADD_FAILURE) as well as their return value, so a missing fixture cannot pass silently.
//
// Example:
//   const std::string bytes = tp::testutil::ReadFileBytes("formats/npy/f32.npy");
//   const std::string path = tp::testutil::TempPath("trunc_f32.npy");
//   tp::testutil::ForEachPrefixFile(bytes, path, [&](size_t n) {
//     ASSERT_FALSE(ReadNpyFile(path).ok()) << n << " bytes accepted";
//   });
//   int rc = 0;
//   std::string out = tp::testutil::RunCommand("/usr/bin/python3 check.py " + path, &rc);
#ifndef TENSORPORT_CORE_TESTING_TEST_UTIL_H_
#define TENSORPORT_CORE_TESTING_TEST_UTIL_H_

#include <cstddef>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tp {
namespace testutil {

// TEST_TMPDIR (or /tmp outside Bazel), without a trailing slash.
std::string TempDir();
// TempDir() + "/" + name.
std::string TempPath(absl::string_view name);
// The runfile `workspace_relative` (e.g. "core/f16_to_f32.npy") under
// $TEST_SRCDIR/tensorport/; the bare relative path when TEST_SRCDIR is unset.
std::string RunfilePath(absl::string_view workspace_relative);

// The whole file; adds a gtest failure and returns "" when it cannot be opened.
std::string ReadFileBytes(const std::string& path);
// Replaces `path` with `bytes`; adds a gtest failure and returns false when that fails.
bool WriteFileBytes(const std::string& path, absl::string_view bytes);
// Whether `path` can be opened for reading.
bool FileExists(const std::string& path);

// Runs `command` with popen and returns its stdout; *exit_code is pclose's status (-1 when
// the command could not be started).
std::string RunCommand(const std::string& command, int* exit_code);

// Calls fn(n, prefix) for n = 0 .. bytes.size() - 1 with `prefix` a fresh copy of the first n
// bytes (its own allocation, so ASan sees a read past its end). Stops at the first fatal
// failure (an ASSERT in fn), as the loop written inline would.
void ForEachPrefix(const std::string& bytes,
                   const std::function<void(size_t n, const std::string& prefix)>& fn);
// The same, with each prefix written to `path` first and fn(n) called to read it back.
void ForEachPrefixFile(const std::string& bytes, const std::string& path,
                       const std::function<void(size_t n)>& fn);

// Reads `dir` + "bad_cases.txt" (lines "FILE<TAB>StatusCodeName<TAB>message substring", written
// by a fixture script) and, for each, checks that read(dir + FILE) fails with that code, that
// the message contains the substring, starts with the path followed by `after_path`, and is one
// line. *count is the number of cases checked. Call it inside ASSERT_NO_FATAL_FAILURE.
void CheckBadCases(const std::string& dir,
                   const std::function<absl::Status(const std::string& path)>& read,
                   absl::string_view after_path, int* count);

}  // namespace testutil
}  // namespace tp

#endif  // TENSORPORT_CORE_TESTING_TEST_UTIL_H_
