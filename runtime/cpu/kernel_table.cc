// Compiled without AVX flags: it decides whether the AVX2/FMA code in cpu_kernels.cc may run.
#include "runtime/cpu/kernel_table.h"

#include <set>
#include <string>
#include <vector>

#include "runtime/cpu/cpu_kernels.h"
#include "runtime/reference/kernel_table.h"
#include "runtime/reference/nn_kernels.h"

namespace tp {
namespace rt {

bool CpuFastKernelsEnabled() {
  static const bool enabled =
      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
      __builtin_cpu_supports("f16c");
  return enabled;
}

const KernelTable& CpuKernelTable() {
  static const KernelTable* table = [] {
    std::vector<KernelDef> kernels;
    std::set<std::string> fast_ops;
    if (CpuFastKernelsEnabled()) {
      for (KernelDef& k : cpu::CpuFastKernels()) {
        fast_ops.insert(k.op_type);
        kernels.push_back(std::move(k));
      }
    }
    // Everything without a fast kernel: MaxPool, AveragePool, Einsum, and the light ops.
    for (KernelDef& k : ReferenceNnKernels()) {
      if (fast_ops.count(k.op_type) == 0) kernels.push_back(std::move(k));
    }
    for (KernelDef& k : ReferenceLightKernels()) {
      if (fast_ops.count(k.op_type) == 0) kernels.push_back(std::move(k));
    }
    return new KernelTable("cpu", std::move(kernels));
  }();
  return *table;
}

}  // namespace rt
}  // namespace tp
