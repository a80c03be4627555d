#include "runtime/cpu/cpu_util.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "runtime/reference/kernel_table.h"

namespace tp {
namespace rt {
namespace cpu {
namespace {

// Below these many output elements a second thread costs more than it saves. Handing a range to
// a sleeping worker and waiting for it costs tens of microseconds, more on a loaded machine: with
// a single threshold of 64K elements, the DiT block's [1, 500, 512] Add / Sub / Mul / Div /
// ReduceMean each ran 2-3x slower on 2 threads than on 1 (bench_runtime --profile).
constexpr int64_t kParallelCheap = 1 << 19;
constexpr int64_t kParallelMath = 1 << 16;

}  // namespace

absl::Status ReferenceFallback(KernelContext& ctx) {
  const KernelDef* def = ReferenceKernelTable().Find("", ctx.node().op_type(), ctx.opset());
  if (def == nullptr) {
    return ctx.Error(absl::StatusCode::kUnimplemented,
                     absl::StrCat("no reference kernel at opset ", ctx.opset()));
  }
  ctx.NoteReferenceKernel();
  return def->fn(ctx);
}

bool AllF32(const KernelContext& ctx, std::initializer_list<int> which) {
  for (int i : which) {
    if (ctx.HasInput(i) && ctx.OptionalInput(i)->dtype() != DType::kF32) return false;
  }
  return true;
}

int ThreadsFor(const KernelContext& ctx, int64_t elements, Cost cost) {
  const int64_t threshold = cost == Cost::kMath ? kParallelMath : kParallelCheap;
  return elements >= threshold ? std::max(1, ctx.num_threads()) : 1;
}

}  // namespace cpu
}  // namespace rt
}  // namespace tp
