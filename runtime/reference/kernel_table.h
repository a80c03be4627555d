// The reference backend's kernel table: one literal line per kernel (domain, op, opset range,
// function from runtime/reference/kernels.h). Plain loops, double accumulation, no threads:
// obviously right first; the cpu and cuda backends are checked against it.
//
// Example:
//   const KernelTable& table = ReferenceKernelTable();
//   const KernelDef* relu = table.Find("", "Relu", /*opset=*/17);
#ifndef TENSORPORT_RUNTIME_REFERENCE_KERNEL_TABLE_H_
#define TENSORPORT_RUNTIME_REFERENCE_KERNEL_TABLE_H_

#include "runtime/kernel.h"

namespace tp {
namespace rt {

// Backend name "reference".
const KernelTable& ReferenceKernelTable();

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_REFERENCE_KERNEL_TABLE_H_
