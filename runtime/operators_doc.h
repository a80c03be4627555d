// runtime/OPERATORS.md, generated from the kernel tables: one row per op, one column per backend,
// each cell the opset ranges that backend runs and how (cpu: "fast" for the AVX2 kernels of
// runtime/cpu/, plain ranges for the reference kernel; cuda: "GPU" or "host" for the reference
// kernel run on the host). A test compares the checked-in file with this output, so the file
// cannot drift from the tables.
//
// Example:
//   std::string md = OperatorsMarkdown(ReferenceKernelTable(), CpuKernelTable(),
//   &CudaKernelTable());
//   // | Conv | 1-21 | 1-21 fast | 1-21 GPU |
#ifndef TENSORPORT_RUNTIME_OPERATORS_DOC_H_
#define TENSORPORT_RUNTIME_OPERATORS_DOC_H_

#include <string>

#include "runtime/kernel.h"

namespace tp {
namespace rt {

// `cuda` may be null (a build without the cuda backend): its cells then read "n/a".
std::string OperatorsMarkdown(const KernelTable& reference, const KernelTable& cpu,
                              const KernelTable* cuda);

// `markdown` with every cuda cell (the last column of the op table) and the cuda summary line
// replaced as OperatorsMarkdown(..., nullptr) writes them: what a build without the cuda backend
// can check.
std::string WithoutCudaColumn(const std::string& markdown);

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_OPERATORS_DOC_H_
