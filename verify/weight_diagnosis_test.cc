#include "verify/weight_diagnosis.h"

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tp {
namespace verify {
namespace {

// Deterministic values with no symmetry a permutation could hide.
std::vector<float> Values(int64_t n, double scale = 1.0) {
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i)
    v[i] = static_cast<float>(scale * std::sin(0.7 * i + 0.3 * i * i));
  return v;
}

// y[i, j, k] = x[i, k, j] for x of shape [a, b, c].
std::vector<float> Swap12(const std::vector<float>& x, int64_t a, int64_t b, int64_t c) {
  std::vector<float> y(x.size());
  for (int64_t i = 0; i < a; ++i)
    for (int64_t j = 0; j < b; ++j)
      for (int64_t k = 0; k < c; ++k) y[(i * c + k) * b + j] = x[(i * b + j) * c + k];
  return y;
}

Transform Permute(std::vector<int> perm, Shape before, Shape after) {
  Transform t;
  t.op = "permute";
  t.perm = std::move(perm);
  t.shape_before = std::move(before);
  t.shape_after = std::move(after);
  return t;
}

Transform CastTo(DType to) {
  Transform t;
  t.op = "cast";
  t.dtype_before = DType::kF32;
  t.dtype_after = to;
  return t;
}

class WeightDiagnosisTest : public ::testing::Test {
 protected:
  WeightDiagnosis Diagnose(const Tensor& converted, std::vector<Transform> transforms,
                           WeightLayout layout = WeightLayout::kUnknown,
                           const DiagnosisOptions& o = DiagnosisOptions()) {
    WeightCase c;
    c.name = "w";
    c.converted = converted;
    c.sources = {"w"};
    c.transforms = std::move(transforms);
    c.layout = layout;
    return DiagnoseWeight(
        c,
        [this](const std::string& n) {
          auto it = source_.find(n);
          return it == source_.end() ? nullptr : &it->second;
        },
        o);
  }
  std::map<std::string, Tensor> source_;
};

TEST_F(WeightDiagnosisTest, NamesNothingWhenTheTensorMatchesOrOnlyRoundingDiffers) {
  const std::vector<float> w = Values(60);
  source_["w"] = TensorFromFloats({4, 3, 5}, w);
  EXPECT_EQ(Diagnose(source_["w"], {}).mistake, WeightMistake::kNone);
  std::vector<float> nudged = w;
  for (float& x : nudged) x = std::nextafter(x, 2.0f);
  const WeightDiagnosis d = Diagnose(TensorFromFloats({4, 3, 5}, nudged), {});
  EXPECT_EQ(d.mistake, WeightMistake::kNone) << d.text;
  EXPECT_EQ(d.text, "");
}

TEST_F(WeightDiagnosisTest, NamesNothingForNoise) {
  const std::vector<float> w = Values(60);
  source_["w"] = TensorFromFloats({4, 3, 5}, w);
  std::vector<float> noisy = w;
  for (size_t i = 0; i < noisy.size(); ++i) noisy[i] += 0.01f * std::cos(3.1 * i);
  EXPECT_EQ(Diagnose(TensorFromFloats({4, 3, 5}, noisy), {}).mistake, WeightMistake::kNone);
}

TEST_F(WeightDiagnosisTest, MissingTransposeThroughPermuteAndCast) {
  // The plan permutes [O, I, K] -> [O, K, I] and casts to f16; the file holds the f16 values in
  // the source layout.
  const std::vector<float> w = Values(60);
  source_["w"] = TensorFromFloats({4, 3, 5}, w);
  absl::StatusOr<Tensor> stored = Cast(source_["w"], DType::kF16);
  ASSERT_TRUE(stored.ok());
  const WeightDiagnosis d =
      Diagnose(*stored, {Permute({0, 2, 1}, {4, 3, 5}, {4, 5, 3}), CastTo(DType::kF16)},
               WeightLayout::kConv);
  EXPECT_EQ(d.mistake, WeightMistake::kPermuted);
  EXPECT_NE(d.text.find("a Conv1d weight stored in the source layout [O, I, K] (shape [4, 3, 5]) "
                        "where [O, K, I] (shape [4, 5, 3]) is expected: the transpose (0, 2, 1) "
                        "is missing"),
            std::string::npos)
      << d.text;
}

TEST_F(WeightDiagnosisTest, ScaledCopyInQ8_0) {
  const std::vector<float> w = Values(128);
  source_["w"] = TensorFromFloats({2, 64}, w);
  std::vector<float> half = w;
  for (float& x : half) x *= 0.5f;
  absl::StatusOr<Tensor> q = Cast(TensorFromFloats({2, 64}, half), DType::kQ8_0);
  ASSERT_TRUE(q.ok());
  WeightDiagnosis d = Diagnose(*q, {CastTo(DType::kQ8_0)});
  EXPECT_EQ(d.mistake, WeightMistake::kScaled);
  EXPECT_NE(d.text.find("converted = 0.5 x expected (a gain of -6.02 dB)"), std::string::npos)
      << d.text;
  absl::StatusOr<Tensor> clean = Cast(source_["w"], DType::kQ8_0);
  ASSERT_TRUE(clean.ok());
  EXPECT_EQ(Diagnose(*clean, {CastTo(DType::kQ8_0)}).mistake, WeightMistake::kNone);
}

TEST_F(WeightDiagnosisTest, TheLayerToleranceWidensTheBand) {
  const std::vector<float> w = Values(60);
  source_["w"] = TensorFromFloats({6, 10}, w);
  std::vector<float> doubled = w;
  for (size_t i = 0; i < doubled.size(); ++i) doubled[i] = 2 * w[i] * (1 + 1e-4 * std::cos(i));
  const Tensor c = TensorFromFloats({6, 10}, doubled);
  EXPECT_EQ(Diagnose(c, {}).mistake, WeightMistake::kNone);
  DiagnosisOptions loose;
  loose.rtol = 1e-3;
  const WeightDiagnosis d = Diagnose(c, {}, WeightLayout::kUnknown, loose);
  EXPECT_EQ(d.mistake, WeightMistake::kScaled) << d.text;
  EXPECT_NE(d.text.find("converted = 2 x expected"), std::string::npos) << d.text;
}

TEST_F(WeightDiagnosisTest, CapsAreSaidAndKeepItCheap) {
  const std::vector<float> w = Values(60);
  source_["w"] = TensorFromFloats({6, 10}, w);
  std::vector<float> t(60);
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 10; ++j) t[j * 6 + i] = w[i * 10 + j];
  const Tensor transposed = TensorFromFloats({10, 6}, t);
  EXPECT_EQ(Diagnose(transposed, {}).mistake, WeightMistake::kPermuted);
  DiagnosisOptions small;
  small.max_search_elements = 59;
  WeightDiagnosis d = Diagnose(transposed, {}, WeightLayout::kUnknown, small);
  EXPECT_EQ(d.mistake, WeightMistake::kNone);
  EXPECT_NE(d.note.find("not searched: axis permutations (60 elements, above the cap of 59)"),
            std::string::npos)
      << d.note;
  small.max_elements = 59;
  d = Diagnose(transposed, {}, WeightLayout::kUnknown, small);
  EXPECT_EQ(d.mistake, WeightMistake::kNone);
  EXPECT_NE(d.note.find("not diagnosed: 60 elements, above the cap of 59"), std::string::npos)
      << d.note;
}

TEST(DiagnoseAgainstTest, ComparesWithAParameterAsExported) {
  const std::vector<float> w = Values(60);
  const Tensor param = TensorFromFloats({4, 3, 5}, w);
  WeightDiagnosis d =
      DiagnoseAgainst(param, TensorFromFloats({4, 5, 3}, Swap12(w, 4, 3, 5)), WeightLayout::kConv);
  EXPECT_EQ(d.mistake, WeightMistake::kPermuted);
  EXPECT_NE(d.text.find("a Conv1d weight stored as [O, K, I] (shape [4, 5, 3])"), std::string::npos)
      << d.text;
  d = DiagnoseAgainst(param, TensorFromFloats({4, 5, 3}, w), WeightLayout::kConvTranspose);
  EXPECT_EQ(d.mistake, WeightMistake::kReinterpreted);
  EXPECT_NE(d.text.find("the bytes are those of the expected [I, O, K] (shape [4, 3, 5]) but the "
                        "shape says [I, K, O] (shape [4, 5, 3])"),
            std::string::npos)
      << d.text;
  EXPECT_EQ(
      DiagnoseAgainst(param, TensorFromFloats({4, 3, 5}, Values(60, 2.5)), WeightLayout::kConv)
          .mistake,
      WeightMistake::kScaled);
  EXPECT_EQ(
      DiagnoseAgainst(param, TensorFromFloats({60}, Values(60, -1)), WeightLayout::kConv).mistake,
      WeightMistake::kNone);
}

}  // namespace
}  // namespace verify
}  // namespace tp
