#include "runtime/reference/kernel_table.h"

#include "runtime/reference/light_kernels.h"
#include "runtime/reference/nn_kernels.h"

namespace tp {
namespace rt {

std::vector<KernelDef> ReferenceLightKernels() {
  std::vector<KernelDef> all;
  for (auto group : {ElementwiseKernels, ReductionKernels, ShapeKernels, ResizeKernels, MiscKernels,
                     SpectralKernels, LossKernels, QuantizeKernels}) {
    for (KernelDef& k : group()) all.push_back(std::move(k));
  }
  return all;
}

const KernelTable& ReferenceKernelTable() {
  static const KernelTable* table = [] {
    std::vector<KernelDef> kernels = ReferenceLightKernels();
    for (KernelDef& k : ReferenceNnKernels()) kernels.push_back(std::move(k));
    return new KernelTable("reference", std::move(kernels));
  }();
  return *table;
}

}  // namespace rt
}  // namespace tp
