// Runs every ONNX conformance case on the backend named by --backend (given by the BUILD target)
// and fails on any failure, and on any skip that is not a training op, a random output, a string
// type or a documented test-data defect. Without the data folder it says SKIPPED.
#include <iostream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "gtest/gtest.h"
#include "tests/onnx_conformance.h"

ABSL_FLAG(std::string, backend, "reference", "backend to run");
ABSL_FLAG(std::string, data, "",
          "cases folder (a runfiles path; must exist); default: the shared ONNX backend tests, "
          "skipped when absent");

namespace tp {
namespace {

TEST(OnnxConformance, EverySupportedCasePasses) {
  const std::string given = absl::GetFlag(FLAGS_data);
  const std::string dir =
      given.empty() ? DefaultConformanceDataDir("tests/onnx_conformance_test.cc") : given;
  ConformanceOptions o;
  o.data_dir = dir;
  o.backend = absl::GetFlag(FLAGS_backend);
  absl::StatusOr<ConformanceSummary> s = RunConformance(o, std::cout);
  if (!s.ok() && s.status().code() == absl::StatusCode::kNotFound && given.empty()) {
    std::cout << "SKIPPED: ONNX conformance data not found (" << s.status().message()
              << "); no case ran" << std::endl;
    GTEST_SKIP() << "conformance data absent: " << dir;
  }
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_GT(s->passed, 0);
  EXPECT_EQ(s->failed, 0) << "first failure: " << (s->failures.empty() ? "" : s->failures[0]);
  // Only training ops, random outputs, string types and documented ONNX 1.12 test-data defects
  // may be skipped; anything else is a gap of the runtime.
  auto gaps = s->skipped_by_reason.find(kSkipOther);
  EXPECT_TRUE(gaps == s->skipped_by_reason.end())
      << gaps->second.size() << " cases skipped for a runtime gap, first: " << gaps->second[0];
}

}  // namespace
}  // namespace tp

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  absl::ParseCommandLine(argc, argv);
  return RUN_ALL_TESTS();
}
