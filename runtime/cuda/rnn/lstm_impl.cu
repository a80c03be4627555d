// Fused LSTM gate CUDA kernel: one thread per (batch, hidden unit).
#include "runtime/cuda/rnn/lstm_impl.h"

#include <math.h>

#include <cuda_runtime.h>

#include "runtime/cuda/launch.h"

namespace tp {
namespace rt {
namespace cuda {
namespace {

__device__ inline float Sigmoid(float x) {
  if (x >= 0) return 1.0f / (1.0f + expf(-x));
  const float e = expf(x);
  return e / (1.0f + e);
}

__global__ void LstmGatesKernel(const float* xw, const float* hr, const float* wb,
                                const float* rb, float* c, float* h, float* y, int64_t batch,
                                int64_t hidden) {
  const int64_t total = batch * hidden;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < total;
       i += int64_t{blockDim.x} * gridDim.x) {
    const int64_t b = i / hidden, j = i % hidden;
    float g[4];
    for (int k = 0; k < 4; ++k) {
      const int64_t at = k * hidden + j;
      float v = xw[b * 4 * hidden + at] + hr[b * 4 * hidden + at];
      if (wb != nullptr) v += wb[at];
      if (rb != nullptr) v += rb[at];
      g[k] = v;
    }
    const float in = Sigmoid(g[0]), out = Sigmoid(g[1]), forget = Sigmoid(g[2]);
    const float cell = tanhf(g[3]);
    const float c_new = forget * c[i] + in * cell;
    const float h_new = out * tanhf(c_new);
    c[i] = c_new;
    h[i] = h_new;
    if (y != nullptr) y[i] = h_new;
  }
}

}  // namespace

int LaunchLstmGates(const float* xw, const float* hr, const float* wb, const float* rb, float* c,
                    float* h, float* y, int64_t batch, int64_t hidden) {
  const int64_t total = batch * hidden;
  if (total == 0) return 0;
  int64_t blocks = (total + kThreads - 1) / kThreads;
  if (blocks > 65535 * 8) blocks = 65535 * 8;
  LstmGatesKernel<<<static_cast<int>(blocks), kThreads, 0, cudaStreamPerThread>>>(
      xw, hr, wb, rb, c, h, y, batch, hidden);
  return static_cast<int>(cudaGetLastError());
}

}  // namespace cuda
}  // namespace rt
}  // namespace tp
