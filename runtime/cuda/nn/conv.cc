// Conv and ConvTranspose on the GPU: im2col / col2im kernels + cuBLAS GEMM per group; 1x1
// convolutions straight as GEMM.

#include <vector>

#include "core/status_macros.h"
#include "runtime/cuda/cuda_context.h"
#include "runtime/cuda/device_api.h"
#include "runtime/cuda/kernel_util.h"
#include "runtime/cuda/kernels.h"
#include "runtime/cuda/nn/conv_impl.h"
#include "runtime/reference/kernels.h"
#include "runtime/reference/nn/conv_params.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace cuda {
namespace {

// For ConvTranspose the "image" side that col2im indexes as `in` is X, as in ConvParams.
bool ToGeometry(const ConvParams& p, ConvGeometry* g) {
  const int nd = p.spatial_rank();
  if (nd < 1 || nd > kMaxConvDims) return false;
  g->nd = nd;
  for (int d = 0; d < nd; ++d) {
    g->in[d] = p.in_spatial[d];
    g->out[d] = p.out_spatial[d];
    g->kernel[d] = p.kernel[d];
    g->stride[d] = p.strides[d];
    g->dilation[d] = p.dilations[d];
    g->pad[d] = p.pads_begin[d];
    if (g->stride[d] <= 0) return false;
  }
  return true;
}

bool IsPointwise(const ConvGeometry& g) {
  for (int d = 0; d < g.nd; ++d) {
    if (g.kernel[d] != 1 || g.stride[d] != 1 || g.pad[d] != 0 || g.in[d] != g.out[d]) {
      return false;
    }
  }
  return true;
}

absl::Status ConvGpu(KernelContext& ctx, const KernelFn& fb) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* w, ctx.Input(1));
  const Tensor* b = ctx.OptionalInput(2);
  if (!AllF32({x, w}) || (b != nullptr && !AllF32({b}))) return RunFallback(ctx, fb);
  absl::StatusOr<ConvParams> p_or = ResolveConv(ctx, x->shape(), w->shape());
  ConvGeometry g;
  if (!p_or.ok() || !ToGeometry(*p_or, &g)) return RunFallback(ctx, fb);
  const ConvParams& p = *p_or;
  if (b != nullptr && b->num_elements() != p.c_out) return RunFallback(ctx, fb);
  RETURN_IF_ERROR(CudaReady(ctx));
  const int64_t ks = p.KernelSize(), os = p.OutSpatialSize(), is = p.InSpatialSize();
  const int64_t cg = p.c_in / p.group, mg = p.c_out / p.group;
  const Shape out = p.OutputShape();
  const int64_t out_bytes = p.batch * p.c_out * os * 4;
  ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, out_bytes));
  if (out_bytes > 0) {
    ASSIGN_OR_RETURN(void* h, CublasHandle(ctx));
    ASSIGN_OR_RETURN(DeviceBuffer dx, Upload(ctx, *x));
    ASSIGN_OR_RETURN(DeviceBuffer dw, Upload(ctx, *w));
    const bool pointwise = IsPointwise(g);
    DeviceBuffer col;
    if (!pointwise) {
      ASSIGN_OR_RETURN(col, DeviceBuffer::Allocate(ctx, p.c_in * ks * os * 4));
    }
    for (int64_t n = 0; n < p.batch; ++n) {
      const float* xn = dx.as<float>() + n * p.c_in * is;
      const float* cols = xn;
      if (!pointwise) {
        RETURN_IF_ERROR(
            CudaCheck(ctx, LaunchIm2Col(xn, col.as<float>(), p.c_in, g), "im2col kernel"));
        cols = col.as<float>();
      }
      // Per group: Y_g [mg, os] = W_g [mg, cg * ks] x col_g [cg * ks, os].
      RETURN_IF_ERROR(CublasCheck(
          ctx,
          BlasSgemmStridedBatched(h, false, false, mg, os, cg * ks, 1.0f, dw.as<float>(), cg * ks,
                                  mg * cg * ks, cols, os, cg * ks * os, 0.0f,
                                  dy.as<float>() + n * p.c_out * os, os, mg * os, p.group),
          "cublasSgemmStridedBatched"));
    }
    if (b != nullptr) {
      ASSIGN_OR_RETURN(DeviceBuffer db, Upload(ctx, *b));
      RETURN_IF_ERROR(CudaCheck(
          ctx, LaunchAddChannelBias(dy.as<float>(), db.as<float>(), p.batch, p.c_out, os),
          "bias kernel"));
    }
  }
  ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, DType::kF32, out));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status ConvTransposeGpu(KernelContext& ctx, const KernelFn& fb) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* w, ctx.Input(1));
  const Tensor* b = ctx.OptionalInput(2);
  if (!AllF32({x, w}) || (b != nullptr && !AllF32({b}))) return RunFallback(ctx, fb);
  absl::StatusOr<ConvParams> p_or = ResolveConvTranspose(ctx, x->shape(), w->shape());
  ConvGeometry g;
  if (!p_or.ok() || !ToGeometry(*p_or, &g)) return RunFallback(ctx, fb);
  const ConvParams& p = *p_or;
  if (b != nullptr && b->num_elements() != p.c_out) return RunFallback(ctx, fb);
  RETURN_IF_ERROR(CudaReady(ctx));
  // col2im's "in" is X's spatial extent and its "out" Y's: the ConvGeometry names hold.
  const int64_t ks = p.KernelSize(), os = p.OutSpatialSize(), is = p.InSpatialSize();
  const int64_t cg = p.c_in / p.group, mg = p.c_out / p.group;
  const Shape out = p.OutputShape();
  const int64_t out_bytes = p.batch * p.c_out * os * 4;
  ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, out_bytes));
  if (out_bytes > 0) {
    ASSIGN_OR_RETURN(void* h, CublasHandle(ctx));
    ASSIGN_OR_RETURN(DeviceBuffer dx, Upload(ctx, *x));
    ASSIGN_OR_RETURN(DeviceBuffer dw, Upload(ctx, *w));
    DeviceBuffer db;
    if (b != nullptr) {
      ASSIGN_OR_RETURN(db, Upload(ctx, *b));
    }
    ASSIGN_OR_RETURN(DeviceBuffer col, DeviceBuffer::Allocate(ctx, p.c_out * ks * is * 4));
    if (cg == 0 || is == 0) {
      RETURN_IF_ERROR(CudaCheck(ctx, FillZero(col.get(), p.c_out * ks * is * 4), "zero fill"));
    }
    for (int64_t n = 0; n < p.batch; ++n) {
      if (cg > 0 && is > 0) {
        // Per group: col_g [mg * ks, is] = W_g^T ([cg, mg * ks] transposed) x X_g [cg, is].
        RETURN_IF_ERROR(CublasCheck(
            ctx,
            BlasSgemmStridedBatched(h, true, false, mg * ks, is, cg, 1.0f, dw.as<float>(),
                                    mg * ks, cg * mg * ks, dx.as<float>() + n * p.c_in * is, is,
                                    cg * is, 0.0f, col.as<float>(), is, mg * ks * is, p.group),
            "cublasSgemmStridedBatched"));
      }
      RETURN_IF_ERROR(CudaCheck(ctx,
                                LaunchCol2Im(col.as<float>(), db.as<float>(),
                                             dy.as<float>() + n * p.c_out * os, p.c_out, g),
                                "col2im kernel"));
    }
  }
  ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, DType::kF32, out));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace

absl::Status ConvKernel(KernelContext& ctx) {
  return ConvGpu(ctx, ref::ConvKernel);
}
absl::Status ConvTransposeKernel(KernelContext& ctx) {
  return ConvTransposeGpu(ctx, ref::ConvTransposeKernel);
}

}  // namespace cuda
}  // namespace rt
}  // namespace tp
