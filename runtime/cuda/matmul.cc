// MatMul and Gemm on cuBLAS (f32, FP32 math). MatMul's NumPy batching maps to one GEMM when B
// is shared by every batch (the batch folds into M), one strided-batched GEMM when both
// operands are plain stacks or one is shared, and one GEMM per batch otherwise.
#include <vector>

#include "core/status_macros.h"
#include "runtime/cuda/cuda_context.h"
#include "runtime/cuda/device_api.h"
#include "runtime/cuda/kernels.h"
#include "runtime/cuda/layout_impl.h"
#include "runtime/reference/nn_params.h"

namespace tp {
namespace rt {
namespace cuda {
namespace {

constexpr int M = 21;  // nn_params follows ONNX 1.15's nn op semantics

// Stride between consecutive batch matrices when batch[i] == i * step for one step (0 or 1).
bool UniformStep(const std::vector<int64_t>& batch, int64_t* step) {
  if (batch.empty()) {
    *step = 0;
    return true;
  }
  const int64_t s = batch.size() > 1 ? batch[1] - batch[0] : 0;
  if (batch[0] != 0 || (s != 0 && s != 1)) return false;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (batch[i] != static_cast<int64_t>(i) * s) return false;
  }
  *step = s;
  return true;
}

absl::Status MatMulKernel(KernelContext& ctx, const KernelFn& fb) {
  ASSIGN_OR_RETURN(const Tensor* a, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* b, ctx.Input(1));
  if (!AllF32({a, b})) return RunFallback(ctx, fb);
  absl::StatusOr<MatMulPlan> plan_or = PlanMatMul(ctx, a->shape(), b->shape());
  if (!plan_or.ok()) return RunFallback(ctx, fb);
  const MatMulPlan& p = *plan_or;
  RETURN_IF_ERROR(CudaReady(ctx));
  ASSIGN_OR_RETURN(int64_t out_n, NumElements(p.out_shape));
  ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, out_n * 4));
  const int64_t batch = static_cast<int64_t>(p.a_batch.size());
  if (out_n > 0 && p.k == 0) {
    RETURN_IF_ERROR(CudaCheck(ctx, FillZero(dy.get(), out_n * 4), "zero fill"));
  } else if (out_n > 0) {
    ASSIGN_OR_RETURN(void* h, CublasHandle(ctx));
    ASSIGN_OR_RETURN(DeviceBuffer da, Upload(ctx, *a));
    ASSIGN_OR_RETURN(DeviceBuffer db, Upload(ctx, *b));
    const float* pa = da.as<float>();
    const float* pb = db.as<float>();
    float* py = dy.as<float>();
    int64_t sa, sb;
    const bool uniform = UniformStep(p.a_batch, &sa) && UniformStep(p.b_batch, &sb);
    if (uniform && sa == 1 && sb == 0) {
      // Every batch shares B: [batch * m, k] x [k, n].
      RETURN_IF_ERROR(CublasCheck(ctx,
                                  BlasSgemm(h, false, false, batch * p.m, p.n, p.k, 1.0f, pa, p.k,
                                            pb, p.n, 0.0f, py, p.n),
                                  "cublasSgemm"));
    } else if (uniform) {
      RETURN_IF_ERROR(CublasCheck(
          ctx,
          BlasSgemmStridedBatched(h, false, false, p.m, p.n, p.k, 1.0f, pa, p.k, sa * p.m * p.k,
                                  pb, p.n, sb * p.k * p.n, 0.0f, py, p.n, p.m * p.n, batch),
          "cublasSgemmStridedBatched"));
    } else {
      for (int64_t i = 0; i < batch; ++i) {
        RETURN_IF_ERROR(CublasCheck(
            ctx,
            BlasSgemm(h, false, false, p.m, p.n, p.k, 1.0f, pa + p.a_batch[i] * p.m * p.k, p.k,
                      pb + p.b_batch[i] * p.k * p.n, p.n, 0.0f, py + i * p.m * p.n, p.n),
            "cublasSgemm"));
      }
    }
  }
  ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, DType::kF32, p.out_shape));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status GemmKernel(KernelContext& ctx, const KernelFn& fb) {
  ASSIGN_OR_RETURN(const Tensor* a, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* b, ctx.Input(1));
  const Tensor* c = ctx.OptionalInput(2);
  if (!AllF32({a, b}) || (c != nullptr && !AllF32({c}))) return RunFallback(ctx, fb);
  absl::StatusOr<GemmParams> p_or = ResolveGemm(ctx, a->shape(), b->shape(), c);
  if (!p_or.ok()) return RunFallback(ctx, fb);
  const GemmParams& p = *p_or;
  RETURN_IF_ERROR(CudaReady(ctx));
  const Shape out = {p.m, p.n};
  ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, p.m * p.n * 4));
  float beta = 0.0f;
  if (p.has_c && p.m * p.n > 0) {
    // Y = C broadcast to [m, n], then the GEMM accumulates onto it with beta.
    ASSIGN_OR_RETURN(DeviceBuffer dc, Upload(ctx, *c));
    StridedShape s;
    s.rank = 2;
    s.dims[0] = p.m;
    s.dims[1] = p.n;
    s.strides[0][0] = p.c_row_stride;
    s.strides[0][1] = p.c_col_stride;
    s.strides[1][0] = p.n;
    s.strides[1][1] = 1;
    RETURN_IF_ERROR(CudaCheck(ctx, LaunchStridedCopy(dc.get(), 0, dy.get(), 0, 4, s),
                              "bias broadcast kernel"));
    beta = static_cast<float>(p.beta);
  }
  if (p.m * p.n > 0) {
    if (p.k == 0) {
      if (!p.has_c) RETURN_IF_ERROR(CudaCheck(ctx, FillZero(dy.get(), p.m * p.n * 4), "zero fill"));
      if (p.has_c && p.beta != 1.0) return RunFallback(ctx, fb);
    } else {
      ASSIGN_OR_RETURN(void* h, CublasHandle(ctx));
      ASSIGN_OR_RETURN(DeviceBuffer da, Upload(ctx, *a));
      ASSIGN_OR_RETURN(DeviceBuffer db, Upload(ctx, *b));
      const int64_t lda = p.trans_a ? p.m : p.k;
      const int64_t ldb = p.trans_b ? p.k : p.n;
      RETURN_IF_ERROR(CublasCheck(ctx,
                                  BlasSgemm(h, p.trans_a, p.trans_b, p.m, p.n, p.k,
                                            static_cast<float>(p.alpha), da.as<float>(), lda,
                                            db.as<float>(), ldb, beta, dy.as<float>(), p.n),
                                  "cublasSgemm"));
    }
  }
  ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, DType::kF32, out));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace

std::vector<CudaKernelDef> CudaMatMulKernels() {
  return {{"MatMul", 1, M, MatMulKernel}, {"Gemm", 1, M, GemmKernel}};
}

}  // namespace cuda
}  // namespace rt
}  // namespace tp
