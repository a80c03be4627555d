// The cuda backend's GPU kernels, grouped by the file that defines them (folders mirror
// runtime/reference/ and runtime/cpu/: nn/conv.cc holds Conv in all three; device code sits
// beside its host file as x_impl.cu). Each runs f32 on the GPU and hands other cases to the
// reference kernel of the same op (kernel_util.h).
//
// Example:
//   KernelContext ctx(node, /*opset=*/17, {&x, &w}, /*num_threads=*/1);
//   RETURN_IF_ERROR(cuda::ConvKernel(ctx));   // Unavailable naming the node without a GPU
#ifndef TENSORPORT_RUNTIME_CUDA_KERNELS_H_
#define TENSORPORT_RUNTIME_CUDA_KERNELS_H_

#include "absl/status/status.h"
#include "runtime/kernel.h"

namespace tp {
namespace rt {
namespace cuda {

// math/binary.cc
absl::Status AddKernel(KernelContext& ctx);
absl::Status SubKernel(KernelContext& ctx);
absl::Status MulKernel(KernelContext& ctx);
absl::Status DivKernel(KernelContext& ctx);
absl::Status PowKernel(KernelContext& ctx);
absl::Status PReluKernel(KernelContext& ctx);
absl::Status MaxKernel(KernelContext& ctx);
absl::Status MinKernel(KernelContext& ctx);
absl::Status SumKernel(KernelContext& ctx);
absl::Status MeanKernel(KernelContext& ctx);
absl::Status EqualKernel(KernelContext& ctx);
absl::Status LessKernel(KernelContext& ctx);
absl::Status GreaterKernel(KernelContext& ctx);
absl::Status LessOrEqualKernel(KernelContext& ctx);
absl::Status GreaterOrEqualKernel(KernelContext& ctx);
absl::Status AndKernel(KernelContext& ctx);
absl::Status OrKernel(KernelContext& ctx);
absl::Status XorKernel(KernelContext& ctx);
absl::Status WhereKernel(KernelContext& ctx);

// math/gemm.cc
absl::Status GemmKernel(KernelContext& ctx);

// math/matmul.cc
absl::Status MatMulKernel(KernelContext& ctx);

// math/softmax.cc
absl::Status SoftmaxKernel(KernelContext& ctx);
absl::Status LogSoftmaxKernel(KernelContext& ctx);

// math/unary.cc
absl::Status SqrtKernel(KernelContext& ctx);
absl::Status ReciprocalKernel(KernelContext& ctx);
absl::Status ExpKernel(KernelContext& ctx);
absl::Status LogKernel(KernelContext& ctx);
absl::Status SinKernel(KernelContext& ctx);
absl::Status CosKernel(KernelContext& ctx);
absl::Status TanhKernel(KernelContext& ctx);
absl::Status SigmoidKernel(KernelContext& ctx);
absl::Status ErfKernel(KernelContext& ctx);
absl::Status SoftplusKernel(KernelContext& ctx);
absl::Status SoftsignKernel(KernelContext& ctx);
absl::Status FloorKernel(KernelContext& ctx);
absl::Status CeilKernel(KernelContext& ctx);
absl::Status HardSwishKernel(KernelContext& ctx);
absl::Status NegKernel(KernelContext& ctx);
absl::Status AbsKernel(KernelContext& ctx);
absl::Status ReluKernel(KernelContext& ctx);
absl::Status LeakyReluKernel(KernelContext& ctx);
absl::Status EluKernel(KernelContext& ctx);
absl::Status CeluKernel(KernelContext& ctx);
absl::Status SeluKernel(KernelContext& ctx);
absl::Status HardSigmoidKernel(KernelContext& ctx);
absl::Status GeluKernel(KernelContext& ctx);
absl::Status NotKernel(KernelContext& ctx);
absl::Status ClipKernel(KernelContext& ctx);
absl::Status IsNaNKernel(KernelContext& ctx);
absl::Status IsInfKernel(KernelContext& ctx);

// nn/conv.cc
absl::Status ConvKernel(KernelContext& ctx);
absl::Status ConvTransposeKernel(KernelContext& ctx);

// nn/normalization.cc
absl::Status LayerNormalizationKernel(KernelContext& ctx);
absl::Status InstanceNormalizationKernel(KernelContext& ctx);
absl::Status BatchNormalizationKernel(KernelContext& ctx);

// reduction/reduce.cc
absl::Status ReduceSumKernel(KernelContext& ctx);
absl::Status ReduceMeanKernel(KernelContext& ctx);
absl::Status ReduceMaxKernel(KernelContext& ctx);
absl::Status ReduceMinKernel(KernelContext& ctx);
absl::Status ReduceProdKernel(KernelContext& ctx);
absl::Status ReduceL1Kernel(KernelContext& ctx);
absl::Status ReduceL2Kernel(KernelContext& ctx);
absl::Status ReduceSumSquareKernel(KernelContext& ctx);
absl::Status ReduceLogSumKernel(KernelContext& ctx);
absl::Status ReduceLogSumExpKernel(KernelContext& ctx);

// rnn/rnn.cc
absl::Status LstmKernel(KernelContext& ctx);

// tensor/concat.cc
absl::Status ConcatKernel(KernelContext& ctx);

// tensor/expand.cc
absl::Status ExpandKernel(KernelContext& ctx);

// tensor/gather.cc
absl::Status GatherKernel(KernelContext& ctx);

// tensor/pad.cc
absl::Status PadKernel(KernelContext& ctx);

// tensor/slice.cc
absl::Status SliceKernel(KernelContext& ctx);

// tensor/transpose.cc
absl::Status TransposeKernel(KernelContext& ctx);

}  // namespace cuda
}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_CUDA_KERNELS_H_
