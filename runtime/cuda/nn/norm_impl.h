// Internal: launchers of the normalization and Softmax CUDA kernels (norm_impl.cu). Device
// pointers; work is queued on the per-thread stream and the launch error (a cudaError_t value,
// 0 on success) returned. Row statistics are accumulated in double.
//
// Example:
//   // LayerNormalization over the last 256 values of each of 100 rows:
//   int e = LaunchRowNorm(x, scale, bias, y, 100, 256, RowNormAffine::kPerColumn, 1, 1e-5f);
#ifndef TENSORPORT_RUNTIME_CUDA_NN_NORM_IMPL_H_
#define TENSORPORT_RUNTIME_CUDA_NN_NORM_IMPL_H_

#include <cstdint>

#include "runtime/cuda/impl_common.h"

namespace tp {
namespace rt {
namespace cuda {

// Where a row's scale/bias come from: per element of the row (LayerNormalization) or one per
// row, index (row % channels) (InstanceNormalization).
enum class RowNormAffine : int { kPerColumn, kPerRowChannel };

// y = (x - mean(row)) / sqrt(var(row) + eps) * scale + bias over `rows` rows of `cols` values.
// bias may be null (0).
int LaunchRowNorm(const float* x, const float* scale, const float* bias, float* y, int64_t rows,
                  int64_t cols, RowNormAffine affine, int64_t channels, float epsilon);

// BatchNormalization (inference): x [n, channels, inner]; y = (x - mean[c]) /
// sqrt(var[c] + eps) * scale[c] + bias[c].
int LaunchBatchNorm(const float* x, const float* scale, const float* bias, const float* mean,
                    const float* var, float* y, int64_t n, int64_t channels, int64_t inner,
                    float epsilon);

// Softmax / LogSoftmax over the middle axis of [outer, axis, inner].
int LaunchSoftmax(const float* x, float* y, int64_t outer, int64_t axis, int64_t inner, bool log);

}  // namespace cuda
}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_CUDA_NN_NORM_IMPL_H_
