#include "runtime/testing/session_test_util.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "runtime/tensor_proto.h"

namespace tp {
namespace rt {
namespace testutil {

std::map<std::string, Tensor> ReadTensorSetOrFail(const std::string& path) {
  absl::StatusOr<std::map<std::string, Tensor>> m = ReadTensorSetFile(path);
  if (!m.ok()) {
    ADD_FAILURE() << m.status();
    return {};
  }
  return *std::move(m);
}

std::unique_ptr<Session> LoadOrFail(const std::string& path, const SessionOptions& options) {
  absl::StatusOr<std::unique_ptr<Session>> s = Session::Load(path, options);
  if (!s.ok()) {
    ADD_FAILURE() << s.status();
    return nullptr;
  }
  return *std::move(s);
}

double MaxRelativeError(const Tensor& actual, const Tensor& expected) {
  EXPECT_EQ(ShapeToString(actual.shape()), ShapeToString(expected.shape()));
  absl::StatusOr<std::vector<double>> a = ToDoubleVector(actual);
  absl::StatusOr<std::vector<double>> e = ToDoubleVector(expected);
  if (!a.ok() || !e.ok()) {
    ADD_FAILURE() << (a.ok() ? e.status() : a.status());
    return INFINITY;
  }
  if (a->size() != e->size()) return INFINITY;
  double err = 0, scale = 1e-6;
  for (size_t i = 0; i < a->size(); ++i) {
    const double d = std::fabs((*a)[i] - (*e)[i]);
    err = std::isnan(d) ? INFINITY : std::max(err, d);
    scale = std::max(scale, std::fabs((*e)[i]));
  }
  return err / scale;
}

}  // namespace testutil
}  // namespace rt
}  // namespace tp
