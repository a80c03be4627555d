// im2col / col2im / bias CUDA kernels for the cuBLAS-based Conv and ConvTranspose.
#include "runtime/cuda/nn/conv_impl.h"

#include <cuda_runtime.h>

#include "runtime/cuda/launch.h"

namespace tp {
namespace rt {
namespace cuda {
namespace {

__global__ void Im2ColKernel(const float* x, float* col, ConvGeometry g, int64_t ksize,
                             int64_t osize, int64_t isize, int64_t total) {
  TP_GRID_LOOP(i, total) {
    const int64_t pos = i % osize;
    const int64_t row = i / osize;
    const int64_t c = row / ksize;
    int64_t kidx = row % ksize, orest = pos, src = 0, stride = 1;
    bool inside = true;
    for (int d = g.nd - 1; d >= 0; --d) {
      const int64_t k = kidx % g.kernel[d];
      kidx /= g.kernel[d];
      const int64_t o = orest % g.out[d];
      orest /= g.out[d];
      const int64_t at = o * g.stride[d] - g.pad[d] + k * g.dilation[d];
      if (at < 0 || at >= g.in[d]) inside = false;
      src += at * stride;
      stride *= g.in[d];
    }
    col[i] = inside ? x[c * isize + src] : 0.0f;
  }
}

__global__ void Col2ImKernel(const float* col, const float* bias, float* y, ConvGeometry g,
                             int64_t ksize, int64_t osize, int64_t isize, int64_t total) {
  TP_GRID_LOOP(i, total) {
    const int64_t c = i / osize;
    const int64_t pos = i % osize;
    int64_t o[kMaxConvDims];
    int64_t rest = pos;
    for (int d = g.nd - 1; d >= 0; --d) {
      o[d] = rest % g.out[d];
      rest /= g.out[d];
    }
    float acc = bias != nullptr ? bias[c] : 0.0f;
    for (int64_t kidx = 0; kidx < ksize; ++kidx) {
      int64_t krest = kidx, src = 0, stride = 1;
      bool hit = true;
      for (int d = g.nd - 1; d >= 0 && hit; --d) {
        const int64_t k = krest % g.kernel[d];
        krest /= g.kernel[d];
        const int64_t t = o[d] + g.pad[d] - k * g.dilation[d];
        if (t < 0 || t % g.stride[d] != 0) {
          hit = false;
          break;
        }
        const int64_t at = t / g.stride[d];
        if (at >= g.in[d]) {
          hit = false;
          break;
        }
        src += at * stride;
        stride *= g.in[d];
      }
      if (hit) acc += col[(c * ksize + kidx) * isize + src];
    }
    y[i] = acc;
  }
}

__global__ void BiasKernel(float* y, const float* bias, int64_t channels, int64_t inner,
                           int64_t total) {
  TP_GRID_LOOP(i, total) { y[i] += bias[(i / inner) % channels]; }
}

void Sizes(const ConvGeometry& g, int64_t* ksize, int64_t* osize, int64_t* isize) {
  *ksize = *osize = *isize = 1;
  for (int d = 0; d < g.nd; ++d) {
    *ksize *= g.kernel[d];
    *osize *= g.out[d];
    *isize *= g.in[d];
  }
}

}  // namespace

int LaunchIm2Col(const float* x, float* col, int64_t channels, const ConvGeometry& g) {
  int64_t ksize, osize, isize;
  Sizes(g, &ksize, &osize, &isize);
  const int64_t total = channels * ksize * osize;
  if (total == 0) return 0;
  Im2ColKernel<<<Blocks(total), kThreads, 0, cudaStreamPerThread>>>(x, col, g, ksize, osize,
                                                                   isize, total);
  return static_cast<int>(cudaGetLastError());
}

int LaunchCol2Im(const float* col, const float* bias, float* y, int64_t channels,
                 const ConvGeometry& g) {
  int64_t ksize, osize, isize;
  Sizes(g, &ksize, &osize, &isize);
  const int64_t total = channels * osize;
  if (total == 0) return 0;
  Col2ImKernel<<<Blocks(total), kThreads, 0, cudaStreamPerThread>>>(col, bias, y, g, ksize,
                                                                   osize, isize, total);
  return static_cast<int>(cudaGetLastError());
}

int LaunchAddChannelBias(float* y, const float* bias, int64_t n, int64_t channels,
                         int64_t inner) {
  const int64_t total = n * channels * inner;
  if (total == 0) return 0;
  BiasKernel<<<Blocks(total), kThreads, 0, cudaStreamPerThread>>>(y, bias, channels, inner, total);
  return static_cast<int>(cudaGetLastError());
}

}  // namespace cuda
}  // namespace rt
}  // namespace tp
