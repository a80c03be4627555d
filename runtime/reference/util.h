// Helpers shared by the reference kernels (and the cpu/cuda kernels that reuse their checks):
// attribute-or-input integer lists, element copies by strides, slabs along an axis, and the
// small input checks many kernels make. Element copies move bytes, so they serve every dtype.
//
// Example:
//   bool present = false;
//   ASSIGN_OR_RETURN(std::vector<int64_t> axes, IntsFromInputOrAttr(ctx, 1, 13, "axes", &present));
//   ctx.SetOutput(0, SliceAxis(x, /*axis=*/1, /*start=*/2, /*len=*/3));
#ifndef TENSORPORT_RUNTIME_REFERENCE_UTIL_H_
#define TENSORPORT_RUNTIME_REFERENCE_UTIL_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/tensor.h"
#include "runtime/kernel.h"

namespace tp {
namespace rt {

// Integer list from input `input` (opset >= since) or attribute `attr` (before); `present` tells
// whether either was given.
absl::StatusOr<std::vector<int64_t>> IntsFromInputOrAttr(const KernelContext& ctx, int input,
                                                         int since, const char* attr,
                                                         bool* present);

// Sets output i to a packed copy of t (t itself when already packed).
absl::Status SetPacked(KernelContext& ctx, int i, const Tensor& t);

// One integer from a scalar or 1-element integer tensor; InvalidArgument naming `what` otherwise.
absl::StatusOr<int64_t> ScalarInt(const KernelContext& ctx, const Tensor& t, const char* what);

// Unimplemented naming `what` unless t is f32, f64, f16 or bf16.
absl::Status CheckFloatInput(const KernelContext& ctx, const Tensor& t, absl::string_view what);

// Product of dims (no overflow check: for shapes already checked).
int64_t Product(const std::vector<int64_t>& v);

// A computed output shape (from attributes or operand shapes): InvalidArgument naming the node
// when a dim is negative, the count overflows or exceeds kMaxOutputElements.
absl::Status CheckOutputSize(const KernelContext& ctx, const Shape& shape);

// General strided gather: out[idx] = in[sum(idx[d] * in_strides[d]) + base], elements as bytes.
void StridedCopy(const uint8_t* in, int64_t base, const std::vector<int64_t>& in_strides,
                 const Shape& out_shape, int es, uint8_t* out);

// Copies the slab [start, start + len) of packed x along axis.
Tensor SliceAxis(const Tensor& x, int axis, int64_t start, int64_t len);

// `parts` (same dtype and rank, equal dims outside `axis`) joined along `axis` (in [0, rank)).
// InvalidArgument naming the first mismatching part otherwise.
absl::StatusOr<Tensor> ConcatAlong(const std::vector<Tensor>& parts, int axis);

// `parts` (same dtype and shape) stacked along a new dim at `axis` (in [0, rank]).
absl::StatusOr<Tensor> StackAlong(const std::vector<Tensor>& parts, int axis);

// out[k] = x[index[k]] for a precomputed index map (x packed).
Tensor GatherFlat(const Tensor& x, const Shape& out, const std::vector<int64_t>& index);

// Packed x viewed as `shape`, permuted by `perm`, stored as `out` (same element count).
Tensor PermuteAs(const Tensor& x, const Shape& shape, const std::vector<int>& perm,
                 const Shape& out);

// For each element of `shape` in row-major order, calls f(flat index, position vector).
template <typename F>
void ForEachIndex(const Shape& shape, F f) {
  const int rank = static_cast<int>(shape.size());
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<int64_t> pos(rank, 0);
  for (int64_t k = 0; k < n; ++k) {
    f(k, pos);
    for (int d = rank - 1; d >= 0; --d) {
      if (++pos[d] < shape[d]) break;
      pos[d] = 0;
    }
  }
}

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_REFERENCE_UTIL_H_
