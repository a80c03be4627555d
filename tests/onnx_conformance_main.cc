// bazel run //tests:onnx_conformance -- --data DIR --backend reference|cpu|cuda [--filter RE]
// Exit status: 0 every runnable case passed, 1 a case failed, 2 usage or input error.
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "tests/onnx_conformance.h"

ABSL_FLAG(std::string, data, "",
          "onnx-backend-tests folder (default: <workspace>/../shared/onnx-backend-tests)");
ABSL_FLAG(std::string, backend, "reference", "reference, cpu or cuda");
ABSL_FLAG(std::string, filter, "", "RE2 matched against case names like node/test_add");
ABSL_FLAG(double, rtol, 1e-3, "relative tolerance (floating outputs)");
ABSL_FLAG(double, atol, 1e-7, "absolute tolerance (floating outputs)");
ABSL_FLAG(bool, verbose, false, "also list passing cases");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  tp::ConformanceOptions o;
  o.data_dir = absl::GetFlag(FLAGS_data);
  if (o.data_dir.empty()) o.data_dir = tp::DefaultConformanceDataDir("");
  o.backend = absl::GetFlag(FLAGS_backend);
  o.filter = absl::GetFlag(FLAGS_filter);
  o.verbose = absl::GetFlag(FLAGS_verbose);
  o.rtol = absl::GetFlag(FLAGS_rtol);
  o.atol = absl::GetFlag(FLAGS_atol);
  absl::StatusOr<tp::ConformanceSummary> s = tp::RunConformance(o, std::cout);
  if (!s.ok()) {
    std::cerr << s.status().message() << std::endl;
    return 2;
  }
  return s->failed == 0 ? 0 : 1;
}
