// The cpu backend's fast kernels, grouped by the file that defines them (folders mirror
// runtime/reference/: nn/conv.cc holds Conv in both). Float32 only: any other dtype is handed to
// the reference kernel of the same op, so results never depend on which dtype took the fast path.
// Every fast kernel is checked against its reference kernel (differential_test.cc).
//
// These translation units are compiled with AVX2/FMA/F16C (see BUILD.bazel); kernel_table.cc
// only lists them after checking that the CPU has those.
//
// Example:
//   KernelContext ctx(node, /*opset=*/17, {&x, &w}, /*num_threads=*/2);
//   RETURN_IF_ERROR(cpu::ConvKernel(ctx));
#ifndef TENSORPORT_RUNTIME_CPU_KERNELS_H_
#define TENSORPORT_RUNTIME_CPU_KERNELS_H_

#include "absl/status/status.h"
#include "runtime/kernel.h"

namespace tp {
namespace rt {
namespace cpu {

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
absl::Status WhereKernel(KernelContext& ctx);

// math/gemm.cc
absl::Status GemmKernel(KernelContext& ctx);

// math/matmul.cc
absl::Status MatMulKernel(KernelContext& ctx);

// math/softmax.cc
absl::Status SoftmaxKernel(KernelContext& ctx);
absl::Status LogSoftmaxKernel(KernelContext& ctx);

// math/unary.cc
absl::Status ReluKernel(KernelContext& ctx);
absl::Status LeakyReluKernel(KernelContext& ctx);
absl::Status SigmoidKernel(KernelContext& ctx);
absl::Status TanhKernel(KernelContext& ctx);
absl::Status ErfKernel(KernelContext& ctx);
absl::Status ExpKernel(KernelContext& ctx);
absl::Status SqrtKernel(KernelContext& ctx);
absl::Status NegKernel(KernelContext& ctx);
absl::Status AbsKernel(KernelContext& ctx);
absl::Status ReciprocalKernel(KernelContext& ctx);
absl::Status LogKernel(KernelContext& ctx);
absl::Status SinKernel(KernelContext& ctx);
absl::Status CosKernel(KernelContext& ctx);
absl::Status FloorKernel(KernelContext& ctx);
absl::Status CeilKernel(KernelContext& ctx);
absl::Status RoundKernel(KernelContext& ctx);
absl::Status SignKernel(KernelContext& ctx);
absl::Status HardSigmoidKernel(KernelContext& ctx);
absl::Status HardSwishKernel(KernelContext& ctx);
absl::Status ClipKernel(KernelContext& ctx);
absl::Status EluKernel(KernelContext& ctx);
absl::Status CeluKernel(KernelContext& ctx);
absl::Status SeluKernel(KernelContext& ctx);
absl::Status SoftplusKernel(KernelContext& ctx);
absl::Status SoftsignKernel(KernelContext& ctx);
absl::Status ThresholdedReluKernel(KernelContext& ctx);
absl::Status ShrinkKernel(KernelContext& ctx);
absl::Status GeluKernel(KernelContext& ctx);

// nn/conv.cc
absl::Status ConvKernel(KernelContext& ctx);
absl::Status ConvTransposeKernel(KernelContext& ctx);
// Conv on the im2col + GEMM path alone (what ConvKernel runs where oneDNN does not): for the
// kernel-library benchmark and the differential test.
absl::Status ConvIm2colKernel(KernelContext& ctx);
absl::Status ConvTransposeCol2imKernel(KernelContext& ctx);

// nn/pool.cc
absl::Status MaxPoolKernel(KernelContext& ctx);
absl::Status AveragePoolKernel(KernelContext& ctx);
absl::Status GlobalAveragePoolKernel(KernelContext& ctx);
absl::Status GlobalMaxPoolKernel(KernelContext& ctx);

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
absl::Status ArgMaxKernel(KernelContext& ctx);
absl::Status ArgMinKernel(KernelContext& ctx);

// rnn/rnn.cc
absl::Status RnnKernel(KernelContext& ctx);
absl::Status GruKernel(KernelContext& ctx);
absl::Status LstmKernel(KernelContext& ctx);

// tensor/concat.cc, split.cc, slice.cc, gather.cc, expand.cc, pad.cc, space_depth.cc,
// transpose.cc (every plain dtype: they move bytes, tensor/copy.h)
absl::Status ConcatKernel(KernelContext& ctx);
absl::Status SplitKernel(KernelContext& ctx);
absl::Status SliceKernel(KernelContext& ctx);
absl::Status GatherKernel(KernelContext& ctx);
absl::Status ExpandKernel(KernelContext& ctx);
absl::Status TileKernel(KernelContext& ctx);
absl::Status PadKernel(KernelContext& ctx);
absl::Status DepthToSpaceKernel(KernelContext& ctx);
absl::Status SpaceToDepthKernel(KernelContext& ctx);
absl::Status TransposeKernel(KernelContext& ctx);

// tensor/resize.cc
absl::Status ResizeKernel(KernelContext& ctx);
absl::Status UpsampleKernel(KernelContext& ctx);

// tensor/cast.cc
absl::Status CastKernel(KernelContext& ctx);
absl::Status CastLikeKernel(KernelContext& ctx);

}  // namespace cpu
}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_CPU_KERNELS_H_
