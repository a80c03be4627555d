// The reference backend: plain loops, double accumulation, no threads. Obviously right first;
// the cpu backend (runtime/cpu/) is checked against it.
//
// ReferenceLightKernels() holds every op except the heavy NN ones (those come from
// runtime/reference/nn_kernels.h); the cpu table reuses the light kernels.
//
// Example:
//   const KernelTable& table = ReferenceKernelTable();
//   const KernelDef* relu = table.Find("", "Relu", /*opset=*/17);
#ifndef TENSORPORT_RUNTIME_REFERENCE_KERNEL_TABLE_H_
#define TENSORPORT_RUNTIME_REFERENCE_KERNEL_TABLE_H_

#include <vector>

#include "runtime/kernel.h"

namespace tp {
namespace rt {

// Element-wise, reduction, normalization, shape and data-movement kernels.
std::vector<KernelDef> ReferenceLightKernels();

// ReferenceLightKernels() + ReferenceNnKernels(), backend name "reference".
const KernelTable& ReferenceKernelTable();

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_REFERENCE_KERNEL_TABLE_H_
