// LSTM on the GPU (default activations, no peepholes or clip: other cases go to the reference
// kernel): input projections as one cuBLAS GEMM, then one GEMM and one cell kernel per step.

#include <vector>

#include "core/status_macros.h"
#include "runtime/cuda/cuda_context.h"
#include "runtime/cuda/device_api.h"
#include "runtime/cuda/kernel_util.h"
#include "runtime/cuda/kernels.h"
#include "runtime/cuda/rnn/lstm_impl.h"
#include "runtime/reference/kernels.h"
#include "runtime/reference/rnn/rnn_params.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace cuda {
namespace {

bool DefaultActivations(const RnnParams& p) {
  for (const std::vector<RnnActivation>& dir : p.activations) {
    if (dir.size() != 3 || dir[0].kind != RnnActivation::kSigmoid ||
        dir[1].kind != RnnActivation::kTanh || dir[2].kind != RnnActivation::kTanh) {
      return false;
    }
  }
  return true;
}

absl::Status LstmGpu(KernelContext& ctx, const KernelFn& fb) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* w, ctx.Input(1));
  ASSIGN_OR_RETURN(const Tensor* r, ctx.Input(2));
  const Tensor* b = ctx.OptionalInput(3);
  const Tensor* h0 = ctx.OptionalInput(5);
  const Tensor* c0 = ctx.OptionalInput(6);
  if (!AllF32({x, w, r}) || (b != nullptr && !AllF32({b})) || (h0 != nullptr && !AllF32({h0})) ||
      (c0 != nullptr && !AllF32({c0})) || ctx.HasInput(7) || ctx.GetInt("input_forget", 0) != 0) {
    return RunFallback(ctx, fb);
  }
  absl::StatusOr<RnnParams> p_or = ResolveRnn(ctx, RnnKind::kLstm);
  if (!p_or.ok()) return RunFallback(ctx, fb);
  const RnnParams& p = *p_or;
  bool full_length = true;
  for (int64_t len : p.lengths) full_length = full_length && len == p.seq_len;
  if (p.layout != 0 || p.clip != 0 || !DefaultActivations(p) || !full_length ||
      p.seq_len == 0 || p.batch == 0 || p.hidden == 0) {
    return RunFallback(ctx, fb);
  }
  const int dirs = p.num_directions;
  const int64_t seq = p.seq_len, batch = p.batch, in = p.input_size, hid = p.hidden;
  if (w->num_elements() != dirs * 4 * hid * in || r->num_elements() != dirs * 4 * hid * hid ||
      (b != nullptr && b->num_elements() != dirs * 8 * hid) ||
      (h0 != nullptr && h0->num_elements() != dirs * batch * hid) ||
      (c0 != nullptr && c0->num_elements() != dirs * batch * hid)) {
    return RunFallback(ctx, fb);
  }
  RETURN_IF_ERROR(CudaReady(ctx));
  ASSIGN_OR_RETURN(void* handle, CublasHandle(ctx));
  ASSIGN_OR_RETURN(DeviceBuffer dx, Upload(ctx, *x));
  ASSIGN_OR_RETURN(DeviceBuffer dw, Upload(ctx, *w));
  ASSIGN_OR_RETURN(DeviceBuffer dr, Upload(ctx, *r));
  DeviceBuffer db;
  if (b != nullptr) {
    ASSIGN_OR_RETURN(db, Upload(ctx, *b));
  }
  const int64_t state = batch * hid;
  // h and c of every direction, [dirs, batch, hidden]: they end as Y_h and Y_c.
  ASSIGN_OR_RETURN(DeviceBuffer dh, DeviceBuffer::Allocate(ctx, dirs * state * 4));
  ASSIGN_OR_RETURN(DeviceBuffer dc, DeviceBuffer::Allocate(ctx, dirs * state * 4));
  if (h0 != nullptr) {
    ASSIGN_OR_RETURN(Tensor packed, h0->Contiguous());
    RETURN_IF_ERROR(CudaCheck(ctx, CopyToDevice(dh.get(), packed.data(), dirs * state * 4),
                              "initial_h copy"));
  } else {
    RETURN_IF_ERROR(CudaCheck(ctx, FillZero(dh.get(), dirs * state * 4), "zero fill"));
  }
  if (c0 != nullptr) {
    ASSIGN_OR_RETURN(Tensor packed, c0->Contiguous());
    RETURN_IF_ERROR(CudaCheck(ctx, CopyToDevice(dc.get(), packed.data(), dirs * state * 4),
                              "initial_c copy"));
  } else {
    RETURN_IF_ERROR(CudaCheck(ctx, FillZero(dc.get(), dirs * state * 4), "zero fill"));
  }
  ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, seq * dirs * state * 4));
  ASSIGN_OR_RETURN(DeviceBuffer xw, DeviceBuffer::Allocate(ctx, seq * batch * 4 * hid * 4));
  ASSIGN_OR_RETURN(DeviceBuffer hr, DeviceBuffer::Allocate(ctx, batch * 4 * hid * 4));
  for (int d = 0; d < dirs; ++d) {
    const float* wd = dw.as<float>() + d * 4 * hid * in;
    const float* rd = dr.as<float>() + d * 4 * hid * hid;
    const float* wb = b != nullptr ? db.as<float>() + d * 8 * hid : nullptr;
    const float* rb = b != nullptr ? wb + 4 * hid : nullptr;
    float* h = dh.as<float>() + d * state;
    float* c = dc.as<float>() + d * state;
    // XW [seq * batch, 4 * hidden] = X [seq * batch, input] x W_d^T.
    RETURN_IF_ERROR(CublasCheck(ctx,
                                BlasSgemm(handle, false, true, seq * batch, 4 * hid, in, 1.0f,
                                          dx.as<float>(), in, wd, in, 0.0f, xw.as<float>(),
                                          4 * hid),
                                "cublasSgemm (input projection)"));
    const bool reverse = p.Reverse(d);
    for (int64_t step = 0; step < seq; ++step) {
      const int64_t t = reverse ? seq - 1 - step : step;
      RETURN_IF_ERROR(CublasCheck(ctx,
                                  BlasSgemm(handle, false, true, batch, 4 * hid, hid, 1.0f, h, hid,
                                            rd, hid, 0.0f, hr.as<float>(), 4 * hid),
                                  "cublasSgemm (recurrence)"));
      RETURN_IF_ERROR(CudaCheck(
          ctx,
          LaunchLstmGates(xw.as<float>() + t * batch * 4 * hid, hr.as<float>(), wb, rb, c, h,
                          dy.as<float>() + (t * dirs + d) * state, batch, hid),
          "LSTM gate kernel"));
    }
  }
  if (ctx.WantsOutput(0)) {
    ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, DType::kF32, p.YShape()));
    ctx.SetOutput(0, std::move(y));
  }
  if (ctx.WantsOutput(1)) {
    ASSIGN_OR_RETURN(Tensor y, Download(ctx, dh, DType::kF32, p.YhShape()));
    ctx.SetOutput(1, std::move(y));
  }
  if (ctx.WantsOutput(2)) {
    ASSIGN_OR_RETURN(Tensor y, Download(ctx, dc, DType::kF32, p.YhShape()));
    ctx.SetOutput(2, std::move(y));
  }
  RETURN_IF_ERROR(CudaCheck(ctx, Synchronize(), "LSTM"));
  return absl::OkStatus();
}

}  // namespace

absl::Status LstmKernel(KernelContext& ctx) {
  return LstmGpu(ctx, ref::LstmKernel);
}

}  // namespace cuda
}  // namespace rt
}  // namespace tp
