// Internal: the helpers the cuda kernels share. A GPU kernel runs what it implements on the GPU
// (f32 tensors, ranks up to kMaxRank, the attribute combinations its file lists) and hands every
// other case to `fallback`, the reference kernel of the same op, which also produces the one-line
// error for malformed input. Fallbacks are counted so tests can check that the GPU path ran.
//
// Example:
//   absl::Status ReluKernel(KernelContext& ctx) {
//     return Unary(UnaryOp::kRelu)(ctx, ref::ReluKernel);   // f32 on the GPU, else the reference
//   }
#ifndef TENSORPORT_RUNTIME_CUDA_KERNEL_UTIL_H_
#define TENSORPORT_RUNTIME_CUDA_KERNEL_UTIL_H_

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <vector>

#include "absl/status/status.h"
#include "core/tensor.h"
#include "runtime/cuda/impl_common.h"
#include "runtime/kernel.h"

namespace tp {
namespace rt {
namespace cuda {

// A GPU kernel with its reference fallback.
using CudaKernelFn = std::function<absl::Status(KernelContext& ctx, const KernelFn& fallback)>;

// Runs `fallback` and counts it (per thread).
absl::Status RunFallback(KernelContext& ctx, const KernelFn& fallback);
int64_t FallbackCount();

// The output shape `out` with each input's strides (0 along broadcast dims); false when the
// rank exceeds kMaxRank, more than kMaxOperands inputs are given, or a shape does not broadcast
// to `out`.
bool MakeStrided(const Shape& out, const std::vector<Shape>& inputs, StridedShape* s);

// True when every given tensor is f32.
bool AllF32(std::initializer_list<const Tensor*> ts);

// Data movement (tensor/): elements of 1, 2, 4 or 8 bytes and ranks up to kMaxRank.
bool Movable(const Tensor* t);
// Runs one strided copy from x (from element x_base) into a new tensor of `out` shape and sets
// output 0.
absl::Status CopyOut(KernelContext& ctx, const Tensor& x, const Shape& out,
                     const StridedShape& s, int64_t x_base);
// Packed row-major destination strides for operand 1 of `s`.
void SetPackedDest(const Shape& out, StridedShape* s);

}  // namespace cuda
}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_CUDA_KERNEL_UTIL_H_
