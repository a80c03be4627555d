#include "runtime/cuda/kernel_table.h"

#include <set>
#include <vector>

#include "runtime/cuda/cuda_context.h"
#include "runtime/cuda/kernel_util.h"
#include "runtime/cuda/kernels.h"
#include "runtime/reference/kernel_table.h"
#include "runtime/reference/kernels.h"

namespace tp {
namespace rt {

// Every op of the reference table at the same opsets: cuda:: entries run on the GPU
// (runtime/cuda/kernels.h; f32 there, other cases handed to the reference kernel), ref:: entries
// run the reference kernel on the host: shape arithmetic and metadata ops (tiny tensors read on
// the host anyway), and the ops without a GPU kernel yet. Opsets older than a GPU kernel's
// semantics (Pow before 7, Max/Min/Sum before multidirectional broadcasting, BatchNormalization
// 6) are listed as reference lines of their own.
const KernelTable& CudaKernelTable() {
  static const KernelTable* table = new KernelTable("cuda", {
      // domain, op, first opset, last opset, kernel
      {"", "Abs", 1, 18, cuda::AbsKernel},
      {"", "Acos", 7, 18, ref::AcosKernel},
      {"", "Acosh", 9, 18, ref::AcoshKernel},
      {"", "Add", 6, 18, cuda::AddKernel},
      {"", "And", 7, 18, cuda::AndKernel},
      {"", "ArgMax", 1, 18, ref::ArgMaxKernel},
      {"", "ArgMin", 1, 18, ref::ArgMinKernel},
      {"", "Asin", 7, 18, ref::AsinKernel},
      {"", "Asinh", 9, 18, ref::AsinhKernel},
      {"", "Atan", 7, 18, ref::AtanKernel},
      {"", "Atanh", 9, 18, ref::AtanhKernel},
      {"", "AveragePool", 1, 21, ref::AveragePoolKernel},
      {"", "BatchNormalization", 6, 6, ref::BatchNormalizationKernel},
      {"", "BatchNormalization", 7, 18, cuda::BatchNormalizationKernel},
      {"", "Bernoulli", 15, 18, ref::BernoulliKernel},
      {"", "BitShift", 11, 18, ref::BitShiftKernel},
      {"", "BlackmanWindow", 17, 18, ref::BlackmanWindowKernel},
      {"", "Cast", 6, 18, ref::CastKernel},
      {"", "CastLike", 15, 18, ref::CastLikeKernel},
      {"", "Ceil", 1, 18, cuda::CeilKernel},
      {"", "Celu", 12, 18, cuda::CeluKernel},
      {"", "Clip", 6, 18, cuda::ClipKernel},
      {"", "Compress", 9, 18, ref::CompressKernel},
      {"", "Concat", 4, 18, cuda::ConcatKernel},
      {"", "ConcatFromSequence", 11, 18, ref::ConcatFromSequenceKernel},
      {"", "Constant", 1, 18, ref::ConstantKernel},
      {"", "ConstantOfShape", 9, 18, ref::ConstantOfShapeKernel},
      {"", "Conv", 1, 21, cuda::ConvKernel},
      {"", "ConvInteger", 10, 18, ref::ConvIntegerKernel},
      {"", "ConvTranspose", 1, 21, cuda::ConvTransposeKernel},
      {"", "Cos", 7, 18, cuda::CosKernel},
      {"", "Cosh", 9, 18, ref::CoshKernel},
      {"", "CumSum", 11, 18, ref::CumSumKernel},
      {"", "DepthToSpace", 1, 18, ref::DepthToSpaceKernel},
      {"", "DequantizeLinear", 10, 18, ref::DequantizeLinearKernel},
      {"", "Det", 11, 18, ref::DetKernel},
      {"", "DFT", 17, 18, ref::DftKernel},
      {"", "Div", 6, 18, cuda::DivKernel},
      {"", "Dropout", 1, 18, ref::DropoutKernel},
      {"", "DynamicQuantizeLinear", 11, 18, ref::DynamicQuantizeLinearKernel},
      {"", "Einsum", 12, 21, ref::EinsumKernel},
      {"", "Elu", 1, 18, cuda::EluKernel},
      {"", "Equal", 7, 18, cuda::EqualKernel},
      {"", "Erf", 9, 18, cuda::ErfKernel},
      {"", "Exp", 1, 18, cuda::ExpKernel},
      {"", "Expand", 8, 18, cuda::ExpandKernel},
      {"", "EyeLike", 9, 18, ref::EyeLikeKernel},
      {"", "Flatten", 1, 18, ref::FlattenKernel},
      {"", "Floor", 1, 18, cuda::FloorKernel},
      {"", "Gather", 1, 18, cuda::GatherKernel},
      {"", "GatherElements", 11, 18, ref::GatherElementsKernel},
      {"", "GatherND", 11, 18, ref::GatherNDKernel},
      {"", "Gelu", 20, 20, cuda::GeluKernel},
      {"", "Gemm", 1, 21, cuda::GemmKernel},
      {"", "GlobalAveragePool", 1, 18, ref::GlobalAveragePoolKernel},
      {"", "GlobalLpPool", 1, 18, ref::GlobalLpPoolKernel},
      {"", "GlobalMaxPool", 1, 18, ref::GlobalMaxPoolKernel},
      {"", "Greater", 7, 18, cuda::GreaterKernel},
      {"", "GreaterOrEqual", 12, 18, cuda::GreaterOrEqualKernel},
      {"", "GridSample", 16, 18, ref::GridSampleKernel},
      {"", "GRU", 1, 21, ref::GruKernel},
      {"", "HammingWindow", 17, 18, ref::HammingWindowKernel},
      {"", "HannWindow", 17, 18, ref::HannWindowKernel},
      {"", "Hardmax", 1, 18, ref::HardmaxKernel},
      {"", "HardSigmoid", 1, 18, cuda::HardSigmoidKernel},
      {"", "HardSwish", 14, 18, cuda::HardSwishKernel},
      {"", "Identity", 1, 18, ref::IdentityKernel},
      {"", "If", 1, 18, ref::IfKernel},
      {"", "InstanceNormalization", 6, 18, cuda::InstanceNormalizationKernel},
      {"", "IsInf", 10, 18, cuda::IsInfKernel},
      {"", "IsNaN", 9, 18, cuda::IsNaNKernel},
      {"", "LayerNormalization", 17, 18, cuda::LayerNormalizationKernel},
      {"", "LeakyRelu", 1, 18, cuda::LeakyReluKernel},
      {"", "Less", 7, 18, cuda::LessKernel},
      {"", "LessOrEqual", 12, 18, cuda::LessOrEqualKernel},
      {"", "Log", 1, 18, cuda::LogKernel},
      {"", "LogSoftmax", 1, 18, cuda::LogSoftmaxKernel},
      {"", "Loop", 1, 18, ref::LoopKernel},
      {"", "LpNormalization", 1, 18, ref::LpNormalizationKernel},
      {"", "LpPool", 1, 18, ref::LpPoolKernel},
      {"", "LRN", 1, 18, ref::LrnKernel},
      {"", "LSTM", 1, 21, cuda::LstmKernel},
      {"", "MatMul", 1, 21, cuda::MatMulKernel},
      {"", "MatMulInteger", 10, 18, ref::MatMulIntegerKernel},
      {"", "Max", 6, 7, ref::MaxKernel},
      {"", "Max", 8, 18, cuda::MaxKernel},
      {"", "MaxPool", 1, 21, ref::MaxPoolKernel},
      {"", "MaxRoiPool", 1, 18, ref::MaxRoiPoolKernel},
      {"", "MaxUnpool", 9, 18, ref::MaxUnpoolKernel},
      {"", "Mean", 8, 18, cuda::MeanKernel},
      {"", "MeanVarianceNormalization", 9, 18, ref::MeanVarianceNormalizationKernel},
      {"", "MelWeightMatrix", 17, 18, ref::MelWeightMatrixKernel},
      {"", "Min", 6, 7, ref::MinKernel},
      {"", "Min", 8, 18, cuda::MinKernel},
      {"", "Mod", 10, 18, ref::ModKernel},
      {"", "Mul", 6, 18, cuda::MulKernel},
      {"", "Multinomial", 7, 18, ref::MultinomialKernel},
      {"", "Neg", 1, 18, cuda::NegKernel},
      {"", "NegativeLogLikelihoodLoss", 12, 18, ref::NegativeLogLikelihoodLossKernel},
      {"", "NonMaxSuppression", 10, 18, ref::NonMaxSuppressionKernel},
      {"", "NonZero", 9, 18, ref::NonZeroKernel},
      {"", "Not", 1, 18, cuda::NotKernel},
      {"", "OneHot", 9, 18, ref::OneHotKernel},
      {"", "Optional", 15, 18, ref::OptionalKernel},
      {"", "OptionalGetElement", 15, 18, ref::OptionalGetElementKernel},
      {"", "OptionalHasElement", 15, 18, ref::OptionalHasElementKernel},
      {"", "Or", 7, 18, cuda::OrKernel},
      {"", "Pad", 2, 18, cuda::PadKernel},
      {"", "Pow", 1, 6, ref::PowKernel},
      {"", "Pow", 7, 18, cuda::PowKernel},
      {"", "PRelu", 6, 18, cuda::PReluKernel},
      {"", "QLinearConv", 10, 18, ref::QLinearConvKernel},
      {"", "QLinearMatMul", 10, 18, ref::QLinearMatMulKernel},
      {"", "QuantizeLinear", 10, 18, ref::QuantizeLinearKernel},
      {"", "RandomNormal", 1, 18, ref::RandomNormalKernel},
      {"", "RandomNormalLike", 1, 18, ref::RandomNormalLikeKernel},
      {"", "RandomUniform", 1, 18, ref::RandomUniformKernel},
      {"", "RandomUniformLike", 1, 18, ref::RandomUniformLikeKernel},
      {"", "Range", 11, 18, ref::RangeKernel},
      {"", "Reciprocal", 1, 18, cuda::ReciprocalKernel},
      {"", "ReduceL1", 1, 18, cuda::ReduceL1Kernel},
      {"", "ReduceL2", 1, 18, cuda::ReduceL2Kernel},
      {"", "ReduceLogSum", 1, 18, cuda::ReduceLogSumKernel},
      {"", "ReduceLogSumExp", 1, 18, cuda::ReduceLogSumExpKernel},
      {"", "ReduceMax", 1, 18, cuda::ReduceMaxKernel},
      {"", "ReduceMean", 1, 18, cuda::ReduceMeanKernel},
      {"", "ReduceMin", 1, 18, cuda::ReduceMinKernel},
      {"", "ReduceProd", 1, 18, cuda::ReduceProdKernel},
      {"", "ReduceSum", 1, 18, cuda::ReduceSumKernel},
      {"", "ReduceSumSquare", 1, 18, cuda::ReduceSumSquareKernel},
      {"", "Relu", 1, 18, cuda::ReluKernel},
      {"", "Reshape", 1, 18, ref::ReshapeKernel},
      {"", "Resize", 10, 18, ref::ResizeKernel},
      {"", "ReverseSequence", 10, 18, ref::ReverseSequenceKernel},
      {"", "RNN", 1, 21, ref::RnnKernel},
      {"", "RoiAlign", 10, 18, ref::RoiAlignKernel},
      {"", "Round", 11, 18, ref::RoundKernel},
      {"", "Scan", 8, 18, ref::ScanKernel},
      {"", "Scatter", 9, 10, ref::ScatterElementsKernel},
      {"", "ScatterElements", 11, 18, ref::ScatterElementsKernel},
      {"", "ScatterND", 11, 18, ref::ScatterNDKernel},
      {"", "Selu", 1, 18, cuda::SeluKernel},
      {"", "SequenceAt", 11, 18, ref::SequenceAtKernel},
      {"", "SequenceConstruct", 11, 18, ref::SequenceConstructKernel},
      {"", "SequenceEmpty", 11, 18, ref::SequenceEmptyKernel},
      {"", "SequenceErase", 11, 18, ref::SequenceEraseKernel},
      {"", "SequenceInsert", 11, 18, ref::SequenceInsertKernel},
      {"", "SequenceLength", 11, 18, ref::SequenceLengthKernel},
      {"", "SequenceMap", 17, 18, ref::SequenceMapKernel},
      {"", "Shape", 1, 18, ref::ShapeKernel},
      {"", "Shrink", 9, 18, ref::ShrinkKernel},
      {"", "Sigmoid", 1, 18, cuda::SigmoidKernel},
      {"", "Sign", 9, 18, ref::SignKernel},
      {"", "Sin", 7, 18, cuda::SinKernel},
      {"", "Sinh", 9, 18, ref::SinhKernel},
      {"", "Size", 1, 18, ref::SizeKernel},
      {"", "Slice", 1, 18, cuda::SliceKernel},
      {"", "Softmax", 1, 18, cuda::SoftmaxKernel},
      {"", "SoftmaxCrossEntropyLoss", 12, 18, ref::SoftmaxCrossEntropyLossKernel},
      {"", "Softplus", 1, 18, cuda::SoftplusKernel},
      {"", "Softsign", 1, 18, cuda::SoftsignKernel},
      {"", "SpaceToDepth", 1, 18, ref::SpaceToDepthKernel},
      {"", "Split", 2, 18, ref::SplitKernel},
      {"", "SplitToSequence", 11, 18, ref::SplitToSequenceKernel},
      {"", "Sqrt", 1, 18, cuda::SqrtKernel},
      {"", "Squeeze", 1, 18, ref::SqueezeKernel},
      {"", "STFT", 17, 18, ref::StftKernel},
      {"", "Sub", 6, 18, cuda::SubKernel},
      {"", "Sum", 6, 7, ref::SumKernel},
      {"", "Sum", 8, 18, cuda::SumKernel},
      {"", "Tan", 7, 18, ref::TanKernel},
      {"", "Tanh", 1, 18, cuda::TanhKernel},
      {"", "TfIdfVectorizer", 9, 18, ref::TfIdfVectorizerKernel},
      {"", "ThresholdedRelu", 10, 18, ref::ThresholdedReluKernel},
      {"", "Tile", 6, 18, ref::TileKernel},
      {"", "TopK", 1, 18, ref::TopKKernel},
      {"", "Transpose", 1, 18, cuda::TransposeKernel},
      {"", "Trilu", 14, 18, ref::TriluKernel},
      {"", "Unique", 11, 18, ref::UniqueKernel},
      {"", "Unsqueeze", 1, 18, ref::UnsqueezeKernel},
      {"", "Upsample", 7, 9, ref::UpsampleKernel},
      {"", "Where", 9, 18, cuda::WhereKernel},
      {"", "Xor", 7, 18, cuda::XorKernel},
  });
  return *table;
}

namespace {

// Ops with at least one entry whose kernel is not the reference one (gpu = true), or with only
// reference entries (gpu = false).
std::vector<std::string> OpsWhere(bool gpu) {
  std::set<std::string> with_gpu, all;
  for (const KernelDef& k : CudaKernelTable().kernels()) {
    all.insert(k.op_type);
    const KernelDef* r = ReferenceKernelTable().Find(k.domain, k.op_type, k.since_version);
    if (r == nullptr || r->fn != k.fn) with_gpu.insert(k.op_type);
  }
  std::vector<std::string> out;
  for (const std::string& op : all) {
    if ((with_gpu.count(op) > 0) == gpu) out.push_back(op);
  }
  return out;
}

}  // namespace

const std::vector<std::string>& CudaGpuOps() {
  static const std::vector<std::string>* ops = new std::vector<std::string>(OpsWhere(true));
  return *ops;
}

const std::vector<std::string>& CudaReferenceOps() {
  static const std::vector<std::string>* ops = new std::vector<std::string>(OpsWhere(false));
  return *ops;
}

int64_t CudaFallbackCount() { return cuda::FallbackCount(); }

absl::Status CudaDeviceStatus() { return cuda::DeviceStatus(); }

}  // namespace rt
}  // namespace tp
