// Reference kernels for the heavy neural-network ops: Conv, ConvTranspose (N-D, groups,
// dilation, strides, pads, auto_pad, output_padding, output_shape), MatMul (batched, broadcast,
// 1-D operands), Gemm, LSTM and GRU (forward / reverse / bidirectional, sequence_lens, initial
// states, layout 0 and 1), MaxPool, AveragePool and Einsum (any 1-N operand equation).
//
// They are written to be obviously right rather than fast: plain loops over the ONNX
// definitions, every sum accumulated in double, no threads. The cpu backend (runtime/cpu/) is
// checked against them, and they are checked against PyTorch (nn_kernels_test.cc).
// Floating inputs of any width (f32, f64, f16, bf16) are accepted; outputs take X's dtype.
//
// Example:
//   std::vector<KernelDef> kernels = ReferenceNnKernels();
//   KernelTable table("reference", kernels);
//   const KernelDef* conv = table.Find("", "Conv", /*opset=*/17);
//   KernelContext ctx(node, 17, {&x, &w, &b}, /*num_threads=*/1);
//   RETURN_IF_ERROR(conv->fn(ctx));   // ctx.outputs()[0] holds Y
#ifndef TENSORPORT_RUNTIME_REFERENCE_NN_KERNELS_H_
#define TENSORPORT_RUNTIME_REFERENCE_NN_KERNELS_H_

#include <vector>

#include "runtime/kernel.h"

namespace tp {
namespace rt {

// The newest opset whose semantics the nn kernels implement (ONNX 1.15's).
inline constexpr int kNnMaxOpset = 21;

std::vector<KernelDef> ReferenceNnKernels();

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_REFERENCE_NN_KERNELS_H_
