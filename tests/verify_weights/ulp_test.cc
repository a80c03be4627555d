// CountBeyondOneUlp against NumPy: values stepped by 0, 1 or 2 ulps with np.nextafter.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "verify/weights_mode.h"

namespace tp {
namespace verify {
namespace {

Tensor FromDoubles(const std::vector<double>& v, DType dtype) {
  Tensor t = Tensor::Zeros(DType::kF64, {static_cast<int64_t>(v.size())});
  std::copy(v.begin(), v.end(), t.mutable_data_as<double>());
  return *Cast(t, dtype);
}

TEST(CountBeyondOneUlp, MatchesNumPyNextafter) {
  const char* dir = std::getenv("TEST_SRCDIR");
  const char* ws = std::getenv("TEST_WORKSPACE");
  ASSERT_NE(dir, nullptr);
  std::ifstream in(std::string(dir) + "/" + ws + "/tests/verify_weights/ulp_cases.txt");
  ASSERT_TRUE(in.good());
  std::string line;
  int cases = 0;
  while (std::getline(in, line)) {
    std::istringstream s(line);
    std::string name;
    int64_t n = 0, expected = 0;
    s >> name >> n >> expected;
    std::vector<double> x(n), y(n);
    for (double& v : x) s >> v;
    for (double& v : y) s >> v;
    const DType dtype = name == "f16" ? DType::kF16 : DType::kF32;
    std::string detail;
    absl::StatusOr<int64_t> bad =
        CountBeyondOneUlp(FromDoubles(x, dtype), FromDoubles(y, dtype), &detail);
    ASSERT_TRUE(bad.ok()) << bad.status();
    EXPECT_EQ(*bad, expected) << name << " " << detail;
    EXPECT_GT(expected, 0) << name;  // the case exercises failures
    ++cases;
  }
  EXPECT_EQ(cases, 2);
}

TEST(CountBeyondOneUlp, DtypeMismatchIsAnError) {
  std::vector<double> v = {1.0, 2.0};
  absl::StatusOr<int64_t> r =
      CountBeyondOneUlp(FromDoubles(v, DType::kF32), FromDoubles(v, DType::kF16), nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("expected the same dtype and shape"), std::string::npos);
}

}  // namespace
}  // namespace verify
}  // namespace tp
