#include "runtime/tensor_util.h"

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

}  // namespace
}  // namespace rt
}  // namespace tp
