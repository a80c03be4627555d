// Fast float32 Resize (opset 10+) and Upsample (opset 7-9) over the taps of
// reference/tensor/resize_params.h (every mode and coordinate transformation the reference
// takes): when only the last two axes are resized (images, spectrograms) each output row sums
// its row taps times its column taps; otherwise a general loop over the per-axis taps. Weights
// are the reference's, rounded to float.
#include <algorithm>
#include <vector>

#include "core/status_macros.h"
#include "core/tensor.h"
#include "runtime/cpu/cpu_util.h"
#include "runtime/cpu/kernels.h"
#include "runtime/cpu/thread_pool.h"
#include "runtime/reference/tensor/resize_params.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace cpu {
namespace {

struct FTap {
  int64_t index;
  float weight;
};

std::vector<std::vector<FTap>> FloatTaps(const ResizeAxisPlan& a) {
  std::vector<std::vector<FTap>> out;
  for (const auto& taps : a.taps) {
    std::vector<FTap> t;
    for (const ResizeTap& tap : taps) t.push_back({tap.index, static_cast<float>(tap.weight)});
    out.push_back(std::move(t));
  }
  return out;
}

absl::Status Run(KernelContext& ctx, const char* op) {
  if (!AllF32(ctx, {0})) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(const Tensor* x_in, ctx.Input(0));
  ASSIGN_OR_RETURN(ResizePlan plan, ResolveResize(ctx, op, ctx.opset(), x_in->shape()));
  const int rank = x_in->rank();
  ASSIGN_OR_RETURN(Tensor x, x_in->Contiguous());
  Tensor y = Tensor::Uninitialized(DType::kF32, plan.out);
  if (y.num_elements() == 0) {
    ctx.SetOutput(0, std::move(y));
    return absl::OkStatus();
  }
  bool outside = false;
  for (const ResizeAxisPlan& a : plan.axes) {
    for (bool o : a.outside) outside = outside || o;
  }
  bool leading_identity = rank >= 1;
  for (int d = 0; d + 2 < rank; ++d) leading_identity = leading_identity && plan.axes[d].identity;
  const float* xp = x.data_as<float>();
  float* yp = y.mutable_data_as<float>();
  if (leading_identity && !outside) {
    // planes x [h, w] (a rank-1 tensor is one plane of one row).
    const int64_t ih = rank >= 2 ? x.shape()[rank - 2] : 1, iw = x.shape()[rank - 1];
    const int64_t oh = rank >= 2 ? plan.out[rank - 2] : 1, ow = plan.out[rank - 1];
    const int64_t planes = y.num_elements() / (oh * ow);
    const std::vector<std::vector<FTap>> tw = FloatTaps(plan.axes[rank - 1]);
    const std::vector<std::vector<FTap>> th =
        rank >= 2 ? FloatTaps(plan.axes[rank - 2]) : std::vector<std::vector<FTap>>{{{0, 1.0f}}};
    ParallelFor(ThreadsFor(ctx, y.num_elements(), Cost::kCheap), planes * oh,
                [&](int64_t r0, int64_t r1) {
                  std::vector<float> row(iw);
                  for (int64_t r = r0; r < r1; ++r) {
                    const int64_t plane = r / oh, oy = r % oh;
                    const float* src = xp + plane * ih * iw;
                    // The output row's input row: its row taps combined.
                    std::fill(row.begin(), row.end(), 0.0f);
                    for (const FTap& t : th[oy]) {
                      const float* in = src + t.index * iw;
                      for (int64_t i = 0; i < iw; ++i) row[i] += t.weight * in[i];
                    }
                    float* dst = yp + r * ow;
                    for (int64_t ox = 0; ox < ow; ++ox) {
                      float acc = 0;
                      for (const FTap& t : tw[ox]) acc += t.weight * row[t.index];
                      dst[ox] = acc;
                    }
                  }
                });
    ctx.SetOutput(0, std::move(y));
    return absl::OkStatus();
  }
  // General: every output element sums the product of its per-axis taps.
  std::vector<std::vector<std::vector<FTap>>> taps;
  for (const ResizeAxisPlan& a : plan.axes) taps.push_back(FloatTaps(a));
  const std::vector<int64_t> st = RowMajorStrides(x.shape());
  const float extrapolation = static_cast<float>(plan.extrapolation);
  ParallelFor(ThreadsFor(ctx, y.num_elements(), Cost::kMath), y.num_elements(),
              [&](int64_t k0, int64_t k1) {
                std::vector<int64_t> pos(rank);
                std::vector<size_t> t(rank);
                for (int64_t k = k0; k < k1; ++k) {
                  int64_t rest = k;
                  bool out_of_range = false;
                  for (int d = rank - 1; d >= 0; --d) {
                    pos[d] = rest % plan.out[d];
                    rest /= plan.out[d];
                    out_of_range = out_of_range || plan.axes[d].outside[pos[d]];
                  }
                  if (out_of_range) {
                    yp[k] = extrapolation;
                    continue;
                  }
                  std::fill(t.begin(), t.end(), 0);
                  float acc = 0;
                  while (true) {
                    float w = 1;
                    int64_t off = 0;
                    for (int d = 0; d < rank; ++d) {
                      const FTap& tap = taps[d][pos[d]][t[d]];
                      w *= tap.weight;
                      off += tap.index * st[d];
                    }
                    acc += w * xp[off];
                    int d = rank - 1;
                    for (; d >= 0; --d) {
                      if (++t[d] < taps[d][pos[d]].size()) break;
                      t[d] = 0;
                    }
                    if (d < 0) break;
                  }
                  yp[k] = acc;
                }
              });
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace

absl::Status ResizeKernel(KernelContext& ctx) { return Run(ctx, "Resize"); }
absl::Status UpsampleKernel(KernelContext& ctx) { return Run(ctx, "Upsample"); }

}  // namespace cpu
}  // namespace rt
}  // namespace tp
