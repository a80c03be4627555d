// The cpu backend's fast kernels: Conv and ConvTranspose (im2col / col2im + GEMM), MatMul and
// Gemm (batched GEMM), LSTM and GRU (one GEMM for all input projections, then one small GEMM per
// step), Softmax and LogSoftmax (vectorizable row loops). Float32 only; any other dtype is
// handed to the reference kernel of the same op, so results never depend on which dtype took
// the fast path.
//
// GEMMs run on Eigen and are split across ctx.num_threads() threads of a persistent pool. This
// translation unit is compiled with AVX2/FMA/F16C (see BUILD.bazel); kernel_table.cc only
// calls into it after checking that the CPU has them.
//
// Example:
//   std::vector<KernelDef> fast = CpuFastKernels();   // op, opset range, float32 kernel
#ifndef TENSORPORT_RUNTIME_CPU_CPU_KERNELS_H_
#define TENSORPORT_RUNTIME_CPU_CPU_KERNELS_H_

#include <vector>

#include "runtime/kernel.h"

namespace tp {
namespace rt {
namespace cpu {

std::vector<KernelDef> CpuFastKernels();

}  // namespace cpu
}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_CPU_CPU_KERNELS_H_
