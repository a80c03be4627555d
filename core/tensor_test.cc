#include "core/tensor.h"

#include <cmath>
#include <cstring>
#include <memory>
#include <numeric>

#include "core/half.h"
#include "gtest/gtest.h"

namespace tp {
namespace {

TEST(TensorTest, StridedViewMaterializesTransposeRowMajor) {
  // A 2x3 row-major buffer viewed as its 3x2 transpose (strides 1, 3), as PyTorch's .t() does.
  auto storage = std::make_shared<std::vector<float>>(std::vector<float>{0, 1, 2, 3, 4, 5});
  Tensor t = Tensor::View(DType::kF32, {3, 2}, storage,
                          reinterpret_cast<const uint8_t*>(storage->data()), {1, 3});
  EXPECT_FALSE(t.is_packed());
  absl::StatusOr<Tensor> c = t.Contiguous();
  ASSERT_TRUE(c.ok()) << c.status();
  const float* p = c->data_as<float>();
  EXPECT_EQ(std::vector<float>(p, p + 6), (std::vector<float>{0, 3, 1, 4, 2, 5}));
}

TEST(TensorTest, BigEndianViewIsSwappedOnMaterialize) {
  auto bytes = std::make_shared<std::vector<uint8_t>>(
      std::vector<uint8_t>{0x3f, 0x80, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00});  // 1.0f, -2.0f
  Tensor t = Tensor::View(DType::kF32, {2}, bytes, bytes->data(), {}, ByteOrder::kBig);
  absl::StatusOr<std::vector<double>> v = ToDoubleVector(t);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, (std::vector<double>{1.0, -2.0}));
}

TEST(TensorTest, CastF32ToF16AndBackRoundsToNearestEven) {
  // 1 + 2^-11 is exactly halfway between 1 and the next f16 (1 + 2^-10): ties to even gives 1.
  Tensor t = TensorFromFloats({3}, {1.0f + 0.00048828125f, 65520.0f, -0.0f});
  absl::StatusOr<Tensor> h = Cast(t, DType::kF16);
  ASSERT_TRUE(h.ok());
  const uint16_t* bits = h->data_as<uint16_t>();
  EXPECT_EQ(bits[0], 0x3c00);
  EXPECT_EQ(bits[1], 0x7c00);  // 65520 rounds up to Inf in f16
  EXPECT_EQ(bits[2], 0x8000);
}

TEST(TensorTest, Q8_0RoundTripStaysWithinHalfAStep) {
  std::vector<float> values(64);
  for (int i = 0; i < 64; ++i) values[i] = std::sin(0.37f * i) * (i < 32 ? 1.0f : 100.0f);
  Tensor t = TensorFromFloats({2, 32}, values);
  absl::StatusOr<Tensor> q = Cast(t, DType::kQ8_0);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->nbytes(), 2 * kQ8_0BlockBytes);
  absl::StatusOr<std::vector<double>> back = ToDoubleVector(*q);
  ASSERT_TRUE(back.ok());
  for (int b = 0; b < 2; ++b) {
    float amax = 0;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(values[b * 32 + i]));
    const double step = amax / 127.0;
    for (int i = 0; i < 32; ++i) {
      EXPECT_NEAR((*back)[b * 32 + i], values[b * 32 + i], step * 0.5 + amax * 1e-3);
    }
  }
}

TEST(TensorTest, Q8_0RejectsLengthNotMultipleOf32) {
  Tensor t = TensorFromFloats({33}, std::vector<float>(33, 1.0f));
  EXPECT_EQ(Cast(t, DType::kQ8_0).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(TensorTest, StatsCountNanAndInfSeparately) {
  Tensor t = TensorFromFloats({5}, {1.0f, 3.0f, NAN, INFINITY, -INFINITY});
  absl::StatusOr<TensorStats> s = ComputeStats(t);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->nan_count, 1);
  EXPECT_EQ(s->inf_count, 2);
  EXPECT_EQ(s->count, 2);
  EXPECT_DOUBLE_EQ(s->mean, 2.0);
  EXPECT_DOUBLE_EQ(s->std, 1.0);
  EXPECT_DOUBLE_EQ(s->min, 1.0);
  EXPECT_DOUBLE_EQ(s->max, 3.0);
}

TEST(TensorTest, NumElementsRejectsOverflowAndNegativeDims) {
  EXPECT_EQ(NumElements({1LL << 40, 1LL << 40}).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(NumElements({2, -1}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*NumElements({}), 1);
  EXPECT_EQ(*NumElements({3, 0, 5}), 0);
}

TEST(TensorTest, FromBytesChecksSize) {
  EXPECT_FALSE(Tensor::FromBytes(DType::kF32, {2}, std::string(7, '\0')).ok());
  EXPECT_TRUE(Tensor::FromBytes(DType::kF32, {2}, std::string(8, '\0')).ok());
}

}  // namespace
}  // namespace tp
