// Helpers shared by the cpu backend's kernels: the hand-off to the reference kernel (for dtypes
// and layouts a fast kernel does not take) and table entries whose opset range copies the
// reference kernel's, so the cpu table covers exactly what the reference table covers.
//
// Example:
//   if (x->dtype() != DType::kF32) return ReferenceFallback(ctx);
//   KernelDef def = LikeReference("Add", AddCpu);
#ifndef TENSORPORT_RUNTIME_CPU_CPU_UTIL_H_
#define TENSORPORT_RUNTIME_CPU_CPU_UTIL_H_

#include <initializer_list>

#include "absl/status/status.h"
#include "runtime/kernel.h"

namespace tp {
namespace rt {
namespace cpu {

// Runs the reference backend's kernel for ctx's node.
absl::Status ReferenceFallback(KernelContext& ctx);

// True when every present input among `which` is float32.
bool AllF32(const KernelContext& ctx, std::initializer_list<int> which);

// {"" domain, op, the reference kernel's opset range, fn}.
KernelDef LikeReference(const char* op, KernelFn fn);

}  // namespace cpu
}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_CPU_CPU_UTIL_H_
