// The cpu backend's kernel table, one literal line per kernel: the fast float32 kernels of
// runtime/cpu/kernels.h (Conv, ConvTranspose, MatMul, Gemm, RNN, GRU, LSTM, Softmax, LogSoftmax,
// the hot element-wise ops, ReduceMean, Transpose) and the reference kernels
// (runtime/reference/kernels.h) for every other op, at the reference table's opsets.
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
