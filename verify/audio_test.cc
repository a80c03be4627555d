#include "verify/audio.h"

#include "gtest/gtest.h"
#include "verify/test_cases.h"

namespace tp {
namespace verify {
namespace {

TEST(AudioTest, MatchesNumPyStft) {
  std::vector<TestCase> cases = ReadTestCases("verify/testdata/audio_cases.txt");
  ASSERT_EQ(cases.size(), 1u);
  const TestCase& c = cases[0];
  ASSERT_EQ(c.x.shape(), (Shape{2, 3000}));
  std::vector<double> x = *ToDoubleVector(c.x), y = *ToDoubleVector(c.y);
  SpectralMetrics m = CompareSpectra(x, y, 2, 3000);
  EXPECT_EQ(m.n_fft, 2048);
  EXPECT_NEAR(m.spectral_convergence, c.Value("spectral_convergence"), 1e-9);
  EXPECT_NEAR(m.log_stft_distance, c.Value("log_stft_distance"), 1e-9);
  EXPECT_NEAR(m.mr_stft_distance, c.Value("mr_stft_distance"), 1e-9);
}

TEST(AudioTest, IdenticalSignalsHaveZeroDistance) {
  std::vector<double> x(500);
  for (size_t i = 0; i < x.size(); ++i) x[i] = (i % 7) * 0.1;
  SpectralMetrics m = CompareSpectra(x, x, 1, 500);
  EXPECT_EQ(m.spectral_convergence, 0);
  EXPECT_EQ(m.mr_stft_distance, 0);
}

}  // namespace
}  // namespace verify
}  // namespace tp
