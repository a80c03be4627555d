// The cpu backend's fused kernels, run only for nodes that runtime/fusion.h's rewrites created
// (domain kFusedDomain, never in a model file): MatMulBias (one GEMM whose output starts as the
// bias), LayerNormLastAxis (mean, variance, normalization and optional scale / bias in one pass
// per row), GeluErf (0.5 * x * (1 + erf(x / sqrt2)) in one loop), HardSwish (the opset-13
// pattern), the oneDNN convolutions with their epilogues and the blocked layout's ops. Float32 only: the fusion pass only
// builds them over float32 values. Each computes what the primitive-op chain it replaces
// computes, in the same float32 arithmetic order where that is cheap (LayerNorm: float mean,
// float squares summed as the cpu ReduceMean sums, division by the float sqrt).
//
// Example:
//   const KernelDef* k = FusedKernelTable().Find(kFusedDomain, "GeluErf", 1);
#ifndef TENSORPORT_RUNTIME_CPU_FUSED_KERNELS_H_
#define TENSORPORT_RUNTIME_CPU_FUSED_KERNELS_H_

#include "absl/status/status.h"
#include "runtime/kernel.h"

namespace tp {
namespace rt {
namespace cpu {

// Kernels for the fused ops (domain "tensorport.fused", any opset). Call only when
// CpuFastKernelsEnabled(): they are compiled for AVX2/FMA.
const KernelTable& FusedKernelTable();

// fused_conv.cc: convolutions on oneDNN with a fused epilogue (runtime/rewrite/conv_epilogue.h).
absl::Status FusedConvKernel(KernelContext& ctx);
absl::Status FusedConvTransposeKernel(KernelContext& ctx);

// blocked_kernels.cc: the blocked layout's ops (runtime/rewrite/blocked_layout.h).
absl::Status ToPlainKernel(KernelContext& ctx);
absl::Status BlockedGlobalPoolKernel(KernelContext& ctx);
absl::Status BlockedPoolKernel(KernelContext& ctx);
absl::Status BlockedResizeKernel(KernelContext& ctx);
absl::Status BlockedChannelAffineKernel(KernelContext& ctx);

}  // namespace cpu
}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_CPU_FUSED_KERNELS_H_
