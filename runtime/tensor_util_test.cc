#include "runtime/tensor_util.h"

#include <onnx/onnx_pb.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tp {
namespace rt {
namespace {

using ::testing::ElementsAre;

// Expected broadcasts follow NumPy's documented rules (np.broadcast_shapes).
TEST(TensorUtilTest, BroadcastShapes) {
  EXPECT_THAT(*BroadcastShapes({{2, 1, 4}, {3, 1}}), ElementsAre(2, 3, 4));
  EXPECT_THAT(*BroadcastShapes({{}, {5}}), ElementsAre(5));
  EXPECT_THAT(*BroadcastShapes({{0, 3}, {1, 3}}), ElementsAre(0, 3));
  auto bad = BroadcastShapes({{2, 3}, {4, 3}});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(TensorUtilTest, BroadcastIndex) {
  // [2,1] into [2,3]: rows repeat.
  EXPECT_THAT(BroadcastIndex({2, 1}, {2, 3}), ElementsAre(0, 0, 0, 1, 1, 1));
  // [3] into [2,3]: columns repeat.
  EXPECT_THAT(BroadcastIndex({3}, {2, 3}), ElementsAre(0, 1, 2, 0, 1, 2));
  EXPECT_TRUE(BroadcastIndex({3}, {0, 3}).empty());
}

TEST(TensorUtilTest, NormalizeAxis) {
  EXPECT_EQ(*NormalizeAxis(-1, 3), 2);
  EXPECT_EQ(NormalizeAxis(3, 3).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(TensorUtilTest, IntRoundTripIsExact) {
  const int64_t big = (int64_t{1} << 60) + 3;
  auto t = *WriteAs<int64_t>(DType::kI64, {2}, {big, -7});
  EXPECT_THAT(*ReadAs<int64_t>(t), ElementsAre(big, -7));
}

// ONNX's unsigned types: u16 and u32 widen exactly, u64 keeps its bits (2^64 - 1 reads as -1 and
// writes back unchanged); doubles narrow with saturation, like NumPy's clip-then-cast.
TEST(TensorUtilTest, UnsignedTypes) {
  EXPECT_EQ(*DTypeFromOnnx(onnx::TensorProto::UINT32), DType::kU32);
  EXPECT_EQ(OnnxFromDType(DType::kU64), onnx::TensorProto::UINT64);
  auto u16 = *WriteAs<int64_t>(DType::kU16, {2}, {65535, 7});
  EXPECT_EQ(u16.data_as<uint16_t>()[0], 65535);
  EXPECT_THAT(*ReadAs<int64_t>(u16), ElementsAre(65535, 7));
  auto u64 = *WriteAs<int64_t>(DType::kU64, {1}, {-1});
  EXPECT_EQ(u64.data_as<uint64_t>()[0], ~uint64_t{0});
  EXPECT_THAT(*ReadAs<int64_t>(u64), ElementsAre(-1));
  auto u32 = *WriteAs<double>(DType::kU32, {3}, {-5.0, 4294967296.0, 12.7});
  EXPECT_THAT(std::vector<uint32_t>(u32.data_as<uint32_t>(), u32.data_as<uint32_t>() + 3),
              ElementsAre(0u, 4294967295u, 12u));
}

}  // namespace
}  // namespace rt
}  // namespace tp
