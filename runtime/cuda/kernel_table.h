// The cuda backend's kernel table: every op the runtime supports, each either with a GPU kernel
// (cuBLAS for MatMul/Gemm/Conv/ConvTranspose/LSTM, the backend's own CUDA kernels for the
// element-wise, normalization, reduction, Softmax and layout ops) or explicitly listed as
// running the reference kernel on the host (shape arithmetic, Constant, Range, ...).
//
// Tensors stay on the host: a GPU kernel stages its inputs to the device and its outputs back
// per node. A GPU kernel hands the cases it does not implement (element types other than f32,
// ranks above 8, rare attribute combinations) to the reference kernel of the same op.
// Built only with --define=cuda=1 (see BUILD.bazel).
//
// Example:
//   const KernelTable& table = CudaKernelTable();
//   const KernelDef* conv = table.Find("", "Conv", /*opset=*/17);
//   KernelContext ctx(node, 17, {&x, &w, &b}, /*num_threads=*/1);
//   RETURN_IF_ERROR(conv->fn(ctx));   // Unavailable naming the node when no GPU is visible
#ifndef TENSORPORT_RUNTIME_CUDA_KERNEL_TABLE_H_
#define TENSORPORT_RUNTIME_CUDA_KERNEL_TABLE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "runtime/kernel.h"

namespace tp {
namespace rt {

// Backend name "cuda".
const KernelTable& CudaKernelTable();

// Ops of the table that have a GPU kernel, and those that run the reference kernel.
const std::vector<std::string>& CudaGpuOps();
const std::vector<std::string>& CudaReferenceOps();

// How many times this thread's GPU kernels handed a case to the reference kernel.
int64_t CudaFallbackCount();

// OK when a CUDA device is visible, else Unavailable with the reason.
absl::Status CudaDeviceStatus();

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_CUDA_KERNEL_TABLE_H_
