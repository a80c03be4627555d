// The blocked activation layout of the cpu backend: a logical [N, C, spatial...] float tensor
// with C a multiple of 8 stored as [N, C/8, spatial..., 8], eight channels of one position next to
// each other (oneDNN's nChw8c / nCw8c). One AVX2 register holds one position's channel block, so
// per-channel work (bias, scale, pooling, resize) is a vector operation, and consecutive
// convolutions pass tensors along without re-laying them out. The session's layout rewrite
// (runtime/rewrite/blocked_layout.h) decides which values live in this layout; inside the cpu
// backend such a tensor is an ordinary Tensor of the physical shape.
//
// Example:
//   Shape b = BlockedShape({1, 64, 56, 56});  // [1, 8, 56, 56, 8]
//   ToBlocked(x, /*n=*/1, /*c=*/64, /*spatial=*/56 * 56, y, threads);
#ifndef TENSORPORT_RUNTIME_CPU_BLOCKED_H_
#define TENSORPORT_RUNTIME_CPU_BLOCKED_H_

#include <cstdint>

#include "core/tensor.h"

namespace tp {
namespace rt {
namespace cpu {

enum class Layout { kPlain, kBlocked8 };
inline constexpr int64_t kBlock = 8;

// [N, C, s...] -> [N, C/8, s..., 8]; logical rank >= 2 and C % 8 == 0 (the caller checks).
inline Shape BlockedShape(const Shape& logical) {
  Shape b = {logical[0], logical[1] / kBlock};
  b.insert(b.end(), logical.begin() + 2, logical.end());
  b.push_back(kBlock);
  return b;
}
// [N, C/8, s..., 8] -> [N, C, s...].
inline Shape LogicalShape(const Shape& blocked) {
  Shape l = {blocked[0], blocked[1] * kBlock};
  l.insert(l.end(), blocked.begin() + 2, blocked.end() - 1);
  return l;
}

// Plain [n, c, spatial] -> blocked [n, c/8, spatial, 8] and back.
void ToBlocked(const float* x, int64_t n, int64_t c, int64_t spatial, float* y, int threads);
void ToPlain(const float* x, int64_t n, int64_t c, int64_t spatial, float* y, int threads);

}  // namespace cpu
}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_CPU_BLOCKED_H_
