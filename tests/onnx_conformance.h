// Runs ONNX's backend conformance cases (../shared/onnx-backend-tests: model.onnx +
// test_data_set_*/input_*.pb, output_*.pb) on one backend and compares the outputs with the
// upstream runner's tolerances (rtol 1e-3, atol 1e-7).
//
// A case is skipped when a node has no kernel in the backend's table, when its graph
// inputs/outputs use types outside the runtime's values (strings, complex, maps), or when it is in
// the small documented exclusion list (random expected values, ONNX 1.12 test-data defects).
// Every skip and failure is printed with its reason; then the skips grouped by reason (training
// ops, random outputs, string types, test-data defects, and any other: a runtime gap), and one
// line "N passed, M failed, K skipped".
//
// Example:
//   ConformanceOptions o;
//   o.data_dir = "../shared/onnx-backend-tests";
//   o.backend = "reference";
//   ASSIGN_OR_RETURN(ConformanceSummary s, RunConformance(o, std::cout));
#ifndef TENSORPORT_TESTS_ONNX_CONFORMANCE_H_
#define TENSORPORT_TESTS_ONNX_CONFORMANCE_H_

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tp {

struct ConformanceOptions {
  std::string data_dir;
  std::string backend = "reference";
  std::string filter;  // RE2, partial match on "node/test_x"; empty = all
  bool verbose = false;  // also print passes
  // |actual - expected| <= atol + rtol * |expected| for floating outputs; others compare exactly.
  double rtol = 1e-3;
  double atol = 1e-7;
};

// Why a case may be skipped. Everything else is a gap of the runtime.
inline constexpr char kSkipTraining[] = "training op";
inline constexpr char kSkipRandom[] = "random outputs";
inline constexpr char kSkipString[] = "string type";
inline constexpr char kSkipTestData[] = "ONNX 1.12 test data defect";
inline constexpr char kSkipOther[] = "runtime gap (no kernel or value type)";

struct ConformanceSummary {
  int passed = 0, failed = 0, skipped = 0;
  std::vector<std::string> failures;  // "case: reason"
  std::map<std::string, std::vector<std::string>> skipped_by_reason;  // kSkip* -> cases
};

// NotFound when data_dir does not exist or holds no cases.
absl::StatusOr<ConformanceSummary> RunConformance(const ConformanceOptions& options,
                                                  std::ostream& out);

// The conventional location: <workspace>/../shared/onnx-backend-tests, where the workspace is
// found from $BUILD_WORKSPACE_DIRECTORY (bazel run) or from the real path of `workspace_file`
// (a runfile symlink under bazel test). $TP_ONNX_BACKEND_TESTS overrides both.
std::string DefaultConformanceDataDir(const std::string& workspace_file);

}  // namespace tp

#endif  // TENSORPORT_TESTS_ONNX_CONFORMANCE_H_
