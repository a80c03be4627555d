// HannWindow, HammingWindow, BlackmanWindow (opset 17): periodic or symmetric, any output dtype.

#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {
namespace {

enum class Window { kHann, kHamming, kBlackman };

absl::Status WindowFn(KernelContext& ctx, Window w) {
  ASSIGN_OR_RETURN(const Tensor* s, ctx.Input(0));
  ASSIGN_OR_RETURN(std::vector<int64_t> sv, ReadInts(*s));
  if (sv.size() != 1 || sv[0] < 0 || sv[0] > (int64_t{1} << 31)) {
    return ctx.Invalid("size must be one non-negative value");
  }
  const int64_t n = sv[0];
  absl::StatusOr<DType> dt = DTypeFromOnnx(static_cast<int>(ctx.GetInt("output_datatype", 1)));
  RETURN_IF_ERROR(ctx.Annotate(dt.status()));
  const double denom = ctx.GetInt("periodic", 1) != 0 ? n : n - 1;
  std::vector<double> y(n);
  for (int64_t i = 0; i < n; ++i) {
    const double t = 2 * M_PI * i / denom;
    switch (w) {
      case Window::kHann: y[i] = 0.5 - 0.5 * std::cos(t); break;
      case Window::kHamming: y[i] = 25.0 / 46.0 - (21.0 / 46.0) * std::cos(t); break;
      case Window::kBlackman: y[i] = 0.42 - 0.5 * std::cos(t) + 0.08 * std::cos(2 * t); break;
    }
  }
  ASSIGN_OR_RETURN(Tensor t, WriteAs<double>(*dt, {n}, y));
  ctx.SetOutput(0, std::move(t));
  return absl::OkStatus();
}

}  // namespace

absl::Status HannWindowKernel(KernelContext& ctx) { return WindowFn(ctx, Window::kHann); }

absl::Status HammingWindowKernel(KernelContext& ctx) { return WindowFn(ctx, Window::kHamming); }

absl::Status BlackmanWindowKernel(KernelContext& ctx) { return WindowFn(ctx, Window::kBlackman); }

}  // namespace ref
}  // namespace rt
}  // namespace tp
