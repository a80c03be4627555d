#include "runtime/cpu/thread_pool.h"

#include <atomic>
#include <vector>

#include "gtest/gtest.h"

namespace tp {
namespace rt {
namespace cpu {
namespace {

TEST(ThreadPoolTest, CoversEveryIndexOnce) {
  for (int threads : {1, 2, 3, 8}) {
    for (int64_t n : {0, 1, 2, 5, 1000}) {
      std::vector<std::atomic<int>> hits(n);
      ParallelFor(threads, n, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) ++hits[i];
      });
      for (int64_t i = 0; i < n; ++i) EXPECT_EQ(hits[i], 1) << threads << " " << n << " " << i;
    }
  }
}

TEST(ThreadPoolTest, NestedCallsRunInline) {
  std::atomic<int64_t> total{0};
  ParallelFor(2, 4, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      ParallelFor(2, 10, [&](int64_t b2, int64_t e2) { total += e2 - b2; });
    }
  });
  EXPECT_EQ(total, 40);
}

}  // namespace
}  // namespace cpu
}  // namespace rt
}  // namespace tp
