// Explanations for a failing layer, found by testing simple defects against the data.
//
// When a candidate fails its comparison, the usual causes of a port gone wrong are tried one by
// one, each as a transform of the reference judged with the layer's own tolerance: an all-zero or
// constant candidate, a transpose (every axis permutation for rank <= 4; this also covers the
// common [B,T,C] vs [B,C,T] mix-up when the shapes differ), chunks of one axis in another order
// (2 or 3 chunks: swapped halves, AdaLN `shift, scale` read in the wrong order), a sign flip, a
// scale by k, an offset by c. The first transform that makes the reference match is the hint.
//
// Example:
//   std::string hint = ExplainDifference(ref, cand, tol);
//   // "candidate = reference with chunks along axis 1 in order (1, 0) (halves swapped)"
#ifndef TENSORPORT_VERIFY_HINTS_H_
#define TENSORPORT_VERIFY_HINTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "core/tensor.h"
#include "verify/metrics.h"

namespace tp {
namespace verify {

// Tensors above this many elements get no hint: hints materialize both sides in double (4M
// elements: 64 MiB for the pair), which keeps a diff of arbitrarily large layers bounded.
inline constexpr int64_t kMaxHintElements = int64_t{1} << 22;

// A one-line hint, or "" when no simple transform explains the difference.
std::string ExplainDifference(const Tensor& ref, const Tensor& cand, const Tolerance& tol);

// np.transpose(x, perm) of a row-major array of `shape`.
std::vector<double> TransposeArray(const std::vector<double>& x, absl::Span<const int64_t> shape,
                                   absl::Span<const int> perm);

// x with its `axis` split into order.size() equal chunks, reassembled in `order`.
std::vector<double> ReorderChunks(const std::vector<double>& x, absl::Span<const int64_t> shape,
                                  int axis, absl::Span<const int> order);

}  // namespace verify
}  // namespace tp

#endif  // TENSORPORT_VERIFY_HINTS_H_
