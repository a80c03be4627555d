// Attribute and shape resolution for the convolution and pooling ops (Conv, ConvTranspose,
// ConvInteger, QLinearConv, MaxPool, AveragePool, LpPool), shared by every backend so all read the
// ONNX attributes the same way and differ only in how they compute.
//
// Every function checks its inputs against the ONNX operator spec and returns a one-line
// InvalidArgument naming the node, the item, what was found and what was expected.
//
// Example:
//   ASSIGN_OR_RETURN(ConvParams p, ResolveConv(ctx, x->shape(), w->shape()));
//   Tensor y = Tensor::Zeros(x->dtype(), p.OutputShape());
//   for (int64_t oc = 0; oc < p.c_out; ++oc) ...
#ifndef TENSORPORT_RUNTIME_REFERENCE_NN_CONV_PARAMS_H_
#define TENSORPORT_RUNTIME_REFERENCE_NN_CONV_PARAMS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/tensor.h"
#include "runtime/kernel.h"

namespace tp {
namespace rt {

// Convolution geometry (Conv and ConvTranspose). For Conv, `in_spatial` is the input's spatial
// extent and `out_spatial` the result's; for ConvTranspose the same names keep their meaning
// (x's spatial dims in, y's out), and `c_in`/`c_out` are x's and y's channel counts.
struct ConvParams {
  int64_t batch = 0;
  int64_t c_in = 0;
  int64_t c_out = 0;
  int64_t group = 1;
  std::vector<int64_t> in_spatial, out_spatial, kernel, strides, dilations, pads_begin, pads_end;
  int spatial_rank() const { return static_cast<int>(kernel.size()); }
  Shape OutputShape() const;
  int64_t KernelSize() const;       // product of kernel dims
  int64_t InSpatialSize() const;    // product of in_spatial
  int64_t OutSpatialSize() const;   // product of out_spatial
  // Where kernel tap `tap` (its coordinates, one per spatial dim) lands for the window at grid
  // point `base`: pos[d] = base[d] * strides[d] - pads_begin[d] + tap[d] * dilations[d]. Returns
  // false when a position falls outside `extent`; otherwise sets *flat to the row-major index of
  // pos in `extent`. Conv gathers from in_spatial (base: an output position), ConvTranspose
  // scatters to out_spatial (base: an input position).
  bool TapIndex(const int64_t* base, const int64_t* tap, const std::vector<int64_t>& extent,
                int64_t* flat) const;
};

// Row-major coordinates of every flat index of `dims`: table[i * dims.size() + d].
std::vector<int64_t> CoordinateTable(const std::vector<int64_t>& dims);

// Conv / ConvTranspose bias: OK when `b` is null or has shape [channels], else InvalidArgument.
absl::Status CheckBias(const KernelContext& ctx, const Tensor* b, int64_t channels);

// Conv: X [N, C, D1..Dn], W [M, C/group, k1..kn].
absl::StatusOr<ConvParams> ResolveConv(const KernelContext& ctx, const Shape& x, const Shape& w);
// ConvTranspose: X [N, C, D1..Dn], W [C, M/group, k1..kn]; output_shape, output_padding, auto_pad
// as in the ONNX spec (opset 11+).
absl::StatusOr<ConvParams> ResolveConvTranspose(const KernelContext& ctx, const Shape& x,
                                                const Shape& w);

// MaxPool / AveragePool geometry. The output size follows PyTorch's rule in ceil_mode (a window
// that would start past the input and the begin padding is dropped), which is also what ONNX's
// reference implementation does.
struct PoolParams {
  int64_t batch = 0, channels = 0;
  std::vector<int64_t> in_spatial, out_spatial, kernel, strides, dilations, pads_begin, pads_end;
  bool count_include_pad = false;
  int spatial_rank() const { return static_cast<int>(kernel.size()); }
  Shape OutputShape() const;
};
absl::StatusOr<PoolParams> ResolvePool(const KernelContext& ctx, const Shape& x);

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_REFERENCE_NN_CONV_PARAMS_H_
