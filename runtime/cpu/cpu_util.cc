#include "runtime/cpu/cpu_util.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "runtime/reference/kernel_table.h"
#include "runtime/reference/nn_kernels.h"

namespace tp {
namespace rt {
namespace cpu {

absl::Status ReferenceFallback(KernelContext& ctx) {
  const KernelDef* def = ReferenceKernelTable().Find("", ctx.node().op_type(), ctx.opset());
  if (def == nullptr) {
    return ctx.Error(absl::StatusCode::kUnimplemented,
                     absl::StrCat("no reference kernel at opset ", ctx.opset()));
  }
  return def->fn(ctx);
}

bool AllF32(const KernelContext& ctx, std::initializer_list<int> which) {
  for (int i : which) {
    if (ctx.HasInput(i) && ctx.OptionalInput(i)->dtype() != DType::kF32) return false;
  }
  return true;
}

KernelDef LikeReference(const char* op, KernelFn fn) {
  int since = 1, until = kNnMaxOpset;
  bool found = false;
  for (const KernelDef& k : ReferenceKernelTable().kernels()) {
    if (k.domain.empty() && k.op_type == op) {
      since = found ? std::min(since, k.since_version) : k.since_version;
      until = found ? std::max(until, k.until_version) : k.until_version;
      found = true;
    }
  }
  return KernelDef{"", op, since, until, std::move(fn)};
}

}  // namespace cpu
}  // namespace rt
}  // namespace tp
