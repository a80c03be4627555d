// Internal, device side only (nvcc): the launch geometry every cuda kernel file uses. Kernels
// run a grid-stride loop over their elements with kThreads threads a block and at most
// Blocks(n) blocks.
//
// Example:
//   __global__ void Scale(float* x, int64_t n, float k) {
//     TP_GRID_LOOP(i, n) x[i] *= k;
//   }
//   Scale<<<Blocks(n), kThreads, 0, stream>>>(x, n, k);
#ifndef TENSORPORT_RUNTIME_CUDA_LAUNCH_H_
#define TENSORPORT_RUNTIME_CUDA_LAUNCH_H_

#include <cstdint>

namespace tp {
namespace rt {
namespace cuda {

inline constexpr int kThreads = 256;

// Blocks for n elements, capped (the grid-stride loop covers the rest).
inline int Blocks(int64_t n) {
  int64_t b = (n + kThreads - 1) / kThreads;
  if (b > 65535 * 8) b = 65535 * 8;
  return b < 1 ? 1 : static_cast<int>(b);
}

}  // namespace cuda
}  // namespace rt
}  // namespace tp

#define TP_GRID_LOOP(i, n)                                                  \
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < (n); \
       i += int64_t{blockDim.x} * gridDim.x)

#endif  // TENSORPORT_RUNTIME_CUDA_LAUNCH_H_
