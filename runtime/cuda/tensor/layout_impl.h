// Internal: launchers of the data-movement CUDA kernels (layout_impl.cu): strided copies (which
// express Transpose, Expand, Slice, Concat and broadcasts), Gather and Pad. Any element size in
// {1, 2, 4, 8} bytes. Device pointers; work is queued on the per-thread stream and the launch
// error (a cudaError_t value, 0 on success) returned.
//
// Example:
//   // Transpose a [2, 3] matrix: read x at strides {1, 3}, write y packed.
//   StridedShape s;  s.rank = 2; s.dims = {3, 2}; s.strides[0] = {1, 3}; s.strides[1] = {2, 1};
//   int e = LaunchStridedCopy(x, 0, y, 0, 4, s);
#ifndef TENSORPORT_RUNTIME_CUDA_TENSOR_LAYOUT_IMPL_H_
#define TENSORPORT_RUNTIME_CUDA_TENSOR_LAYOUT_IMPL_H_

#include <cstdint>

#include "runtime/cuda/impl_common.h"

namespace tp {
namespace rt {
namespace cuda {

// For every index i of shape.dims: y[y_base + offset_1(i)] = x[x_base + offset_0(i)], offsets
// from shape.strides[0] (source) and shape.strides[1] (destination), in elements.
int LaunchStridedCopy(const void* x, int64_t x_base, void* y, int64_t y_base, int elem_size,
                      const StridedShape& shape);

// y[o, j, i] = x[o, indices[j], i] with x [outer, axis, inner], y [outer, count, inner];
// indices already normalized to [0, axis).
int LaunchGather(const void* x, const int64_t* indices, void* y, int elem_size, int64_t outer,
                 int64_t axis, int64_t count, int64_t inner);

enum class PadMode : int { kConstant, kReflect, kEdge };

// Pad geometry: output dims, input dims and begin pads per axis (negative pads crop).
struct PadGeometry {
  int rank = 0;
  int64_t out_dims[kMaxRank] = {};
  int64_t in_dims[kMaxRank] = {};
  int64_t pads_begin[kMaxRank] = {};
};
// `value_bits` holds the constant's bytes (low elem_size bytes used).
int LaunchPad(const void* x, void* y, int elem_size, const PadGeometry& g, PadMode mode,
              uint64_t value_bits);

}  // namespace cuda
}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_CUDA_TENSOR_LAYOUT_IMPL_H_
