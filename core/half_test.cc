// Checks f16/bf16 conversions bit for bit against tables NumPy (f16) and PyTorch (bf16) produced
// (core/make_half_tables.py, run at build time).
#include "core/half.h"

#include <cstdio>
#include <vector>

#include "core/cast_kernels.h"
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

// The vectorized block conversions (F16C / AVX2 where the CPU has them) against the same tables.
TEST(HalfTest, CastBlockMatchesNumpyAndTorchTables) {
  std::vector<uint32_t> f16_widened = LoadTable<uint32_t>("f16_to_f32.npy", DType::kI32);
  std::vector<uint16_t> all_f16(65536);
  for (uint32_t h = 0; h < 65536; ++h) all_f16[h] = static_cast<uint16_t>(h);
  std::vector<uint32_t> widened(65536);
  CastBlock(DType::kF16, reinterpret_cast<const uint8_t*>(all_f16.data()), 65536, DType::kF32,
            reinterpret_cast<uint8_t*>(widened.data()));
  EXPECT_EQ(widened, f16_widened);

  std::vector<uint32_t> inputs = LoadTable<uint32_t>("f32_for_f16.npy", DType::kI32);
  std::vector<uint16_t> expected = LoadTable<uint16_t>("f32_to_f16.npy", DType::kI16);
  std::vector<uint16_t> narrowed(inputs.size());
  CastBlock(DType::kF32, reinterpret_cast<const uint8_t*>(inputs.data()),
            static_cast<int64_t>(inputs.size()), DType::kF16,
            reinterpret_cast<uint8_t*>(narrowed.data()));
  int mismatches = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (narrowed[i] != expected[i] && ++mismatches <= 10) {
      ADD_FAILURE() << "f32 0x" << std::hex << inputs[i] << " -> f16 0x" << narrowed[i]
                    << ", NumPy 0x" << expected[i];
    }
  }
  EXPECT_EQ(mismatches, 0);

  std::vector<uint32_t> bf_inputs = LoadTable<uint32_t>("f32_for_bf16.npy", DType::kI32);
  std::vector<uint16_t> bf_expected = LoadTable<uint16_t>("f32_to_bf16.npy", DType::kI16);
  std::vector<uint16_t> bf(bf_inputs.size());
  CastBlock(DType::kF32, reinterpret_cast<const uint8_t*>(bf_inputs.data()),
            static_cast<int64_t>(bf_inputs.size()), DType::kBF16,
            reinterpret_cast<uint8_t*>(bf.data()));
  mismatches = 0;
  for (size_t i = 0; i < bf_inputs.size(); ++i) {
    // NaN: the scalar conversion is the reference (PyTorch canonicalizes NaN payloads).
    const uint16_t want =
        IsNanBits32(bf_inputs[i]) ? F32ToBF16Bits(F32FromBits(bf_inputs[i])) : bf_expected[i];
    if (bf[i] != want && ++mismatches <= 10) {
      ADD_FAILURE() << "f32 0x" << std::hex << bf_inputs[i] << " -> bf16 0x" << bf[i]
                    << ", expected 0x" << want;
    }
  }
  EXPECT_EQ(mismatches, 0);
  std::printf("block casts vectorized on this CPU: %s\n", CastKernelsVectorized() ? "yes" : "no");
}

TEST(HalfTest, CastKeepsNanSignAndPayloadTopBits) {
  EXPECT_EQ(F32ToF16Bits(F32FromBits(0xffc00000u)), 0xfe00u);
  EXPECT_EQ(F32ToBF16Bits(F32FromBits(0xff812345u)) & 0xff80u, 0xff80u);
  EXPECT_TRUE(std::isnan(BF16BitsToF32(F32ToBF16Bits(F32FromBits(0x7f800001u)))));
}

}  // namespace
}  // namespace tp
