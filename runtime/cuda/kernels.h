// Internal: the cuda backend's kernel groups and the helpers they share. kernel_table.cc
// assembles the groups into CudaKernelTable().
//
// A cuda kernel runs what it implements on the GPU (f32 tensors, ranks up to kMaxRank, the
// attribute combinations listed in its group) and hands every other case to `fallback`, the
// reference kernel of the same op, which also produces the one-line error for malformed input.
// Fallbacks are counted so tests can check that the GPU path really ran.
//
// Example:
//   std::vector<CudaKernelDef> defs = CudaElementwiseKernels();
//   // {"Relu", 6, 18, fn}: fn(ctx, reference_relu)
#ifndef TENSORPORT_RUNTIME_CUDA_KERNELS_H_
#define TENSORPORT_RUNTIME_CUDA_KERNELS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/tensor.h"
#include "runtime/cuda/impl_common.h"
#include "runtime/kernel.h"

namespace tp {
namespace rt {
namespace cuda {

using CudaKernelFn = std::function<absl::Status(KernelContext& ctx, const KernelFn& fallback)>;

// One GPU kernel of the table; the opset range is the one its attribute handling follows.
struct CudaKernelDef {
  std::string op_type;
  int since_version;
  int until_version;
  CudaKernelFn fn;
};

std::vector<CudaKernelDef> CudaElementwiseKernels();  // elementwise.cc
std::vector<CudaKernelDef> CudaMatMulKernels();       // matmul.cc: MatMul, Gemm
std::vector<CudaKernelDef> CudaConvKernels();         // conv.cc: Conv, ConvTranspose
std::vector<CudaKernelDef> CudaNormKernels();         // norm.cc: normalizations, Softmax
std::vector<CudaKernelDef> CudaReduceKernels();       // reduce.cc
std::vector<CudaKernelDef> CudaLayoutKernels();       // layout.cc
std::vector<CudaKernelDef> CudaLstmKernels();         // lstm.cc

// Runs `fallback` and counts it (per thread).
absl::Status RunFallback(KernelContext& ctx, const KernelFn& fallback);
int64_t FallbackCount();

// The output shape `out` with each input's strides (0 along broadcast dims); false when the
// rank exceeds kMaxRank, more than kMaxOperands inputs are given, or a shape does not broadcast
// to `out`.
bool MakeStrided(const Shape& out, const std::vector<Shape>& inputs, StridedShape* s);

// True when every given tensor is f32.
bool AllF32(std::initializer_list<const Tensor*> ts);

}  // namespace cuda
}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_CUDA_KERNELS_H_
