// Optional (wrap a value, or make an empty optional), OptionalHasElement and OptionalGetElement.
// An optional with a value is that value itself (runtime/value.h).
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"

namespace tp {
namespace rt {
namespace ref {

absl::Status OptionalKernel(KernelContext& ctx) {
  const Value* v = ctx.InputValue(0);
  if (v == nullptr || v->is_none()) {
    if (ctx.Attr("type") == nullptr) {
      return ctx.Invalid("has no input and no 'type' attribute; expected one of them");
    }
    ctx.SetOutputValue(0, Value::None());
    return absl::OkStatus();
  }
  ctx.SetOutputValue(0, *v);
  return absl::OkStatus();
}

absl::Status OptionalHasElementKernel(KernelContext& ctx) {
  const Value* v = ctx.InputValue(0);
  Tensor y = Tensor::Zeros(DType::kBool, {});
  y.mutable_data()[0] = v != nullptr && !v->is_none();
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status OptionalGetElementKernel(KernelContext& ctx) {
  const Value* v = ctx.InputValue(0);
  if (v == nullptr || v->is_none()) {
    return ctx.Invalid("the optional input has no value; expected one (check OptionalHasElement)");
  }
  ctx.SetOutputValue(0, *v);
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
