// The vectorized q8_0 quantizer against the scalar one (which follows ggml's
// quantize_row_q8_0_ref: scale amax / 127, round half away from zero), on random blocks, blocks
// holding exact .5 ties after scaling, zeros, subnormals, NaN and Inf. The f16/bf16 block casts
// are checked against NumPy and PyTorch tables in half_test.
#include "core/cast_kernels.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace tp {
namespace {

std::vector<uint8_t> Quantize(const std::vector<float>& x, bool vector) {
  std::vector<uint8_t> out(x.size() / kQ8_0BlockSize * kQ8_0BlockBytes);
  if (vector) {
    CastBlock(DType::kF32, reinterpret_cast<const uint8_t*>(x.data()),
              static_cast<int64_t>(x.size()), DType::kQ8_0, out.data());
  } else {
    CastBlockScalar(DType::kF32, reinterpret_cast<const uint8_t*>(x.data()),
                    static_cast<int64_t>(x.size()), DType::kQ8_0, out.data());
  }
  return out;
}

TEST(CastKernelsTest, Q8_0VectorMatchesScalarBitForBit) {
  std::mt19937 gen(7);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  std::vector<float> x;
  for (int b = 0; b < 4096; ++b) {
    for (int i = 0; i < 32; ++i) x.push_back(normal(gen) * std::ldexp(1.0f, b % 40 - 20));
  }
  // Ties: amax 127 makes the scale exactly 1, so k + 0.5 lands on a tie in both signs.
  for (int b = 0; b < 8; ++b) {
    x.push_back(127.0f);
    for (int i = 1; i < 32; ++i) x.push_back((i % 2 ? 1.0f : -1.0f) * (i + 0.5f + b));
  }
  for (int i = 0; i < 32; ++i) x.push_back(0.0f);                         // all zero
  for (int i = 0; i < 32; ++i) x.push_back(1e-40f * (i - 16));            // subnormal
  std::vector<float> special(32, 1.0f);
  special[3] = std::numeric_limits<float>::quiet_NaN();
  x.insert(x.end(), special.begin(), special.end());
  special[3] = std::numeric_limits<float>::infinity();
  x.insert(x.end(), special.begin(), special.end());
  const std::vector<uint8_t> fast = Quantize(x, true);
  const std::vector<uint8_t> slow = Quantize(x, false);
  ASSERT_EQ(fast.size(), slow.size());
  int mismatched_blocks = 0;
  for (size_t b = 0; b < fast.size() / kQ8_0BlockBytes; ++b) {
    if (std::memcmp(&fast[b * kQ8_0BlockBytes], &slow[b * kQ8_0BlockBytes], kQ8_0BlockBytes)) {
      if (++mismatched_blocks <= 5) ADD_FAILURE() << "block " << b << " differs";
    }
  }
  EXPECT_EQ(mismatched_blocks, 0);
  // The tie blocks: scale 1 (f16 0x3c00), values rounded away from zero.
  const size_t tie = 4096 * kQ8_0BlockBytes;
  EXPECT_EQ(fast[tie], 0x00);
  EXPECT_EQ(fast[tie + 1], 0x3c);
  EXPECT_EQ(static_cast<int8_t>(fast[tie + 2]), 127);
  EXPECT_EQ(static_cast<int8_t>(fast[tie + 3]), 2);    // 1.5 -> 2
  EXPECT_EQ(static_cast<int8_t>(fast[tie + 4]), -3);   // -2.5 -> -3
}

}  // namespace
}  // namespace tp
