// Helpers shared by the runtime's gtest tests: the tensor sets fixture scripts write (inputs and
// PyTorch / NumPy outputs), loading a session, and the error measure the tests bound. Failures
// are reported through gtest (ADD_FAILURE) as well as the return value, so a missing fixture or a
// model that does not load cannot pass silently.
//
// Example:
//   auto expected = tp::rt::testutil::ReadTensorSetOrFail("runtime/testdata/small_expected.pb");
//   SessionOptions o;
//   o.backend = "cpu";
//   auto s = tp::rt::testutil::LoadOrFail("runtime/testdata/small.onnx", o);
//   ASSERT_NE(s, nullptr);
//   EXPECT_LE(tp::rt::testutil::MaxRelativeError(out.at("y"), expected.at("y")), 1e-5);
#ifndef TENSORPORT_RUNTIME_TESTING_SESSION_TEST_UTIL_H_
#define TENSORPORT_RUNTIME_TESTING_SESSION_TEST_UTIL_H_

#include <map>
#include <memory>
#include <string>

#include "core/tensor.h"
#include "runtime/session.h"

namespace tp {
namespace rt {
namespace testutil {

// The tensor set at `path`; adds a gtest failure and returns an empty set when it cannot be read.
std::map<std::string, Tensor> ReadTensorSetOrFail(const std::string& path);

// Session::Load(path, options); adds a gtest failure and returns nullptr when it fails.
std::unique_ptr<Session> LoadOrFail(const std::string& path, const SessionOptions& options);

// max |actual - expected| over max(max |expected|, 1e-6): infinite when the element counts differ
// or a difference is NaN. Adds a gtest failure when the shapes differ.
double MaxRelativeError(const Tensor& actual, const Tensor& expected);

}  // namespace testutil
}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_TESTING_SESSION_TEST_UTIL_H_
