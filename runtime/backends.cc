// GetKernelTable (declared in runtime/kernel.h) lives in its own target so that the kernel
// interface does not depend on the backends that implement it.
#include "absl/strings/str_cat.h"
#include "runtime/cpu/kernel_table.h"
#include "runtime/kernel.h"
#include "runtime/reference/kernel_table.h"
#ifdef TP_WITH_CUDA
#include "runtime/cuda/kernel_table.h"
#endif

namespace tp {
namespace rt {

absl::StatusOr<const KernelTable*> GetKernelTable(absl::string_view backend) {
  if (backend == "reference") return &ReferenceKernelTable();
  if (backend == "cpu") return &CpuKernelTable();
  if (backend == "cuda") {
#ifdef TP_WITH_CUDA
    return &CudaKernelTable();
#endif
    return absl::UnimplementedError(
        "backend \"cuda\" is not built into this binary; known: cpu, reference");
  }
  return absl::NotFoundError(absl::StrCat("\"", backend,
                                          "\" is not a known backend; known: cpu, cuda, reference"));
}

}  // namespace rt
}  // namespace tp
