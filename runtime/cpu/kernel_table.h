// The cpu backend's kernel table: the fast float32 kernels of runtime/cpu/cpu_kernels.h for the
// heavy ops (Conv, ConvTranspose, MatMul, Gemm, LSTM, GRU, Softmax, LogSoftmax) and the reference
// kernels for every other op (pools and Einsum from runtime/reference/nn_kernels.h, the light
// element-wise / shape / reduction ops from runtime/reference/kernel_table.h).
//
// The fast kernels are compiled for AVX2, FMA and F16C (x86-64-v3); on a CPU without them the
// table holds the reference kernels for those ops instead (same results, much slower), never an
// illegal instruction.
//
// Example:
//   const KernelTable& table = CpuKernelTable();
//   const KernelDef* conv = table.Find("", "Conv", /*opset=*/17);
//   bool fast = CpuFastKernelsEnabled();
#ifndef TENSORPORT_RUNTIME_CPU_KERNEL_TABLE_H_
#define TENSORPORT_RUNTIME_CPU_KERNEL_TABLE_H_

#include "runtime/kernel.h"

namespace tp {
namespace rt {

const KernelTable& CpuKernelTable();

// Whether this CPU runs the fast kernels (AVX2, FMA and F16C present).
bool CpuFastKernelsEnabled();

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_CPU_KERNEL_TABLE_H_
