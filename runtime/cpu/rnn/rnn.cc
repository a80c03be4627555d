// Fast float32 RNN, GRU and LSTM: one GEMM for all input projections of a direction, then one
// small GEMM per step; bidirectional runs both directions on two threads.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "core/tensor.h"
#include "runtime/cpu/cpu_util.h"
#include "runtime/cpu/gemm.h"
#include "runtime/cpu/kernels.h"
#include "runtime/cpu/thread_pool.h"
#include "runtime/reference/rnn/rnn_params.h"

namespace tp {
namespace rt {
namespace cpu {
namespace {

inline float ClipF(float v, float clip) {
  return clip > 0 ? std::max(-clip, std::min(clip, v)) : v;
}

struct RnnBuffers {
  const float* x;
  const float* w;
  const float* r;
  const float* b;   // nullptr: zeros
  const float* h0;  // nullptr: zeros
  const float* c0;
  const float* peep;
  float* y;
  float* yh;
  float* yc;
};

void RunDirection(const RnnParams& p, int d, const RnnBuffers& io, int threads) {
  const bool is_lstm = p.kind == RnnKind::kLstm, is_gru = p.kind == RnnKind::kGru;
  const int64_t H = p.hidden, I = p.input_size, G = p.num_gates, B = p.batch, S = p.seq_len;
  const int64_t GH = G * H;
  const float* W = io.w + d * GH * I;
  const float* R = io.r + d * GH * H;
  const float* Wb = io.b != nullptr ? io.b + d * 2 * GH : nullptr;
  const float* Rb = Wb != nullptr ? Wb + GH : nullptr;
  const float* P = io.peep != nullptr ? io.peep + d * 3 * H : nullptr;
  const std::vector<RnnActivation>& act = p.activations[d];
  const float clip = static_cast<float>(p.clip);
  const bool rev = p.Reverse(d);

  // Input projections for all (t, b) rows at once: X rows are in X's own (layout) order.
  std::vector<float> xw(S * B * GH);
  Sgemm(false, true, S * B, GH, I, 1.0f, io.x, I, W, I, 0.0f, xw.data(), GH, threads);
  if (Wb != nullptr) {
    for (int64_t row = 0; row < S * B; ++row) {
      float* xr = xw.data() + row * GH;
      for (int64_t g = 0; g < GH; ++g) {
        // RNN and LSTM fold both biases in; GRU keeps Rb for the h gate apart
        // (linear_before_reset).
        xr[g] += Wb[g] + ((!is_gru || g < 2 * H) ? Rb[g] : 0.0f);
      }
    }
  }
  std::vector<float> h(B * H, 0.0f), c(B * H, 0.0f), gates(B * GH), rh(B * H);
  for (int64_t b = 0; b < B; ++b) {
    if (io.h0 != nullptr) std::memcpy(&h[b * H], io.h0 + p.HOffset(d, b), H * sizeof(float));
    if (io.c0 != nullptr) std::memcpy(&c[b * H], io.c0 + p.HOffset(d, b), H * sizeof(float));
  }
  auto xrow = [&](int64_t t, int64_t b) { return xw.data() + (p.XOffset(t, b) / I) * GH; };
  for (int64_t step = 0; step < S; ++step) {
    // hidden contribution: gates = h * R^T (GRU: only the z, r blocks when !linear_before_reset)
    const int64_t hr_cols = (is_gru && !p.linear_before_reset) ? 2 * H : GH;
    Sgemm(false, true, B, hr_cols, H, 1.0f, h.data(), H, R, H, 0.0f, gates.data(), GH, 1);
    for (int64_t b = 0; b < B; ++b) {
      const int64_t len = p.lengths[b];
      if (step >= len) continue;
      const int64_t t = rev ? len - 1 - step : step;
      const float* xr = xrow(t, b);
      float* gr = gates.data() + b * GH;
      float* hb = h.data() + b * H;
      float* cb = c.data() + b * H;
      if (p.kind == RnnKind::kRnn) {
        for (int64_t j = 0; j < H; ++j) hb[j] = act[0].Apply(ClipF(xr[j] + gr[j], clip));
      } else if (is_lstm) {
        for (int64_t j = 0; j < H; ++j) {
          float gi = xr[j] + gr[j], go = xr[H + j] + gr[H + j];
          float gf = xr[2 * H + j] + gr[2 * H + j], gc = xr[3 * H + j] + gr[3 * H + j];
          if (P != nullptr) {
            gi += P[j] * cb[j];
            gf += P[2 * H + j] * cb[j];
          }
          const float it = act[0].Apply(ClipF(gi, clip));
          const float ft = act[0].Apply(ClipF(gf, clip));
          const float ct = act[1].Apply(ClipF(gc, clip));
          const float cn = ft * cb[j] + it * ct;
          if (P != nullptr) go += P[H + j] * cn;
          const float ot = act[0].Apply(ClipF(go, clip));
          cb[j] = cn;
          hb[j] = ot * act[2].Apply(cn);
        }
      } else if (p.linear_before_reset) {
        for (int64_t j = 0; j < H; ++j) {
          const float z = act[0].Apply(ClipF(xr[j] + gr[j], clip));
          const float r = act[0].Apply(ClipF(xr[H + j] + gr[H + j], clip));
          const float hr = gr[2 * H + j] + (Rb != nullptr ? Rb[2 * H + j] : 0.0f);
          const float hh = act[1].Apply(ClipF(xr[2 * H + j] + r * hr, clip));
          hb[j] = (1 - z) * hh + z * hb[j];
        }
      } else {
        // (r * h) R_h^T needs this row's r first.
        float* rhb = rh.data() + b * H;
        for (int64_t j = 0; j < H; ++j) {
          const float r = act[0].Apply(ClipF(xr[H + j] + gr[H + j], clip));
          rhb[j] = r * hb[j];
        }
        float* hpart = gr + 2 * H;
        Sgemm(false, true, 1, H, H, 1.0f, rhb, H, R + 2 * H * H, H, 0.0f, hpart, H, 1);
        for (int64_t j = 0; j < H; ++j) {
          const float z = act[0].Apply(ClipF(xr[j] + gr[j], clip));
          const float pre = xr[2 * H + j] + hpart[j] + (Rb != nullptr ? Rb[2 * H + j] : 0.0f);
          const float hh = act[1].Apply(ClipF(pre, clip));
          hb[j] = (1 - z) * hh + z * hb[j];
        }
      }
      std::memcpy(io.y + p.YOffset(t, d, b), hb, H * sizeof(float));
    }
  }
  for (int64_t b = 0; b < B; ++b) {
    std::memcpy(io.yh + p.HOffset(d, b), &h[b * H], H * sizeof(float));
    if (is_lstm) std::memcpy(io.yc + p.HOffset(d, b), &c[b * H], H * sizeof(float));
  }
}

absl::Status RnnCpu(KernelContext& ctx, RnnKind kind) {
  if (!AllF32(ctx, {0, 1, 2, 3, 5, 6, 7})) return ReferenceFallback(ctx);
  const bool is_lstm = kind == RnnKind::kLstm;
  ASSIGN_OR_RETURN(RnnParams p, ResolveRnn(ctx, kind));
  std::vector<Tensor> keep(8);
  std::vector<const float*> ptr(8, nullptr);
  for (int i : {0, 1, 2, 3, 5, 6, 7}) {
    if (!is_lstm && i >= 6) continue;
    if (const Tensor* t = ctx.OptionalInput(i)) {
      ASSIGN_OR_RETURN(keep[i], t->Contiguous());
      ptr[i] = keep[i].data_as<float>();
    }
  }
  Tensor y = Tensor::Zeros(DType::kF32, p.YShape());
  Tensor yh = Tensor::Zeros(DType::kF32, p.YhShape());
  Tensor yc = Tensor::Zeros(DType::kF32, p.YhShape());
  RnnBuffers io{ptr[0], ptr[1], ptr[2], ptr[3], ptr[5], ptr[6], ptr[7],
                y.mutable_data_as<float>(), yh.mutable_data_as<float>(),
                yc.mutable_data_as<float>()};
  const int threads = Threads(ctx);
  if (p.num_directions == 2 && threads >= 2) {
    ParallelFor(2, 2, [&](int64_t d0, int64_t d1) {
      for (int64_t d = d0; d < d1; ++d) {
        RunDirection(p, static_cast<int>(d), io, std::max(1, threads / 2));
      }
    });
  } else {
    for (int d = 0; d < p.num_directions; ++d) RunDirection(p, d, io, threads);
  }
  if (ctx.WantsOutput(0)) ctx.SetOutput(0, std::move(y));
  if (ctx.WantsOutput(1)) ctx.SetOutput(1, std::move(yh));
  if (is_lstm && ctx.WantsOutput(2)) ctx.SetOutput(2, std::move(yc));
  return absl::OkStatus();
}

}  // namespace

absl::Status RnnKernel(KernelContext& ctx) { return RnnCpu(ctx, RnnKind::kRnn); }

absl::Status GruKernel(KernelContext& ctx) { return RnnCpu(ctx, RnnKind::kGru); }

absl::Status LstmKernel(KernelContext& ctx) { return RnnCpu(ctx, RnnKind::kLstm); }

}  // namespace cpu
}  // namespace rt
}  // namespace tp
