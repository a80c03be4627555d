// Helpers shared by the cpu backend's kernels: the hand-off to the reference kernel (for dtypes
// and layouts a fast kernel does not take), dtype checks and the threading thresholds.
//
// Example:
//   if (!AllF32(ctx, {0, 1})) return ReferenceFallback(ctx);
//   ParallelFor(ThreadsFor(ctx, n, Cost::kCheap), n, body);
#ifndef TENSORPORT_RUNTIME_CPU_CPU_UTIL_H_
#define TENSORPORT_RUNTIME_CPU_CPU_UTIL_H_

#include <cstdint>
#include <initializer_list>

#include "absl/status/status.h"
#include "runtime/kernel.h"

namespace tp {
namespace rt {
namespace cpu {

// Runs the reference backend's kernel for ctx's node (same op, same opset).
absl::Status ReferenceFallback(KernelContext& ctx);

// True when every present input among `which` is float32.
bool AllF32(const KernelContext& ctx, std::initializer_list<int> which);

// What one element costs: kCheap is a load, an add / multiply / compare and a store (memory
// bound: about 20 us for 256K floats here); kMath is a polynomial (exp, erf, tanh, pow), about
// ten times that.
enum class Cost { kCheap, kMath };

// Threads worth using for `elements` output elements of the given cost (1 below the thresholds).
int ThreadsFor(const KernelContext& ctx, int64_t elements, Cost cost);

// ctx.num_threads(), at least 1.
inline int Threads(const KernelContext& ctx) { return ctx.num_threads() > 1 ? ctx.num_threads() : 1; }

}  // namespace cpu
}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_CPU_CPU_UTIL_H_
