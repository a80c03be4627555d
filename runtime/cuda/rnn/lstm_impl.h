// Internal: the fused LSTM gate kernel (lstm_impl.cu). Device pointers; work is queued on the
// per-thread stream and the launch error (a cudaError_t value, 0 on success) returned.
//
// Example (one time step of one direction, after the two GEMMs):
//   int e = LaunchLstmGates(xw_t, hr, wb, rb, c, h, y_t, batch, hidden);
#ifndef TENSORPORT_RUNTIME_CUDA_RNN_LSTM_IMPL_H_
#define TENSORPORT_RUNTIME_CUDA_RNN_LSTM_IMPL_H_

#include <cstdint>

#include "runtime/cuda/impl_common.h"

namespace tp {
namespace rt {
namespace cuda {

// Gate pre-activations are xw [batch, 4 * hidden] + hr [batch, 4 * hidden] + wb + rb (biases
// [4 * hidden], nullable), gate order i, o, f, c (ONNX). Default activations: sigmoid for the
// gates, tanh for the cell input and the output. Updates c and h [batch, hidden] in place and
// writes h to y (nullable) as well.
int LaunchLstmGates(const float* xw, const float* hr, const float* wb, const float* rb, float* c,
                    float* h, float* y, int64_t batch, int64_t hidden);

}  // namespace cuda
}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_CUDA_RNN_LSTM_IMPL_H_
