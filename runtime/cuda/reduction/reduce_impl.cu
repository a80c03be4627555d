// Reduction CUDA kernel: one block per output element, a strided walk over the reduced
// elements and a shared-memory tree; accumulation in double.
#include "runtime/cuda/reduction/reduce_impl.h"

#include <math.h>

#include <cuda_runtime.h>

#include "runtime/cuda/launch.h"

namespace tp {
namespace rt {
namespace cuda {
namespace {

__device__ inline int64_t RedOffset(const ReduceGeometry& g, int64_t r) {
  int64_t off = 0;
  for (int d = g.red_rank - 1; d >= 0; --d) {
    off += (r % g.red_dims[d]) * g.red_strides[d];
    r /= g.red_dims[d];
  }
  return off;
}

__device__ double Combine(ReduceKind k, double a, double b) {
  switch (k) {
    case ReduceKind::kMax: return (a != a || b != b) ? a + b : fmax(a, b);
    case ReduceKind::kMin: return (a != a || b != b) ? a + b : fmin(a, b);
    case ReduceKind::kProd: return a * b;
    default: return a + b;
  }
}

__device__ double Identity(ReduceKind k) {
  switch (k) {
    case ReduceKind::kMax: return -INFINITY;
    case ReduceKind::kMin: return INFINITY;
    case ReduceKind::kProd: return 1.0;
    default: return 0.0;
  }
}

__device__ double Reduce(ReduceKind k, double v, double* shared) {
  shared[threadIdx.x] = v;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) shared[threadIdx.x] = Combine(k, shared[threadIdx.x], shared[threadIdx.x + s]);
    __syncthreads();
  }
  const double r = shared[0];
  __syncthreads();
  return r;
}

__global__ void ReduceKernel(ReduceKind kind, const float* x, float* y, ReduceGeometry g,
                             int64_t outputs, int64_t count) {
  __shared__ double shared[kThreads];
  for (int64_t out = blockIdx.x; out < outputs; out += gridDim.x) {
    int64_t rest = out, base = 0;
    for (int d = g.kept_rank - 1; d >= 0; --d) {
      base += (rest % g.kept_dims[d]) * g.kept_strides[d];
      rest /= g.kept_dims[d];
    }
    // LogSumExp subtracts the maximum first.
    double shift = 0;
    if (kind == ReduceKind::kLogSumExp) {
      double m = -INFINITY;
      for (int64_t r = threadIdx.x; r < count; r += blockDim.x) {
        m = fmax(m, static_cast<double>(x[base + RedOffset(g, r)]));
      }
      shift = Reduce(ReduceKind::kMax, m, shared);
      if (isinf(shift)) shift = 0;
    }
    const ReduceKind combine =
        (kind == ReduceKind::kMax || kind == ReduceKind::kMin || kind == ReduceKind::kProd)
            ? kind
            : ReduceKind::kSum;
    double acc = Identity(combine);
    for (int64_t r = threadIdx.x; r < count; r += blockDim.x) {
      double v = x[base + RedOffset(g, r)];
      switch (kind) {
        case ReduceKind::kL1: v = fabs(v); break;
        case ReduceKind::kL2:
        case ReduceKind::kSumSquare: v = v * v; break;
        case ReduceKind::kLogSumExp: v = exp(v - shift); break;
        default: break;
      }
      acc = Combine(combine, acc, v);
    }
    double r = Reduce(combine, acc, shared);
    switch (kind) {
      case ReduceKind::kMean: r /= count; break;
      case ReduceKind::kL2: r = sqrt(r); break;
      case ReduceKind::kLogSum: r = log(r); break;
      case ReduceKind::kLogSumExp: r = log(r) + shift; break;
      default: break;
    }
    if (threadIdx.x == 0) y[out] = static_cast<float>(r);
  }
}

}  // namespace

int LaunchReduce(ReduceKind kind, const float* x, float* y, const ReduceGeometry& g) {
  int64_t outputs = 1, count = 1;
  for (int d = 0; d < g.kept_rank; ++d) outputs *= g.kept_dims[d];
  for (int d = 0; d < g.red_rank; ++d) count *= g.red_dims[d];
  if (outputs == 0) return 0;
  if (count == 0) return static_cast<int>(cudaErrorInvalidValue);
  const int blocks = static_cast<int>(outputs < 65535 * 16 ? outputs : 65535 * 16);
  ReduceKernel<<<blocks, kThreads, 0, cudaStreamPerThread>>>(kind, x, y, g, outputs, count);
  return static_cast<int>(cudaGetLastError());
}

}  // namespace cuda
}  // namespace rt
}  // namespace tp
