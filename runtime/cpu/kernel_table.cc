// Compiled without AVX flags: it decides whether the AVX2/FMA code of the fast kernels may run.
#include "runtime/cpu/kernel_table.h"

#include <vector>

#include "runtime/cpu/kernels.h"
#include "runtime/reference/kernel_table.h"
#include "runtime/reference/kernels.h"

namespace tp {
namespace rt {
namespace {

// Every op of the reference table at the same opsets: cpu:: entries are the fast float32
// kernels (runtime/cpu/kernels.h), ref:: entries run the reference kernel unchanged.
std::vector<KernelDef> CpuKernels() {
  return {
      // domain, op, first opset, last opset, kernel
      {"", "Abs", 1, 18, cpu::AbsKernel},
      {"", "Acos", 7, 18, ref::AcosKernel},
      {"", "Acosh", 9, 18, ref::AcoshKernel},
      {"", "Add", 6, 18, cpu::AddKernel},
      {"", "And", 7, 18, ref::AndKernel},
      {"", "ArgMax", 1, 18, cpu::ArgMaxKernel},
      {"", "ArgMin", 1, 18, cpu::ArgMinKernel},
      {"", "Asin", 7, 18, ref::AsinKernel},
      {"", "Asinh", 9, 18, ref::AsinhKernel},
      {"", "Atan", 7, 18, ref::AtanKernel},
      {"", "Atanh", 9, 18, ref::AtanhKernel},
      {"", "AveragePool", 1, 21, cpu::AveragePoolKernel},
      {"", "BatchNormalization", 6, 18, cpu::BatchNormalizationKernel},
      {"", "Bernoulli", 15, 18, ref::BernoulliKernel},
      {"", "BitShift", 11, 18, ref::BitShiftKernel},
      {"", "BlackmanWindow", 17, 18, ref::BlackmanWindowKernel},
      {"", "Cast", 6, 18, cpu::CastKernel},
      {"", "CastLike", 15, 18, cpu::CastLikeKernel},
      {"", "Ceil", 1, 18, cpu::CeilKernel},
      {"", "Celu", 12, 18, cpu::CeluKernel},
      {"", "Clip", 6, 18, cpu::ClipKernel},
      {"", "Compress", 9, 18, ref::CompressKernel},
      {"", "Concat", 4, 18, cpu::ConcatKernel},
      {"", "ConcatFromSequence", 11, 18, ref::ConcatFromSequenceKernel},
      {"", "Constant", 1, 18, ref::ConstantKernel},
      {"", "ConstantOfShape", 9, 18, ref::ConstantOfShapeKernel},
      {"", "Conv", 1, 21, cpu::ConvKernel},
      {"", "ConvInteger", 10, 18, ref::ConvIntegerKernel},
      {"", "ConvTranspose", 1, 21, cpu::ConvTransposeKernel},
      {"", "Cos", 7, 18, cpu::CosKernel},
      {"", "Cosh", 9, 18, ref::CoshKernel},
      {"", "CumSum", 11, 18, ref::CumSumKernel},
      {"", "DepthToSpace", 1, 18, cpu::DepthToSpaceKernel},
      {"", "DequantizeLinear", 10, 18, ref::DequantizeLinearKernel},
      {"", "Det", 11, 18, ref::DetKernel},
      {"", "DFT", 17, 18, ref::DftKernel},
      {"", "Div", 6, 18, cpu::DivKernel},
      {"", "Dropout", 1, 18, ref::DropoutKernel},
      {"", "DynamicQuantizeLinear", 11, 18, ref::DynamicQuantizeLinearKernel},
      {"", "Einsum", 12, 21, ref::EinsumKernel},
      {"", "Elu", 1, 18, cpu::EluKernel},
      {"", "Equal", 7, 18, cpu::EqualKernel},
      {"", "Erf", 9, 18, cpu::ErfKernel},
      {"", "Exp", 1, 18, cpu::ExpKernel},
      {"", "Expand", 8, 18, cpu::ExpandKernel},
      {"", "EyeLike", 9, 18, ref::EyeLikeKernel},
      {"", "Flatten", 1, 18, ref::FlattenKernel},
      {"", "Floor", 1, 18, cpu::FloorKernel},
      {"", "Gather", 1, 18, cpu::GatherKernel},
      {"", "GatherElements", 11, 18, ref::GatherElementsKernel},
      {"", "GatherND", 11, 18, ref::GatherNDKernel},
      {"", "Gelu", 20, 20, cpu::GeluKernel},
      {"", "Gemm", 1, 21, cpu::GemmKernel},
      {"", "GlobalAveragePool", 1, 18, cpu::GlobalAveragePoolKernel},
      {"", "GlobalLpPool", 1, 18, ref::GlobalLpPoolKernel},
      {"", "GlobalMaxPool", 1, 18, cpu::GlobalMaxPoolKernel},
      {"", "Greater", 7, 18, cpu::GreaterKernel},
      {"", "GreaterOrEqual", 12, 18, cpu::GreaterOrEqualKernel},
      {"", "GridSample", 16, 18, ref::GridSampleKernel},
      {"", "GRU", 1, 21, cpu::GruKernel},
      {"", "HammingWindow", 17, 18, ref::HammingWindowKernel},
      {"", "HannWindow", 17, 18, ref::HannWindowKernel},
      {"", "Hardmax", 1, 18, ref::HardmaxKernel},
      {"", "HardSigmoid", 1, 18, cpu::HardSigmoidKernel},
      {"", "HardSwish", 14, 18, cpu::HardSwishKernel},
      {"", "Identity", 1, 18, ref::IdentityKernel},
      {"", "If", 1, 18, ref::IfKernel},
      {"", "InstanceNormalization", 6, 18, cpu::InstanceNormalizationKernel},
      {"", "IsInf", 10, 18, ref::IsInfKernel},
      {"", "IsNaN", 9, 18, ref::IsNaNKernel},
      {"", "LayerNormalization", 17, 18, cpu::LayerNormalizationKernel},
      {"", "LeakyRelu", 1, 18, cpu::LeakyReluKernel},
      {"", "Less", 7, 18, cpu::LessKernel},
      {"", "LessOrEqual", 12, 18, cpu::LessOrEqualKernel},
      {"", "Log", 1, 18, cpu::LogKernel},
      {"", "LogSoftmax", 1, 18, cpu::LogSoftmaxKernel},
      {"", "Loop", 1, 18, ref::LoopKernel},
      {"", "LpNormalization", 1, 18, ref::LpNormalizationKernel},
      {"", "LpPool", 1, 18, ref::LpPoolKernel},
      {"", "LRN", 1, 18, ref::LrnKernel},
      {"", "LSTM", 1, 21, cpu::LstmKernel},
      {"", "MatMul", 1, 21, cpu::MatMulKernel},
      {"", "MatMulInteger", 10, 18, ref::MatMulIntegerKernel},
      {"", "Max", 6, 18, cpu::MaxKernel},
      {"", "MaxPool", 1, 21, cpu::MaxPoolKernel},
      {"", "MaxRoiPool", 1, 18, ref::MaxRoiPoolKernel},
      {"", "MaxUnpool", 9, 18, ref::MaxUnpoolKernel},
      {"", "Mean", 8, 18, cpu::MeanKernel},
      {"", "MeanVarianceNormalization", 9, 18, ref::MeanVarianceNormalizationKernel},
      {"", "MelWeightMatrix", 17, 18, ref::MelWeightMatrixKernel},
      {"", "Min", 6, 18, cpu::MinKernel},
      {"", "Mod", 10, 18, ref::ModKernel},
      {"", "Mul", 6, 18, cpu::MulKernel},
      {"", "Multinomial", 7, 18, ref::MultinomialKernel},
      {"", "Neg", 1, 18, cpu::NegKernel},
      {"", "NegativeLogLikelihoodLoss", 12, 18, ref::NegativeLogLikelihoodLossKernel},
      {"", "NonMaxSuppression", 10, 18, ref::NonMaxSuppressionKernel},
      {"", "NonZero", 9, 18, ref::NonZeroKernel},
      {"", "Not", 1, 18, ref::NotKernel},
      {"", "OneHot", 9, 18, ref::OneHotKernel},
      {"", "Optional", 15, 18, ref::OptionalKernel},
      {"", "OptionalGetElement", 15, 18, ref::OptionalGetElementKernel},
      {"", "OptionalHasElement", 15, 18, ref::OptionalHasElementKernel},
      {"", "Or", 7, 18, ref::OrKernel},
      {"", "Pad", 2, 18, cpu::PadKernel},
      {"", "Pow", 1, 18, cpu::PowKernel},
      {"", "PRelu", 6, 18, cpu::PReluKernel},
      {"", "QLinearConv", 10, 18, ref::QLinearConvKernel},
      {"", "QLinearMatMul", 10, 18, ref::QLinearMatMulKernel},
      {"", "QuantizeLinear", 10, 18, ref::QuantizeLinearKernel},
      {"", "RandomNormal", 1, 18, ref::RandomNormalKernel},
      {"", "RandomNormalLike", 1, 18, ref::RandomNormalLikeKernel},
      {"", "RandomUniform", 1, 18, ref::RandomUniformKernel},
      {"", "RandomUniformLike", 1, 18, ref::RandomUniformLikeKernel},
      {"", "Range", 11, 18, ref::RangeKernel},
      {"", "Reciprocal", 1, 18, cpu::ReciprocalKernel},
      {"", "ReduceL1", 1, 18, cpu::ReduceL1Kernel},
      {"", "ReduceL2", 1, 18, cpu::ReduceL2Kernel},
      {"", "ReduceLogSum", 1, 18, cpu::ReduceLogSumKernel},
      {"", "ReduceLogSumExp", 1, 18, cpu::ReduceLogSumExpKernel},
      {"", "ReduceMax", 1, 18, cpu::ReduceMaxKernel},
      {"", "ReduceMean", 1, 18, cpu::ReduceMeanKernel},
      {"", "ReduceMin", 1, 18, cpu::ReduceMinKernel},
      {"", "ReduceProd", 1, 18, cpu::ReduceProdKernel},
      {"", "ReduceSum", 1, 18, cpu::ReduceSumKernel},
      {"", "ReduceSumSquare", 1, 18, cpu::ReduceSumSquareKernel},
      {"", "Relu", 1, 18, cpu::ReluKernel},
      {"", "Reshape", 1, 18, ref::ReshapeKernel},
      {"", "Resize", 10, 18, cpu::ResizeKernel},
      {"", "ReverseSequence", 10, 18, ref::ReverseSequenceKernel},
      {"", "RNN", 1, 21, cpu::RnnKernel},
      {"", "RoiAlign", 10, 18, ref::RoiAlignKernel},
      {"", "Round", 11, 18, cpu::RoundKernel},
      {"", "Scan", 8, 18, ref::ScanKernel},
      {"", "Scatter", 9, 10, ref::ScatterElementsKernel},
      {"", "ScatterElements", 11, 18, ref::ScatterElementsKernel},
      {"", "ScatterND", 11, 18, ref::ScatterNDKernel},
      {"", "Selu", 1, 18, cpu::SeluKernel},
      {"", "SequenceAt", 11, 18, ref::SequenceAtKernel},
      {"", "SequenceConstruct", 11, 18, ref::SequenceConstructKernel},
      {"", "SequenceEmpty", 11, 18, ref::SequenceEmptyKernel},
      {"", "SequenceErase", 11, 18, ref::SequenceEraseKernel},
      {"", "SequenceInsert", 11, 18, ref::SequenceInsertKernel},
      {"", "SequenceLength", 11, 18, ref::SequenceLengthKernel},
      {"", "SequenceMap", 17, 18, ref::SequenceMapKernel},
      {"", "Shape", 1, 18, ref::ShapeKernel},
      {"", "Shrink", 9, 18, cpu::ShrinkKernel},
      {"", "Sigmoid", 1, 18, cpu::SigmoidKernel},
      {"", "Sign", 9, 18, cpu::SignKernel},
      {"", "Sin", 7, 18, cpu::SinKernel},
      {"", "Sinh", 9, 18, ref::SinhKernel},
      {"", "Size", 1, 18, ref::SizeKernel},
      {"", "Slice", 1, 18, cpu::SliceKernel},
      {"", "Softmax", 1, 18, cpu::SoftmaxKernel},
      {"", "SoftmaxCrossEntropyLoss", 12, 18, ref::SoftmaxCrossEntropyLossKernel},
      {"", "Softplus", 1, 18, cpu::SoftplusKernel},
      {"", "Softsign", 1, 18, cpu::SoftsignKernel},
      {"", "SpaceToDepth", 1, 18, cpu::SpaceToDepthKernel},
      {"", "Split", 2, 18, cpu::SplitKernel},
      {"", "SplitToSequence", 11, 18, ref::SplitToSequenceKernel},
      {"", "Sqrt", 1, 18, cpu::SqrtKernel},
      {"", "Squeeze", 1, 18, ref::SqueezeKernel},
      {"", "STFT", 17, 18, ref::StftKernel},
      {"", "Sub", 6, 18, cpu::SubKernel},
      {"", "Sum", 6, 18, cpu::SumKernel},
      {"", "Tan", 7, 18, ref::TanKernel},
      {"", "Tanh", 1, 18, cpu::TanhKernel},
      {"", "TfIdfVectorizer", 9, 18, ref::TfIdfVectorizerKernel},
      {"", "ThresholdedRelu", 10, 18, cpu::ThresholdedReluKernel},
      {"", "Tile", 6, 18, cpu::TileKernel},
      {"", "TopK", 1, 18, ref::TopKKernel},
      {"", "Transpose", 1, 18, cpu::TransposeKernel},
      {"", "Trilu", 14, 18, ref::TriluKernel},
      {"", "Unique", 11, 18, ref::UniqueKernel},
      {"", "Unsqueeze", 1, 18, ref::UnsqueezeKernel},
      {"", "Upsample", 7, 9, cpu::UpsampleKernel},
      {"", "Where", 9, 18, cpu::WhereKernel},
      {"", "Xor", 7, 18, ref::XorKernel},
  };
}

}  // namespace

bool CpuFastKernelsEnabled() {
  static const bool enabled =
      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
      __builtin_cpu_supports("f16c");
  return enabled;
}

const KernelTable& CpuKernelTable() {
  static const KernelTable* table = [] {
    std::vector<KernelDef> kernels = CpuKernels();
    if (!CpuFastKernelsEnabled()) {
      // No AVX2/FMA/F16C: the reference kernel of the same op and opsets, never an illegal
      // instruction.
      for (KernelDef& k : kernels) k.fn = ReferenceKernelTable().Find(k.domain, k.op_type,
                                                                       k.since_version)->fn;
    }
    return new KernelTable("cpu", std::move(kernels));
  }();
  return *table;
}

}  // namespace rt
}  // namespace tp
