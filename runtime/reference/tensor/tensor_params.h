// Slice, Pad, Split and reduction-axes geometry shared by every backend (like nn/conv_params.h): inputs and
// attributes read per opset as the ONNX spec defines them, checked, and resolved into per-dim
// starts / steps / pads / part sizes, so the backends differ only in how they move the bytes.
//
// Example:
//   ASSIGN_OR_RETURN(SliceParams p, ResolveSlice(ctx, x.shape()));
//   // element at output position i of dim d comes from input position p.start[d] + i * p.step[d]
#ifndef TENSORPORT_RUNTIME_REFERENCE_TENSOR_TENSOR_PARAMS_H_
#define TENSORPORT_RUNTIME_REFERENCE_TENSOR_TENSOR_PARAMS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/tensor.h"
#include "runtime/kernel.h"

namespace tp {
namespace rt {

struct SliceParams {
  std::vector<int64_t> start, step;  // per input dim
  Shape out;
};
// Slice: starts / ends / axes / steps from attributes (opset < 10) or inputs; negative values
// count from the end, out-of-range ones are clamped as NumPy does.
absl::StatusOr<SliceParams> ResolveSlice(const KernelContext& ctx, const Shape& x);

struct PadParams {
  std::string mode;  // constant, reflect, edge, wrap
  std::vector<int64_t> before, after;  // per dim; negative crops
  double value = 0;  // the constant
  Shape out;
};
// Pad: pads from the attribute (opset < 11) or inputs (with axes from opset 18).
absl::StatusOr<PadParams> ResolvePad(const KernelContext& ctx, const Shape& x);
// The input position that output position `p` of a dim of `n` reads (p - before applied);
// -1 for a constant-mode position outside the input.
int64_t PadSource(const std::string& mode, int64_t p, int64_t n);

// Split: part sizes along *axis (from the input / attribute `split`, equal parts otherwise, and
// from opset 18 `num_outputs` with a smaller last part).
absl::StatusOr<std::vector<int64_t>> ResolveSplit(const KernelContext& ctx, const Shape& x,
                                                  int* axis);

// The axes a Reduce* op reduces (per input dim): the attribute before `axes_input_since`, the
// optional input 1 from then on; none given means every axis, or nothing at all (*noop) when
// noop_with_empty_axes is set.
absl::StatusOr<std::vector<bool>> ResolveReducedAxes(const KernelContext& ctx, int rank,
                                                     int axes_input_since, bool* noop);

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_REFERENCE_TENSOR_TENSOR_PARAMS_H_
