// Checks f16/bf16 conversions bit for bit against tables NumPy (f16) and PyTorch (bf16) produced
// (core/make_half_tables.py, run at build time).
#include "core/half.h"

#include <cmath>
#include <cstdlib>
#include <string>

#include "formats/npy/npy.h"
#include "gtest/gtest.h"

namespace tp {
namespace {

std::string TablePath(const std::string& name) {
  return std::string(std::getenv("TEST_SRCDIR")) + "/tensorport/core/" + name;
}

template <typename T>
std::vector<T> LoadTable(const std::string& name, DType expected) {
  absl::StatusOr<Tensor> t = ReadNpyFile(TablePath(name));
  EXPECT_TRUE(t.ok()) << t.status();
  if (!t.ok()) return {};
  EXPECT_EQ(t->dtype(), expected) << name;
  absl::StatusOr<Tensor> packed = t->Contiguous();
  EXPECT_TRUE(packed.ok());
  const T* p = packed->data_as<T>();
  return std::vector<T>(p, p + packed->num_elements());
}

bool IsNanBits32(uint32_t b) { return (b & 0x7fffffffu) > 0x7f800000u; }

TEST(HalfTest, F16ToF32AllBitPatternsMatchNumpy) {
  std::vector<uint32_t> expected = LoadTable<uint32_t>("f16_to_f32.npy", DType::kI32);
  ASSERT_EQ(expected.size(), 65536u);
  int mismatches = 0;
  for (uint32_t h = 0; h < 65536; ++h) {
    const uint32_t got = F32Bits(F16BitsToF32(static_cast<uint16_t>(h)));
    if (got != expected[h] && ++mismatches <= 10) {
      ADD_FAILURE() << "f16 0x" << std::hex << h << " -> 0x" << got << ", NumPy 0x"
                    << expected[h];
    }
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(HalfTest, F32ToF16MatchesNumpyIncludingTiesSubnormalsInfNan) {
  std::vector<uint32_t> inputs = LoadTable<uint32_t>("f32_for_f16.npy", DType::kI32);
  std::vector<uint16_t> expected = LoadTable<uint16_t>("f32_to_f16.npy", DType::kI16);
  ASSERT_EQ(inputs.size(), expected.size());
  ASSERT_GT(inputs.size(), 65536u * 3);  // every value, every tie and its neighbours
  int mismatches = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const uint16_t got = F32ToF16Bits(F32FromBits(inputs[i]));
    if (got != expected[i] && ++mismatches <= 10) {
      ADD_FAILURE() << "f32 0x" << std::hex << inputs[i] << " -> f16 0x" << got
                    << ", NumPy 0x" << expected[i];
    }
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(HalfTest, BF16ToF32AllBitPatternsMatchTorch) {
  std::vector<uint32_t> expected = LoadTable<uint32_t>("bf16_to_f32.npy", DType::kI32);
  ASSERT_EQ(expected.size(), 65536u);
  int mismatches = 0;
  for (uint32_t b = 0; b < 65536; ++b) {
    const uint32_t got = F32Bits(BF16BitsToF32(static_cast<uint16_t>(b)));
    if (got != expected[b] && ++mismatches <= 10) {
      ADD_FAILURE() << "bf16 0x" << std::hex << b << " -> 0x" << got << ", torch 0x"
                    << expected[b];
    }
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(HalfTest, F32ToBF16MatchesTorch) {
  std::vector<uint32_t> inputs = LoadTable<uint32_t>("f32_for_bf16.npy", DType::kI32);
  std::vector<uint16_t> expected = LoadTable<uint16_t>("f32_to_bf16.npy", DType::kI16);
  ASSERT_EQ(inputs.size(), expected.size());
  ASSERT_GT(inputs.size(), 65536u * 3);
  int mismatches = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const uint16_t got = F32ToBF16Bits(F32FromBits(inputs[i]));
    bool ok = got == expected[i];
    if (IsNanBits32(inputs[i])) {
      // PyTorch canonicalizes every NaN to 0x7fc0; this project keeps sign and payload.
      // Either way the result must be a NaN.
      ok = (got & 0x7fffu) > 0x7f80u && (expected[i] & 0x7fffu) > 0x7f80u;
    }
    if (!ok && ++mismatches <= 10) {
      ADD_FAILURE() << "f32 0x" << std::hex << inputs[i] << " -> bf16 0x" << got
                    << ", torch 0x" << expected[i];
    }
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(HalfTest, CastKeepsNanSignAndPayloadTopBits) {
  EXPECT_EQ(F32ToF16Bits(F32FromBits(0xffc00000u)), 0xfe00u);
  EXPECT_EQ(F32ToBF16Bits(F32FromBits(0xff812345u)) & 0xff80u, 0xff80u);
  EXPECT_TRUE(std::isnan(BF16BitsToF32(F32ToBF16Bits(F32FromBits(0x7f800001u)))));
}

}  // namespace
}  // namespace tp
