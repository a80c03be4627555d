// Internal: plain structs shared by the host side (g++) and the device side (nvcc) of the cuda
// backend. Shapes travel to kernels by value in fixed-size arrays, so no per-launch metadata
// allocation is needed; ranks above kMaxRank run on the reference fallback.
//
// Example:
//   StridedShape s;
//   s.rank = 2; s.dims[0] = 3; s.dims[1] = 4;
//   s.strides[0][0] = 4; s.strides[0][1] = 1;   // operand 0 row-major
//   s.strides[1][0] = 0; s.strides[1][1] = 1;   // operand 1 broadcast over rows
#ifndef TENSORPORT_RUNTIME_CUDA_IMPL_COMMON_H_
#define TENSORPORT_RUNTIME_CUDA_IMPL_COMMON_H_

#include <cstdint>

namespace tp {
namespace rt {
namespace cuda {

inline constexpr int kMaxRank = 8;
inline constexpr int kMaxOperands = 3;

// An output shape with per-operand element strides (0 along broadcast dims).
struct StridedShape {
  int rank = 0;
  int64_t dims[kMaxRank] = {};
  int64_t strides[kMaxOperands][kMaxRank] = {};
};

}  // namespace cuda
}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_CUDA_IMPL_COMMON_H_
