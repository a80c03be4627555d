#include "runtime/cpu/blocked.h"

#include "runtime/cpu/thread_pool.h"

namespace tp {
namespace rt {
namespace cpu {

namespace {

// One (image, channel block) pair per work item; a tile of 8 positions x 8 channels at a time is
// an 8x8 transpose the compiler turns into shuffles.
template <bool kToBlocked>
void Reorder(const float* x, int64_t n, int64_t c, int64_t spatial, float* y, int threads) {
  const int64_t blocks = c / kBlock;
  const int64_t work = n * blocks;
  const int t = work * spatial * kBlock >= (int64_t{1} << 16) ? threads : 1;
  ParallelFor(t, work, [=](int64_t w0, int64_t w1) {
    for (int64_t w = w0; w < w1; ++w) {
      const float* plain_in = x + w * kBlock * spatial;  // [8][spatial]
      const float* blocked_in = x + w * spatial * kBlock;  // [spatial][8]
      float* plain_out = y + w * kBlock * spatial;
      float* blocked_out = y + w * spatial * kBlock;
      int64_t s = 0;
      for (; s + kBlock <= spatial; s += kBlock) {
        float tile[kBlock][kBlock];
        if constexpr (kToBlocked) {
          for (int k = 0; k < kBlock; ++k) {
            for (int j = 0; j < kBlock; ++j) tile[j][k] = plain_in[k * spatial + s + j];
          }
          for (int j = 0; j < kBlock; ++j) {
            for (int k = 0; k < kBlock; ++k) blocked_out[(s + j) * kBlock + k] = tile[j][k];
          }
        } else {
          for (int j = 0; j < kBlock; ++j) {
            for (int k = 0; k < kBlock; ++k) tile[k][j] = blocked_in[(s + j) * kBlock + k];
          }
          for (int k = 0; k < kBlock; ++k) {
            for (int j = 0; j < kBlock; ++j) plain_out[k * spatial + s + j] = tile[k][j];
          }
        }
      }
      for (; s < spatial; ++s) {
        for (int k = 0; k < kBlock; ++k) {
          if constexpr (kToBlocked) {
            blocked_out[s * kBlock + k] = plain_in[k * spatial + s];
          } else {
            plain_out[k * spatial + s] = blocked_in[s * kBlock + k];
          }
        }
      }
    }
  });
}

}  // namespace

void ToBlocked(const float* x, int64_t n, int64_t c, int64_t spatial, float* y, int threads) {
  Reorder<true>(x, n, c, spatial, y, threads);
}

void ToPlain(const float* x, int64_t n, int64_t c, int64_t spatial, float* y, int threads) {
  Reorder<false>(x, n, c, spatial, y, threads);
}

}  // namespace cpu
}  // namespace rt
}  // namespace tp
