#include "verify/metrics.h"

#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "verify/test_cases.h"

namespace tp {
namespace verify {
namespace {

constexpr char kDir[] = "verify/testdata/";

void ExpectClose(double expected, double actual, const std::string& what) {
  if (std::isinf(expected)) {
    EXPECT_EQ(expected, actual) << what;
    return;
  }
  EXPECT_NEAR(expected, actual, 1e-9 * std::max(1.0, std::fabs(expected))) << what;
}

TEST(MetricsTest, MatchesNumPy) {
  std::vector<TestCase> cases = ReadTestCases(std::string(kDir) + "metrics_cases.txt");
  ASSERT_EQ(cases.size(), 7u);
  for (const TestCase& c : cases) {
    ASSERT_GT(c.x.num_elements(), 0) << c.name;
    absl::StatusOr<LayerMetrics> m = CompareTensors(c.x, c.y, c.atol, c.rtol);
    ASSERT_TRUE(m.ok()) << m.status();
    const std::string n = c.name + " ";
    EXPECT_EQ(m->compared, static_cast<int64_t>(c.Value("compared"))) << n;
    EXPECT_EQ(m->mismatches, static_cast<int64_t>(c.Value("mismatches"))) << n;
    EXPECT_EQ(m->nonfinite_mismatches, static_cast<int64_t>(c.Value("nonfinite_mismatches"))) << n;
    ExpectClose(c.Value("max_abs"), m->max_abs, n + "max_abs");
    ExpectClose(c.Value("mean_abs"), m->mean_abs, n + "mean_abs");
    ExpectClose(c.Value("rmse"), m->rmse, n + "rmse");
    ExpectClose(c.Value("max_rel"), m->max_rel, n + "max_rel");
    ExpectClose(c.Value("cosine"), m->cosine, n + "cosine");
    ExpectClose(c.Value("sqnr_db"), m->sqnr_db, n + "sqnr_db");
    ExpectClose(c.Value("nmse"), m->nmse, n + "nmse");
    ExpectClose(c.Value("mismatch_fraction"), m->mismatch_fraction, n + "mismatch_fraction");
    for (const auto& [prefix, side] : {std::make_pair("ref_", m->ref), std::make_pair("cand_", m->cand)}) {
      const std::string p = prefix;
      EXPECT_EQ(side.finite, static_cast<int64_t>(c.Value(p + "finite"))) << n << p;
      EXPECT_EQ(side.nan, static_cast<int64_t>(c.Value(p + "nan"))) << n << p;
      EXPECT_EQ(side.inf, static_cast<int64_t>(c.Value(p + "inf"))) << n << p;
      ExpectClose(c.Value(p + "mean"), side.mean, n + p + "mean");
      EXPECT_NEAR(c.Value(p + "std"), side.std, 1e-7 * std::max(1.0, c.Value(p + "std"))) << n << p;
      ExpectClose(c.Value(p + "min"), side.min, n + p + "min");
      ExpectClose(c.Value(p + "max"), side.max, n + p + "max");
    }
  }
}

// The same NumPy cases read through misaligned views (as .npz entries at odd offsets are mapped):
// the metrics must not change.
TEST(MetricsTest, MisalignedViewsMatchNumPy) {
  std::vector<TestCase> cases = ReadTestCases(std::string(kDir) + "metrics_cases.txt");
  ASSERT_FALSE(cases.empty());
  for (const TestCase& c : cases) {
    auto misaligned = [](const Tensor& t) {
      auto buf = std::make_shared<std::vector<uint8_t>>(t.nbytes() + 1);
      std::memcpy(buf->data() + 1, t.data(), t.nbytes());
      return Tensor::View(t.dtype(), t.shape(), std::shared_ptr<const void>(buf, buf.get()),
                          buf->data() + 1);
    };
    Tensor x = misaligned(c.x), y = misaligned(c.y);
    if (ElementSize(x.dtype()) > 1) ASSERT_FALSE(x.is_aligned()) << c.name;
    absl::StatusOr<LayerMetrics> m = CompareTensors(x, y, c.atol, c.rtol);
    ASSERT_TRUE(m.ok()) << m.status();
    const std::string n = c.name + " misaligned ";
    EXPECT_EQ(m->mismatches, static_cast<int64_t>(c.Value("mismatches"))) << n;
    ExpectClose(c.Value("max_abs"), m->max_abs, n + "max_abs");
    ExpectClose(c.Value("rmse"), m->rmse, n + "rmse");
    ExpectClose(c.Value("cosine"), m->cosine, n + "cosine");
    ExpectClose(c.Value("sqnr_db"), m->sqnr_db, n + "sqnr_db");
    ExpectClose(c.Value("ref_max"), m->ref.max, n + "ref_max");
    ExpectClose(c.Value("cand_min"), m->cand.min, n + "cand_min");
  }
}

TEST(MetricsTest, DifferentCountsIsAnError) {
  Tensor a = Tensor::Zeros(DType::kF32, {2, 3});
  Tensor b = Tensor::Zeros(DType::kF32, {7});
  absl::StatusOr<LayerMetrics> m = CompareTensors(a, b, 1e-4, 1e-3);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(m.status().message().find("[2, 3]"), std::string::npos);
}

TEST(JudgeTest, DefaultsFailSmallSqnrAndPassRounding) {
  LayerMetrics m;
  m.compared = m.elements = 100;
  m.ref_rms = 1;
  m.cosine = 1 - 1e-13;
  m.sqnr_db = 125;
  EXPECT_TRUE(Judge(m, Tolerance{}).pass);
  m.sqnr_db = 74;  // tanh-GELU at its first divergent layer (tests/verify_calibrate_tolerances.py)
  m.cosine = 1 - 1.5e-8;
  Verdict v = Judge(m, Tolerance{});
  EXPECT_FALSE(v.pass);
  EXPECT_NE(v.reason.find("SQNR 74.0 dB"), std::string::npos) << v.reason;
  m.sqnr_db = 125;
  m.nonfinite_mismatches = 2;
  EXPECT_FALSE(Judge(m, Tolerance{}).pass);
}

// Float32 rounding on a tensor of RMS 2^16 (NumPy case 6): the mismatch band is floored at the
// reference's RMS, so the default gate passes it; the per-element band alone would not.
TEST(JudgeTest, DefaultsPassRoundingAtLargeScale) {
  std::vector<TestCase> cases = ReadTestCases(std::string(kDir) + "metrics_cases.txt");
  ASSERT_EQ(cases.size(), 7u);
  const TestCase& c = cases[6];
  absl::StatusOr<LayerMetrics> m = CompareTensors(c.x, c.y, Tolerance{}.atol, Tolerance{}.rtol);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->mismatches, 0);
  EXPECT_TRUE(Judge(*m, Tolerance{}).pass) << Judge(*m, Tolerance{}).reason;
  // Counted per element (atol + rtol |x|, which NumPy's case also reports), some would fail.
  EXPECT_GT(c.Value("per_element_mismatches"), 0.001 * c.x.num_elements());
}

TEST(JudgeTest, NearZeroReferenceUsesAbsoluteBandOnly) {
  LayerMetrics m;
  m.compared = m.elements = 100;
  m.ref_rms = 1e-9;
  m.sqnr_db = -3;
  m.cosine = 0.2;
  EXPECT_TRUE(Judge(m, Tolerance{}).pass);
}

TEST(HealthTest, FlagsNanConstantAndRange) {
  SideStats s;
  s.finite = 10;
  s.nan = 2;
  s.min = s.max = s.mean = 1.5;
  Tolerance tol;
  tol.range_min = -11.5;
  tol.range_max = 0;
  std::vector<std::string> h = HealthCheck(s, tol);
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0], "2 NaN");
  EXPECT_NE(h[1].find("constant"), std::string::npos);
  EXPECT_NE(h[2].find("above the expected range"), std::string::npos);
  tol.allow_constant = true;
  tol.range_max = 2;
  EXPECT_EQ(HealthCheck(s, tol).size(), 1u);
}

}  // namespace
}  // namespace verify
}  // namespace tp
