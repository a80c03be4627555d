// Internal: launchers of the convolution helper CUDA kernels (conv_impl.cu): im2col for Conv,
// col2im for ConvTranspose, per-channel bias. The products themselves run on cuBLAS (conv.cc).
// Device pointers; work is queued on the per-thread stream and the launch error (a cudaError_t
// value, 0 on success) returned.
//
// Example:
//   ConvGeometry g = ...;                 // 1 to 3 spatial dims
//   int e = LaunchIm2Col(x, col, channels, g);   // col [channels * K, out_spatial]
#ifndef TENSORPORT_RUNTIME_CUDA_NN_CONV_IMPL_H_
#define TENSORPORT_RUNTIME_CUDA_NN_CONV_IMPL_H_

#include <cstdint>

#include "runtime/cuda/impl_common.h"

namespace tp {
namespace rt {
namespace cuda {

inline constexpr int kMaxConvDims = 3;

// `in` is the spatial extent of the image side (Conv's input, ConvTranspose's input), `out` the
// other side; out position o and kernel tap k read input position o * stride - pad + k * dil.
struct ConvGeometry {
  int nd = 0;
  int64_t in[kMaxConvDims] = {}, out[kMaxConvDims] = {}, kernel[kMaxConvDims] = {};
  int64_t stride[kMaxConvDims] = {}, dilation[kMaxConvDims] = {}, pad[kMaxConvDims] = {};
};

// x [channels, in...] -> col [channels * K, prod(out)] (zero where the tap reads padding).
int LaunchIm2Col(const float* x, float* col, int64_t channels, const ConvGeometry& g);

// ConvTranspose: col [channels * K, prod(in)] -> y [channels, out...], y gathering every
// (tap, input) pair that lands on it; bias (nullable) added.
int LaunchCol2Im(const float* col, const float* bias, float* y, int64_t channels,
                 const ConvGeometry& g);

// y [n, channels, inner] += bias[c].
int LaunchAddChannelBias(float* y, const float* bias, int64_t n, int64_t channels,
                         int64_t inner);

}  // namespace cuda
}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_CUDA_NN_CONV_IMPL_H_
