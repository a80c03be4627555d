#include "runtime/cuda/kernel_table.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/cuda/cuda_context.h"
#include "runtime/cuda/kernels.h"
#include "runtime/reference/kernel_table.h"

namespace tp {
namespace rt {
namespace {

// Ops that run the reference kernel on the host, with the reference's opset ranges: shape
// arithmetic and metadata ops (their tensors are tiny and read on the host anyway), and the
// ops without a GPU kernel yet.
const char* const kReferenceOps[] = {
    // Element-wise math outside the audio/TTS exports' hot paths.
    "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Round", "Sign",
    "ThresholdedRelu", "Mod", "Cast", "CastLike",
    // Shape and metadata ops: no data movement worth a device round trip.
    "Identity", "Dropout", "Reshape", "Unsqueeze", "Squeeze", "Flatten", "Shape", "Size",
    "Constant", "ConstantOfShape", "Range",
    // Data movement and the rest not (yet) on the GPU.
    "Split", "GatherElements", "ScatterND", "Tile", "Trilu", "CumSum", "ArgMax", "ArgMin",
    "Hardmax", "Resize", "Upsample", "GRU", "MaxPool", "AveragePool", "Einsum",
    "GlobalAveragePool", "GlobalMaxPool", "LRN", "MeanVarianceNormalization", "DepthToSpace",
    "SpaceToDepth", "GatherND", "ScatterElements", "Scatter", "Compress", "NonZero", "OneHot",
    "TopK", "ReverseSequence", "EyeLike", "BitShift", "Shrink", "BlackmanWindow",
    "HammingWindow", "HannWindow", "DFT", "STFT", "NegativeLogLikelihoodLoss",
    "SoftmaxCrossEntropyLoss", "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear",
};

std::vector<cuda::CudaKernelDef> GpuDefs() {
  std::vector<cuda::CudaKernelDef> all;
  for (auto group : {cuda::CudaElementwiseKernels, cuda::CudaMatMulKernels,
                     cuda::CudaConvKernels, cuda::CudaNormKernels, cuda::CudaReduceKernels,
                     cuda::CudaLayoutKernels, cuda::CudaLstmKernels}) {
    for (cuda::CudaKernelDef& d : group()) all.push_back(std::move(d));
  }
  return all;
}

}  // namespace

const KernelTable& CudaKernelTable() {
  static const KernelTable* table = [] {
    const KernelTable& ref = ReferenceKernelTable();
    std::vector<KernelDef> kernels;
    for (cuda::CudaKernelDef& d : GpuDefs()) {
      const std::string op = d.op_type;
      // The reference kernel for the node's own opset, looked up when a case needs it.
      KernelFn fallback = [&ref, op](KernelContext& ctx) -> absl::Status {
        const KernelDef* k = ref.Find("", op, ctx.opset());
        if (k == nullptr) {
          return ctx.Error(absl::StatusCode::kUnimplemented,
                           absl::StrCat("no reference kernel for ", op, " at opset ",
                                        ctx.opset(), " to handle this case"));
        }
        return k->fn(ctx);
      };
      // A reference kernel whose range starts before the GPU kernel's and reaches into it
      // (Pow from opset 1, Max/Min/Sum from 6) covers the older opsets through the fallback.
      int since = d.since_version;
      for (const KernelDef& k : ref.kernels()) {
        if (k.domain.empty() && k.op_type == op && k.until_version >= d.since_version) {
          since = std::min(since, k.since_version);
        }
      }
      const int gpu_since = d.since_version;
      cuda::CudaKernelFn fn = std::move(d.fn);
      kernels.push_back(KernelDef{"", op, since, d.until_version,
                                  [fn, fallback, gpu_since](KernelContext& ctx) {
                                    if (ctx.opset() < gpu_since) {
                                      return cuda::RunFallback(ctx, fallback);
                                    }
                                    return fn(ctx, fallback);
                                  }});
    }
    // Opset ranges of a GPU op older than its GPU kernel's (e.g. Max/Min/Sum before
    // multidirectional broadcasting) run the reference kernel.
    const size_t num_gpu = kernels.size();
    for (const KernelDef& k : ref.kernels()) {
      bool gpu_op = false, overlaps = false;
      for (size_t i = 0; i < num_gpu; ++i) {
        if (kernels[i].op_type != k.op_type) continue;
        gpu_op = true;
        overlaps = overlaps || (kernels[i].since_version <= k.until_version &&
                                k.since_version <= kernels[i].until_version);
      }
      if (gpu_op && !overlaps && k.domain.empty()) kernels.push_back(k);
    }
    for (const char* op : kReferenceOps) {
      for (const KernelDef& k : ref.kernels()) {
        if (k.domain.empty() && k.op_type == op) kernels.push_back(k);
      }
    }
    return new KernelTable("cuda", std::move(kernels));
  }();
  return *table;
}

const std::vector<std::string>& CudaGpuOps() {
  static const std::vector<std::string>* ops = [] {
    std::set<std::string> names;
    for (const cuda::CudaKernelDef& d : GpuDefs()) names.insert(d.op_type);
    return new std::vector<std::string>(names.begin(), names.end());
  }();
  return *ops;
}

const std::vector<std::string>& CudaReferenceOps() {
  static const std::vector<std::string>* ops =
      new std::vector<std::string>(std::begin(kReferenceOps), std::end(kReferenceOps));
  return *ops;
}

int64_t CudaFallbackCount() { return cuda::FallbackCount(); }

absl::Status CudaDeviceStatus() { return cuda::DeviceStatus(); }

}  // namespace rt
}  // namespace tp
