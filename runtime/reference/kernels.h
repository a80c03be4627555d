// Every kernel of the reference backend, one function per op, grouped by the file that defines
// it (folders as ONNX Runtime's CPU provider: math/, nn/, rnn/, reduction/, tensor/, generator/,
// signal/, controlflow/, sequence/, object_detection/, quantization/). The kernel tables
// (reference/kernel_table.cc, and the cpu and cuda tables for the ops they take from here) name
// these functions.
//
// Reference kernels are written to be obviously right: plain loops over the ONNX definitions,
// sums accumulated in double, no threads.
//
// Example:
//   KernelContext ctx(node, /*opset=*/17, {&x, &w, &b}, /*num_threads=*/1);
//   RETURN_IF_ERROR(ref::ConvKernel(ctx));   // ctx.outputs()[0] holds Y
#ifndef TENSORPORT_RUNTIME_REFERENCE_KERNELS_H_
#define TENSORPORT_RUNTIME_REFERENCE_KERNELS_H_

#include "absl/status/status.h"
#include "runtime/kernel.h"

namespace tp {
namespace rt {
namespace ref {

// controlflow/if.cc
absl::Status IfKernel(KernelContext& ctx);

// controlflow/loop.cc
absl::Status LoopKernel(KernelContext& ctx);

// controlflow/scan.cc
absl::Status ScanKernel(KernelContext& ctx);

// controlflow/sequence_map.cc
absl::Status SequenceMapKernel(KernelContext& ctx);

// generator/constant.cc
absl::Status ConstantKernel(KernelContext& ctx);
absl::Status ConstantOfShapeKernel(KernelContext& ctx);
absl::Status RangeKernel(KernelContext& ctx);
absl::Status EyeLikeKernel(KernelContext& ctx);

// generator/random.cc
absl::Status RandomNormalKernel(KernelContext& ctx);
absl::Status RandomUniformKernel(KernelContext& ctx);
absl::Status RandomNormalLikeKernel(KernelContext& ctx);
absl::Status RandomUniformLikeKernel(KernelContext& ctx);
absl::Status BernoulliKernel(KernelContext& ctx);
absl::Status MultinomialKernel(KernelContext& ctx);

// math/binary.cc
absl::Status AddKernel(KernelContext& ctx);
absl::Status SubKernel(KernelContext& ctx);
absl::Status MulKernel(KernelContext& ctx);
absl::Status DivKernel(KernelContext& ctx);
absl::Status MaxKernel(KernelContext& ctx);
absl::Status MinKernel(KernelContext& ctx);
absl::Status SumKernel(KernelContext& ctx);
absl::Status MeanKernel(KernelContext& ctx);
absl::Status ModKernel(KernelContext& ctx);
absl::Status PowKernel(KernelContext& ctx);
absl::Status PReluKernel(KernelContext& ctx);
absl::Status EqualKernel(KernelContext& ctx);
absl::Status LessKernel(KernelContext& ctx);
absl::Status GreaterKernel(KernelContext& ctx);
absl::Status LessOrEqualKernel(KernelContext& ctx);
absl::Status GreaterOrEqualKernel(KernelContext& ctx);
absl::Status AndKernel(KernelContext& ctx);
absl::Status OrKernel(KernelContext& ctx);
absl::Status XorKernel(KernelContext& ctx);
absl::Status BitShiftKernel(KernelContext& ctx);
absl::Status WhereKernel(KernelContext& ctx);

// math/cumsum.cc
absl::Status CumSumKernel(KernelContext& ctx);

// math/det.cc
absl::Status DetKernel(KernelContext& ctx);

// math/einsum.cc
absl::Status EinsumKernel(KernelContext& ctx);

// math/gemm.cc
absl::Status GemmKernel(KernelContext& ctx);

// math/matmul.cc
absl::Status MatMulKernel(KernelContext& ctx);

// math/softmax.cc
absl::Status SoftmaxKernel(KernelContext& ctx);
absl::Status LogSoftmaxKernel(KernelContext& ctx);
absl::Status HardmaxKernel(KernelContext& ctx);

// math/top_k.cc
absl::Status TopKKernel(KernelContext& ctx);

// math/unary.cc
absl::Status SqrtKernel(KernelContext& ctx);
absl::Status ReciprocalKernel(KernelContext& ctx);
absl::Status ExpKernel(KernelContext& ctx);
absl::Status LogKernel(KernelContext& ctx);
absl::Status SinKernel(KernelContext& ctx);
absl::Status CosKernel(KernelContext& ctx);
absl::Status TanKernel(KernelContext& ctx);
absl::Status AsinKernel(KernelContext& ctx);
absl::Status AcosKernel(KernelContext& ctx);
absl::Status AtanKernel(KernelContext& ctx);
absl::Status SinhKernel(KernelContext& ctx);
absl::Status CoshKernel(KernelContext& ctx);
absl::Status AsinhKernel(KernelContext& ctx);
absl::Status AcoshKernel(KernelContext& ctx);
absl::Status AtanhKernel(KernelContext& ctx);
absl::Status TanhKernel(KernelContext& ctx);
absl::Status ErfKernel(KernelContext& ctx);
absl::Status FloorKernel(KernelContext& ctx);
absl::Status CeilKernel(KernelContext& ctx);
absl::Status RoundKernel(KernelContext& ctx);
absl::Status NegKernel(KernelContext& ctx);
absl::Status AbsKernel(KernelContext& ctx);
absl::Status SignKernel(KernelContext& ctx);
absl::Status SigmoidKernel(KernelContext& ctx);
absl::Status SoftplusKernel(KernelContext& ctx);
absl::Status SoftsignKernel(KernelContext& ctx);
absl::Status HardSwishKernel(KernelContext& ctx);
absl::Status ReluKernel(KernelContext& ctx);
absl::Status LeakyReluKernel(KernelContext& ctx);
absl::Status EluKernel(KernelContext& ctx);
absl::Status CeluKernel(KernelContext& ctx);
absl::Status SeluKernel(KernelContext& ctx);
absl::Status HardSigmoidKernel(KernelContext& ctx);
absl::Status ThresholdedReluKernel(KernelContext& ctx);
absl::Status GeluKernel(KernelContext& ctx);
absl::Status IsNaNKernel(KernelContext& ctx);
absl::Status IsInfKernel(KernelContext& ctx);
absl::Status NotKernel(KernelContext& ctx);
absl::Status ClipKernel(KernelContext& ctx);
absl::Status ShrinkKernel(KernelContext& ctx);

// nn/conv.cc
absl::Status ConvKernel(KernelContext& ctx);
absl::Status ConvTransposeKernel(KernelContext& ctx);

// nn/dropout.cc
absl::Status DropoutKernel(KernelContext& ctx);

// nn/loss.cc
absl::Status NegativeLogLikelihoodLossKernel(KernelContext& ctx);
absl::Status SoftmaxCrossEntropyLossKernel(KernelContext& ctx);

// nn/normalization.cc
absl::Status LayerNormalizationKernel(KernelContext& ctx);
absl::Status InstanceNormalizationKernel(KernelContext& ctx);
absl::Status BatchNormalizationKernel(KernelContext& ctx);
absl::Status LrnKernel(KernelContext& ctx);
absl::Status MeanVarianceNormalizationKernel(KernelContext& ctx);
absl::Status LpNormalizationKernel(KernelContext& ctx);

// nn/pool.cc
absl::Status MaxUnpoolKernel(KernelContext& ctx);
absl::Status MaxPoolKernel(KernelContext& ctx);
absl::Status AveragePoolKernel(KernelContext& ctx);
absl::Status LpPoolKernel(KernelContext& ctx);
absl::Status GlobalAveragePoolKernel(KernelContext& ctx);
absl::Status GlobalMaxPoolKernel(KernelContext& ctx);
absl::Status GlobalLpPoolKernel(KernelContext& ctx);

// nn/tfidf_vectorizer.cc
absl::Status TfIdfVectorizerKernel(KernelContext& ctx);

// object_detection/non_max_suppression.cc
absl::Status NonMaxSuppressionKernel(KernelContext& ctx);

// object_detection/roi_align.cc
absl::Status RoiAlignKernel(KernelContext& ctx);

// object_detection/roi_pool.cc
absl::Status MaxRoiPoolKernel(KernelContext& ctx);

// optional/optional_ops.cc
absl::Status OptionalKernel(KernelContext& ctx);
absl::Status OptionalHasElementKernel(KernelContext& ctx);
absl::Status OptionalGetElementKernel(KernelContext& ctx);

// quantization/conv_integer.cc
absl::Status ConvIntegerKernel(KernelContext& ctx);
absl::Status QLinearConvKernel(KernelContext& ctx);

// quantization/matmul_integer.cc
absl::Status MatMulIntegerKernel(KernelContext& ctx);
absl::Status QLinearMatMulKernel(KernelContext& ctx);

// quantization/quantize_linear.cc
absl::Status QuantizeLinearKernel(KernelContext& ctx);
absl::Status DequantizeLinearKernel(KernelContext& ctx);
absl::Status DynamicQuantizeLinearKernel(KernelContext& ctx);

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
absl::Status LstmKernel(KernelContext& ctx);
absl::Status GruKernel(KernelContext& ctx);

// sequence/sequence_ops.cc
absl::Status SequenceEmptyKernel(KernelContext& ctx);
absl::Status SequenceConstructKernel(KernelContext& ctx);
absl::Status SequenceInsertKernel(KernelContext& ctx);
absl::Status SequenceAtKernel(KernelContext& ctx);
absl::Status SequenceEraseKernel(KernelContext& ctx);
absl::Status SequenceLengthKernel(KernelContext& ctx);
absl::Status SplitToSequenceKernel(KernelContext& ctx);
absl::Status ConcatFromSequenceKernel(KernelContext& ctx);

// signal/dft.cc
absl::Status DftKernel(KernelContext& ctx);
absl::Status StftKernel(KernelContext& ctx);

// signal/mel_weight_matrix.cc
absl::Status MelWeightMatrixKernel(KernelContext& ctx);

// signal/window_functions.cc
absl::Status HannWindowKernel(KernelContext& ctx);
absl::Status HammingWindowKernel(KernelContext& ctx);
absl::Status BlackmanWindowKernel(KernelContext& ctx);

// tensor/cast.cc
absl::Status CastKernel(KernelContext& ctx);
absl::Status CastLikeKernel(KernelContext& ctx);

// tensor/compress.cc
absl::Status CompressKernel(KernelContext& ctx);
absl::Status NonZeroKernel(KernelContext& ctx);
absl::Status ReverseSequenceKernel(KernelContext& ctx);

// tensor/concat.cc
absl::Status ConcatKernel(KernelContext& ctx);

// tensor/expand.cc
absl::Status ExpandKernel(KernelContext& ctx);
absl::Status TileKernel(KernelContext& ctx);

// tensor/gather.cc
absl::Status GatherKernel(KernelContext& ctx);
absl::Status GatherElementsKernel(KernelContext& ctx);
absl::Status GatherNDKernel(KernelContext& ctx);

// tensor/grid_sample.cc
absl::Status GridSampleKernel(KernelContext& ctx);

// tensor/onehot.cc
absl::Status OneHotKernel(KernelContext& ctx);

// tensor/pad.cc
absl::Status PadKernel(KernelContext& ctx);

// tensor/reshape.cc
absl::Status IdentityKernel(KernelContext& ctx);
absl::Status ReshapeKernel(KernelContext& ctx);
absl::Status UnsqueezeKernel(KernelContext& ctx);
absl::Status SqueezeKernel(KernelContext& ctx);
absl::Status FlattenKernel(KernelContext& ctx);
absl::Status ShapeKernel(KernelContext& ctx);
absl::Status SizeKernel(KernelContext& ctx);

// tensor/resize.cc
absl::Status ResizeKernel(KernelContext& ctx);
absl::Status UpsampleKernel(KernelContext& ctx);

// tensor/scatter.cc
absl::Status ScatterNDKernel(KernelContext& ctx);
absl::Status ScatterElementsKernel(KernelContext& ctx);

// tensor/slice.cc
absl::Status SliceKernel(KernelContext& ctx);

// tensor/space_depth.cc
absl::Status DepthToSpaceKernel(KernelContext& ctx);
absl::Status SpaceToDepthKernel(KernelContext& ctx);

// tensor/split.cc
absl::Status SplitKernel(KernelContext& ctx);

// tensor/transpose.cc
absl::Status TransposeKernel(KernelContext& ctx);

// tensor/trilu.cc
absl::Status TriluKernel(KernelContext& ctx);

// tensor/unique.cc
absl::Status UniqueKernel(KernelContext& ctx);

}  // namespace ref
}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_REFERENCE_KERNELS_H_
