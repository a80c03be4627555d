// Unary cuda kernels: math functions and activations, Not, Clip, IsNaN / IsInf. f32 on the GPU
// (bool for Not); other element types go to the reference kernel.

#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "core/status_macros.h"
#include "runtime/cuda/cuda_context.h"
#include "runtime/cuda/kernel_util.h"
#include "runtime/cuda/kernels.h"
#include "runtime/cuda/math/elementwise_impl.h"
#include "runtime/reference/kernels.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace cuda {
namespace {

bool AllBool(std::initializer_list<const Tensor*> ts) {
  for (const Tensor* t : ts) {
    if (t == nullptr || t->dtype() != DType::kBool) return false;
  }
  return true;
}

using ParamsFn = std::function<UnaryParams(const KernelContext&)>;

CudaKernelFn Unary(UnaryOp op, ParamsFn params = nullptr) {
  return [op, params](KernelContext& ctx, const KernelFn& fb) -> absl::Status {
    ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
    if (!AllF32({x})) return RunFallback(ctx, fb);
    RETURN_IF_ERROR(CudaReady(ctx));
    const UnaryParams p = params ? params(ctx) : UnaryParams{};
    ASSIGN_OR_RETURN(DeviceBuffer dx, Upload(ctx, *x));
    ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, x->nbytes()));
    RETURN_IF_ERROR(CudaCheck(ctx,
                              LaunchUnaryF32(op, dx.as<float>(), dy.as<float>(),
                                             x->num_elements(), p),
                              "unary kernel"));
    ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, DType::kF32, x->shape()));
    ctx.SetOutput(0, std::move(y));
    return absl::OkStatus();
  };
}

ParamsFn Alpha(float default_alpha) {
  return [default_alpha](const KernelContext& ctx) {
    UnaryParams p;
    p.alpha = ctx.GetFloat("alpha", default_alpha);
    return p;
  };
}

absl::Status GeluGpu(KernelContext& ctx, const KernelFn& fb) {
  const std::string approx = ctx.GetString("approximate", "none");
  if (approx == "none") return Unary(UnaryOp::kGeluErf)(ctx, fb);
  if (approx == "tanh") return Unary(UnaryOp::kGeluTanh)(ctx, fb);
  return RunFallback(ctx, fb);
}

absl::Status NotGpu(KernelContext& ctx, const KernelFn& fb) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  if (!AllBool({x})) return RunFallback(ctx, fb);
  RETURN_IF_ERROR(CudaReady(ctx));
  ASSIGN_OR_RETURN(DeviceBuffer dx, Upload(ctx, *x));
  ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, x->num_elements()));
  RETURN_IF_ERROR(CudaCheck(
      ctx, LaunchNot(dx.as<uint8_t>(), dy.as<uint8_t>(), x->num_elements()),
      "not kernel"));
  ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, DType::kBool, x->shape()));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

// Clip: attributes min/max before opset 11, optional scalar inputs from 11 on.
absl::Status ClipGpu(KernelContext& ctx, const KernelFn& fb) {
  float lo = std::numeric_limits<float>::lowest(), hi = std::numeric_limits<float>::max();
  if (ctx.opset() < 11) {
    lo = ctx.GetFloat("min", lo);
    hi = ctx.GetFloat("max", hi);
  } else {
    for (int i : {1, 2}) {
      const Tensor* t = ctx.OptionalInput(i);
      if (t == nullptr) continue;
      if (t->dtype() != DType::kF32 || t->num_elements() != 1) return RunFallback(ctx, fb);
      ASSIGN_OR_RETURN(Tensor packed, t->Contiguous());
      (i == 1 ? lo : hi) = packed.data_as<float>()[0];
    }
  }
  return Unary(UnaryOp::kClip, [lo, hi](const KernelContext&) {
    UnaryParams p;
    p.alpha = lo;
    p.beta = hi;
    return p;
  })(ctx, fb);
}

absl::Status IsNaNGpu(KernelContext& ctx, const KernelFn& fb) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  if (!AllF32({x})) return RunFallback(ctx, fb);
  RETURN_IF_ERROR(CudaReady(ctx));
  ASSIGN_OR_RETURN(DeviceBuffer dx, Upload(ctx, *x));
  ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, x->num_elements()));
  RETURN_IF_ERROR(CudaCheck(
      ctx, LaunchIsNaNF32(dx.as<float>(), dy.as<uint8_t>(), x->num_elements()),
      "isnan kernel"));
  ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, DType::kBool, x->shape()));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status IsInfGpu(KernelContext& ctx, const KernelFn& fb) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  if (!AllF32({x})) return RunFallback(ctx, fb);
  RETURN_IF_ERROR(CudaReady(ctx));
  const bool pos = ctx.GetInt("detect_positive", 1) != 0;
  const bool neg = ctx.GetInt("detect_negative", 1) != 0;
  ASSIGN_OR_RETURN(DeviceBuffer dx, Upload(ctx, *x));
  ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, x->num_elements()));
  RETURN_IF_ERROR(CudaCheck(ctx,
                            LaunchIsInfF32(dx.as<float>(), dy.as<uint8_t>(), x->num_elements(),
                                           pos, neg),
                            "isinf kernel"));
  ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, DType::kBool, x->shape()));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace

absl::Status SqrtKernel(KernelContext& ctx) {
  return Unary(UnaryOp::kSqrt)(ctx, ref::SqrtKernel);
}
absl::Status ReciprocalKernel(KernelContext& ctx) {
  return Unary(UnaryOp::kReciprocal)(ctx, ref::ReciprocalKernel);
}
absl::Status ExpKernel(KernelContext& ctx) {
  return Unary(UnaryOp::kExp)(ctx, ref::ExpKernel);
}
absl::Status LogKernel(KernelContext& ctx) {
  return Unary(UnaryOp::kLog)(ctx, ref::LogKernel);
}
absl::Status SinKernel(KernelContext& ctx) {
  return Unary(UnaryOp::kSin)(ctx, ref::SinKernel);
}
absl::Status CosKernel(KernelContext& ctx) {
  return Unary(UnaryOp::kCos)(ctx, ref::CosKernel);
}
absl::Status TanhKernel(KernelContext& ctx) {
  return Unary(UnaryOp::kTanh)(ctx, ref::TanhKernel);
}
absl::Status SigmoidKernel(KernelContext& ctx) {
  return Unary(UnaryOp::kSigmoid)(ctx, ref::SigmoidKernel);
}
absl::Status ErfKernel(KernelContext& ctx) {
  return Unary(UnaryOp::kErf)(ctx, ref::ErfKernel);
}
absl::Status SoftplusKernel(KernelContext& ctx) {
  return Unary(UnaryOp::kSoftplus)(ctx, ref::SoftplusKernel);
}
absl::Status SoftsignKernel(KernelContext& ctx) {
  return Unary(UnaryOp::kSoftsign)(ctx, ref::SoftsignKernel);
}
absl::Status FloorKernel(KernelContext& ctx) {
  return Unary(UnaryOp::kFloor)(ctx, ref::FloorKernel);
}
absl::Status CeilKernel(KernelContext& ctx) {
  return Unary(UnaryOp::kCeil)(ctx, ref::CeilKernel);
}
absl::Status HardSwishKernel(KernelContext& ctx) {
  return Unary(UnaryOp::kHardSwish)(ctx, ref::HardSwishKernel);
}
absl::Status NegKernel(KernelContext& ctx) {
  return Unary(UnaryOp::kNeg)(ctx, ref::NegKernel);
}
absl::Status AbsKernel(KernelContext& ctx) {
  return Unary(UnaryOp::kAbs)(ctx, ref::AbsKernel);
}
absl::Status ReluKernel(KernelContext& ctx) {
  return Unary(UnaryOp::kRelu)(ctx, ref::ReluKernel);
}
absl::Status LeakyReluKernel(KernelContext& ctx) {
  return Unary(UnaryOp::kLeakyRelu, Alpha(0.01f))(ctx, ref::LeakyReluKernel);
}
absl::Status EluKernel(KernelContext& ctx) {
  return Unary(UnaryOp::kElu, Alpha(1.0f))(ctx, ref::EluKernel);
}
absl::Status CeluKernel(KernelContext& ctx) {
  return Unary(UnaryOp::kCelu, Alpha(1.0f))(ctx, ref::CeluKernel);
}
absl::Status SeluKernel(KernelContext& ctx) {
  UnaryParams p;
  p.alpha = ctx.GetFloat("alpha", 1.67326319217681884765625f);
  p.gamma = ctx.GetFloat("gamma", 1.05070102214813232421875f);
  return Unary(UnaryOp::kSelu, [p](const KernelContext&) { return p; })(ctx, ref::SeluKernel);
}
absl::Status HardSigmoidKernel(KernelContext& ctx) {
  UnaryParams p;
  p.alpha = ctx.GetFloat("alpha", 0.2f);
  p.beta = ctx.GetFloat("beta", 0.5f);
  return Unary(UnaryOp::kHardSigmoid, [p](const KernelContext&) { return p; })(
      ctx, ref::HardSigmoidKernel);
}
absl::Status GeluKernel(KernelContext& ctx) {
  return GeluGpu(ctx, ref::GeluKernel);
}
absl::Status NotKernel(KernelContext& ctx) {
  return NotGpu(ctx, ref::NotKernel);
}
absl::Status ClipKernel(KernelContext& ctx) {
  return ClipGpu(ctx, ref::ClipKernel);
}
absl::Status IsNaNKernel(KernelContext& ctx) {
  return IsNaNGpu(ctx, ref::IsNaNKernel);
}
absl::Status IsInfKernel(KernelContext& ctx) {
  return IsInfGpu(ctx, ref::IsInfKernel);
}

}  // namespace cuda
}  // namespace rt
}  // namespace tp
