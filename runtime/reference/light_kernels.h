// Internal: the groups of light reference kernels that kernel_table.cc assembles. Each group
// lives in its own .cc (element-wise, reductions and normalizations, shape and data movement,
// Resize).
//
// Example:
//   std::vector<KernelDef> all = ElementwiseKernels();
#ifndef TENSORPORT_RUNTIME_REFERENCE_LIGHT_KERNELS_H_
#define TENSORPORT_RUNTIME_REFERENCE_LIGHT_KERNELS_H_

#include <vector>

#include "runtime/kernel.h"

namespace tp {
namespace rt {

// The newest opset the reference kernels know the semantics of.
inline constexpr int kMaxKnownOpset = 18;

std::vector<KernelDef> ElementwiseKernels();
std::vector<KernelDef> ReductionKernels();
std::vector<KernelDef> ShapeKernels();
std::vector<KernelDef> ResizeKernels();
std::vector<KernelDef> MiscKernels();
std::vector<KernelDef> SpectralKernels();
std::vector<KernelDef> LossKernels();
std::vector<KernelDef> QuantizeKernels();

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_REFERENCE_LIGHT_KERNELS_H_
