// Internal: launcher of the reduction CUDA kernel (reduce_impl.cu). Device pointers; work is
// queued on the per-thread stream and the launch error (a cudaError_t value, 0 on success)
// returned.
//
// Example:
//   ReduceGeometry g;  // kept dims with their input strides, reduced dims with theirs
//   int e = LaunchReduce(ReduceKind::kMean, x, y, g);
#ifndef TENSORPORT_RUNTIME_CUDA_REDUCTION_REDUCE_IMPL_H_
#define TENSORPORT_RUNTIME_CUDA_REDUCTION_REDUCE_IMPL_H_

#include <cstdint>

#include "runtime/cuda/impl_common.h"

namespace tp {
namespace rt {
namespace cuda {

enum class ReduceKind : int {
  kSum, kMean, kMax, kMin, kProd, kL1, kL2, kSumSquare, kLogSum, kLogSumExp
};

// Output element i (row-major over kept dims) reduces x over the reduced dims; every dim is
// given with its input element stride. Requires at least one reduced element.
struct ReduceGeometry {
  int kept_rank = 0;
  int64_t kept_dims[kMaxRank] = {};
  int64_t kept_strides[kMaxRank] = {};
  int red_rank = 0;
  int64_t red_dims[kMaxRank] = {};
  int64_t red_strides[kMaxRank] = {};
};

int LaunchReduce(ReduceKind kind, const float* x, float* y, const ReduceGeometry& g);

}  // namespace cuda
}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_CUDA_REDUCTION_REDUCE_IMPL_H_
