// Layout operations on whole tensors, shared by convert (schema passes), verify (layout rules,
// weight binding) and tests: one implementation each.
//
// All take any storage (views, strided, streamed: they read through Contiguous()) and return
// owned, packed tensors of the input's dtype; q8_0 tensors are refused (their blocks cannot be
// re-laid out element by element).
//
// Example:
//   ASSIGN_OR_RETURN(Tensor nlc, PermuteTensor(nct, {0, 2, 1}));
//   ASSIGN_OR_RETURN(Tensor q, SliceTensor(qkv, /*axis=*/0, /*offset=*/0, /*size=*/64));
//   ASSIGN_OR_RETURN(Tensor back, ConcatTensors({q, k, v}, 0));
#ifndef TENSORPORT_CORE_TENSOR_OPS_H_
#define TENSORPORT_CORE_TENSOR_OPS_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/tensor.h"

namespace tp {

// `axis` in [-rank, rank) as a non-negative axis; InvalidArgument starting with `what` otherwise.
absl::StatusOr<int> NormalizeAxis(int axis, int rank, absl::string_view what);

// Inverse permutation: applying `perm` then InversePermutation(perm) is the identity.
std::vector<int> InversePermutation(const std::vector<int>& perm);

// out.shape[i] = in.shape[perm[i]] (np.transpose semantics).
absl::StatusOr<Tensor> PermuteTensor(const Tensor& t, const std::vector<int>& perm);
// in[offset : offset + size] along `axis`.
absl::StatusOr<Tensor> SliceTensor(const Tensor& t, int axis, int64_t offset, int64_t size);
// The parts (same dtype, same shape but along `axis`) joined along `axis`.
absl::StatusOr<Tensor> ConcatTensors(const std::vector<Tensor>& parts, int axis);

// Weight normalization as torch.nn.utils.weight_norm computes it: g * v / ||v||, the norm taken
// over every axis of v except `axis` (one g per index along it), or over all of v for axis -1
// (one g). The result is float64; g must hold v.shape()[axis] values (1 for axis -1).
absl::StatusOr<Tensor> WeightNormF64(const Tensor& g, const Tensor& v, int axis);

// Whether two tensors have the same dtype, shape and bytes (read a block at a time).
absl::StatusOr<bool> SameValues(const Tensor& a, const Tensor& b);

}  // namespace tp

#endif  // TENSORPORT_CORE_TENSOR_OPS_H_
