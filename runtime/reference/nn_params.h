// Attribute and shape resolution for the heavy neural-network ops (Conv, ConvTranspose, pools,
// MatMul, Gemm, LSTM, GRU, Einsum), shared by the reference and the cpu backends so both read the
// ONNX attributes the same way and differ only in how they compute.
//
// Every function checks its inputs against the ONNX operator spec and returns a one-line
// InvalidArgument naming the node, the item, what was found and what was expected.
//
// Example:
//   ASSIGN_OR_RETURN(ConvParams p, ResolveConv(ctx, x->shape(), w->shape()));
//   Tensor y = Tensor::Zeros(x->dtype(), p.OutputShape());
//   for (int64_t oc = 0; oc < p.c_out; ++oc) ...
#ifndef TENSORPORT_RUNTIME_REFERENCE_NN_PARAMS_H_
#define TENSORPORT_RUNTIME_REFERENCE_NN_PARAMS_H_

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

// MatMul with NumPy semantics: 1-D operands are promoted (and the added dim dropped from the
// result), batch dims broadcast. `a_batch[i]` / `b_batch[i]` give, for output batch i, the index
// of the [m, k] / [k, n] matrix inside A / B.
struct MatMulPlan {
  Shape out_shape;
  int64_t m = 0, k = 0, n = 0;
  std::vector<int64_t> a_batch, b_batch;
};
absl::StatusOr<MatMulPlan> PlanMatMul(const KernelContext& ctx, const Shape& a, const Shape& b);

// Gemm: Y = alpha * A' * B' + beta * C, with A' = transA ? A^T : A (A is 2-D).
struct GemmParams {
  int64_t m = 0, k = 0, n = 0;
  bool trans_a = false, trans_b = false;
  double alpha = 1.0, beta = 1.0;
  // C broadcast to [m, n]: element (i, j) is at c_row_stride * i + c_col_stride * j.
  bool has_c = false;
  int64_t c_row_stride = 0, c_col_stride = 0;
};
absl::StatusOr<GemmParams> ResolveGemm(const KernelContext& ctx, const Shape& a, const Shape& b,
                                       const Tensor* c);

// An activation function of the recurrent ops ("Sigmoid", "Tanh", "Relu", ...), with its
// alpha/beta. Apply() works in double for the reference and in float for the cpu backend.
struct RnnActivation {
  enum Kind {
    kSigmoid, kTanh, kRelu, kHardSigmoid, kAffine, kLeakyRelu, kThresholdedRelu, kScaledTanh,
    kElu, kSoftsign, kSoftplus
  };
  Kind kind = kSigmoid;
  double alpha = 0, beta = 0;
  double Apply(double x) const;
  float Apply(float x) const;
};

// LSTM / GRU geometry and attributes. Inputs: X, W, R, B, sequence_lens, initial_h (and for
// LSTM initial_c, P).
struct RnnParams {
  int num_gates = 4;     // 4 for LSTM (i, o, f, c), 3 for GRU (z, r, h)
  int num_directions = 1;
  bool forward = true;   // direction "forward" (or the first of "bidirectional")
  bool bidirectional = false;
  int64_t seq_len = 0, batch = 0, input_size = 0, hidden = 0;
  int64_t layout = 0;
  double clip = 0;       // 0: no clipping
  bool linear_before_reset = false;  // GRU
  // Per direction: f, g (and h for LSTM).
  std::vector<std::vector<RnnActivation>> activations;
  // Effective length per batch entry (seq_len when sequence_lens is absent).
  std::vector<int64_t> lengths;
  Shape YShape() const;   // [seq, dirs, batch, hidden] or layout 1 [batch, seq, dirs, hidden]
  Shape YhShape() const;  // [dirs, batch, hidden] or layout 1 [batch, dirs, hidden]
  // Offsets (in elements) into X, Y, Y_h / initial state for time t, batch b (and direction d).
  int64_t XOffset(int64_t t, int64_t b) const;
  int64_t YOffset(int64_t t, int d, int64_t b) const;
  int64_t HOffset(int d, int64_t b) const;
  // Whether direction d runs backwards in time.
  bool Reverse(int d) const { return bidirectional ? d == 1 : !forward; }
};
absl::StatusOr<RnnParams> ResolveRnn(const KernelContext& ctx, bool is_lstm);

// Einsum equation, parsed and checked against the operand shapes. Labels are small integers:
// letters map to 0..51, the broadcast dims of "..." to 52 and up (right-aligned across
// operands).
struct EinsumPlan {
  int num_labels = 0;
  std::vector<int64_t> label_size;            // per label
  std::vector<std::vector<int>> operand_labels;  // per operand, per dim
  std::vector<int> output_labels;
  std::vector<int> summed_labels;             // labels not in the output
  Shape out_shape;
};
absl::StatusOr<EinsumPlan> PlanEinsum(const KernelContext& ctx, const std::vector<Shape>& shapes);

// Shape of the Softmax / LogSoftmax computation as [outer, axis, inner] (opset >= 13: one axis;
// before: everything from `axis` on is flattened into the axis).
struct SoftmaxGeometry {
  int64_t outer = 1, axis = 1, inner = 1;
};
absl::StatusOr<SoftmaxGeometry> ResolveSoftmax(const KernelContext& ctx, const Shape& x);

// A floating-point dtype check for the nn kernels: InvalidArgument / Unimplemented otherwise.
absl::Status CheckFloatInput(const KernelContext& ctx, const Tensor& t, absl::string_view what);

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_REFERENCE_NN_PARAMS_H_
