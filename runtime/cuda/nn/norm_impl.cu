// Normalization and Softmax CUDA kernels. Row kernels use one block per row and a shared-memory
// tree reduction; statistics are accumulated in double for agreement with the reference.
#include "runtime/cuda/nn/norm_impl.h"

#include <math.h>

#include <cuda_runtime.h>

#include "runtime/cuda/launch.h"

namespace tp {
namespace rt {
namespace cuda {
namespace {

// Sum of v over the block (every thread gets the result).
__device__ double BlockSum(double v, double* shared) {
  shared[threadIdx.x] = v;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) shared[threadIdx.x] += shared[threadIdx.x + s];
    __syncthreads();
  }
  const double r = shared[0];
  __syncthreads();
  return r;
}

__device__ double BlockMax(double v, double* shared) {
  shared[threadIdx.x] = v;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) shared[threadIdx.x] = fmax(shared[threadIdx.x], shared[threadIdx.x + s]);
    __syncthreads();
  }
  const double r = shared[0];
  __syncthreads();
  return r;
}

__global__ void RowNormKernel(const float* x, const float* scale, const float* bias, float* y,
                              int64_t rows, int64_t cols, RowNormAffine affine,
                              int64_t channels, float epsilon) {
  __shared__ double shared[kThreads];
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const float* xr = x + row * cols;
    float* yr = y + row * cols;
    double s = 0;
    for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) s += xr[j];
    const double mean = BlockSum(s, shared) / cols;
    double q = 0;
    for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
      const double d = xr[j] - mean;
      q += d * d;
    }
    const double var = BlockSum(q, shared) / cols;
    const double inv = 1.0 / sqrt(var + static_cast<double>(epsilon));
    const int64_t c = row % channels;
    for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
      const int64_t k = affine == RowNormAffine::kPerColumn ? j : c;
      const double b = bias != nullptr ? bias[k] : 0.0;
      yr[j] = static_cast<float>((xr[j] - mean) * inv * scale[k] + b);
    }
  }
}

__global__ void BatchNormKernel(const float* x, const float* scale, const float* bias,
                                const float* mean, const float* var, float* y, int64_t total,
                                int64_t channels, int64_t inner, float epsilon) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < total;
       i += int64_t{blockDim.x} * gridDim.x) {
    const int64_t c = (i / inner) % channels;
    const double inv = 1.0 / sqrt(static_cast<double>(var[c]) + epsilon);
    y[i] = static_cast<float>((x[i] - static_cast<double>(mean[c])) * inv * scale[c] + bias[c]);
  }
}

// One block per (outer, inner) line of `axis` values.
__global__ void SoftmaxKernel(const float* x, float* y, int64_t outer, int64_t axis,
                              int64_t inner, bool log) {
  __shared__ double shared[kThreads];
  const int64_t lines = outer * inner;
  for (int64_t line = blockIdx.x; line < lines; line += gridDim.x) {
    const int64_t o = line / inner, in = line % inner;
    const float* xl = x + o * axis * inner + in;
    float* yl = y + o * axis * inner + in;
    double m = -INFINITY;
    for (int64_t j = threadIdx.x; j < axis; j += blockDim.x) m = fmax(m, (double)xl[j * inner]);
    m = BlockMax(m, shared);
    double s = 0;
    for (int64_t j = threadIdx.x; j < axis; j += blockDim.x) s += exp(xl[j * inner] - m);
    s = BlockSum(s, shared);
    const double log_s = ::log(s);
    for (int64_t j = threadIdx.x; j < axis; j += blockDim.x) {
      const double v = xl[j * inner] - m;
      yl[j * inner] = static_cast<float>(log ? v - log_s : exp(v) / s);
    }
  }
}

inline int RowBlocks(int64_t rows) {
  return static_cast<int>(rows < 65535 * 16 ? (rows < 1 ? 1 : rows) : 65535 * 16);
}

}  // namespace

int LaunchRowNorm(const float* x, const float* scale, const float* bias, float* y, int64_t rows,
                  int64_t cols, RowNormAffine affine, int64_t channels, float epsilon) {
  if (rows == 0 || cols == 0) return 0;
  RowNormKernel<<<RowBlocks(rows), kThreads, 0, cudaStreamPerThread>>>(
      x, scale, bias, y, rows, cols, affine, channels < 1 ? 1 : channels, epsilon);
  return static_cast<int>(cudaGetLastError());
}

int LaunchBatchNorm(const float* x, const float* scale, const float* bias, const float* mean,
                    const float* var, float* y, int64_t n, int64_t channels, int64_t inner,
                    float epsilon) {
  const int64_t total = n * channels * inner;
  if (total == 0) return 0;
  BatchNormKernel<<<Blocks(total), kThreads, 0, cudaStreamPerThread>>>(
      x, scale, bias, mean, var, y, total, channels, inner, epsilon);
  return static_cast<int>(cudaGetLastError());
}

int LaunchSoftmax(const float* x, float* y, int64_t outer, int64_t axis, int64_t inner,
                  bool log) {
  if (outer * axis * inner == 0) return 0;
  SoftmaxKernel<<<RowBlocks(outer * inner), kThreads, 0, cudaStreamPerThread>>>(x, y, outer, axis,
                                                                             inner, log);
  return static_cast<int>(cudaGetLastError());
}

}  // namespace cuda
}  // namespace rt
}  // namespace tp
