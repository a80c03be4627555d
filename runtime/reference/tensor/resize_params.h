// Resize / Upsample geometry shared by every backend: the attributes and inputs (scales, sizes,
// roi) read as the ONNX spec defines them per opset, the output shape, and for each axis the
// input taps (index and weight) of every output coordinate, so all backends agree on where each
// output sample comes from and differ only in how they sum.
//
// Example:
//   ASSIGN_OR_RETURN(ResizePlan plan, ResolveResize(ctx, "Resize", ctx.opset(), x.shape()));
//   for (const ResizeTap& t : plan.axes[3].taps[ox]) acc += t.weight * row[t.index];
#ifndef TENSORPORT_RUNTIME_REFERENCE_TENSOR_RESIZE_PARAMS_H_
#define TENSORPORT_RUNTIME_REFERENCE_TENSOR_RESIZE_PARAMS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/tensor.h"
#include "runtime/kernel.h"

namespace tp {
namespace rt {

struct ResizeTap {
  int64_t index;
  double weight;
};

struct ResizeAxisPlan {
  std::vector<std::vector<ResizeTap>> taps;  // per output coordinate
  std::vector<bool> outside;                 // tf_crop_and_resize extrapolation
  // True when every output coordinate reads input coordinate i with weight 1 (an axis that is
  // not resized).
  bool identity = false;
};

struct ResizePlan {
  std::string mode;  // nearest, linear, cubic
  Shape out;
  double extrapolation = 0.0;
  std::vector<ResizeAxisPlan> axes;  // one per input dim
};

// `op` is "Resize" (opset 10+) or "Upsample" (opset 7-9); inputs and attributes come from ctx
// (inputs 1.. as the op defines them at `opset`). Errors name ctx's node.
absl::StatusOr<ResizePlan> ResolveResize(const KernelContext& ctx, absl::string_view op, int opset,
                                         const Shape& x);

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_REFERENCE_TENSOR_RESIZE_PARAMS_H_
