// Fast float32 element-wise kernels for the cpu backend: the binary arithmetic ops with NumPy
// broadcasting (Add, Sub, Mul, Div, Pow), the unary ops that dominate audio and transformer graphs
// (Relu, LeakyRelu, Sigmoid, Tanh, Erf, Exp, Sqrt, Neg, Abs, Reciprocal), ReduceMean over
// trailing axes (decomposed LayerNorm) and Transpose (any plain dtype: row copies). Any other
// dtype or layout goes to the reference kernel.
//
// Broadcasting runs row by row over the output's last dimension, so the inner loops are plain
// contiguous (or scalar-broadcast) loops that the compiler vectorizes; Exp, Sigmoid and Erf use a
// vectorizable polynomial exp (Cephes' expf, about 2 ulp), Erf Abramowitz-Stegun 7.1.26 (absolute
// error below 1.5e-7).
//
// Example:
//   std::vector<KernelDef> kernels = CpuElementwiseKernels();
#ifndef TENSORPORT_RUNTIME_CPU_ELEMENTWISE_H_
#define TENSORPORT_RUNTIME_CPU_ELEMENTWISE_H_

#include <vector>

#include "runtime/kernel.h"

namespace tp {
namespace rt {
namespace cpu {

std::vector<KernelDef> CpuElementwiseKernels();

}  // namespace cpu
}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_CPU_ELEMENTWISE_H_
