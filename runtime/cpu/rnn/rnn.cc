// Fast float32 RNN, GRU and LSTM: one GEMM for all input projections of a direction, then per
// step a matrix-vector product per batch row (a GEMM for batches of 4 and more) and the gate
// nonlinearities on whole gate vectors (the vector Sigmoid / Tanh of vector_math.h for the
// default activations); bidirectional runs both directions on two threads.

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
#include "runtime/cpu/vector_math.h"
#include "runtime/reference/rnn/rnn_params.h"

namespace tp {
namespace rt {
namespace cpu {
namespace {

inline float ClipF(float v, float clip) {
  return clip > 0 ? std::max(-clip, std::min(clip, v)) : v;
}

// x[j] = act(clip(x[j])) for n values; Sigmoid and Tanh (the defaults) on the vector forms.
void ApplyArray(const RnnActivation& a, float clip, float* x, int64_t n) {
  if (clip > 0) {
    for (int64_t j = 0; j < n; ++j) x[j] = ClipF(x[j], clip);
  }
  if (a.kind == RnnActivation::kSigmoid) {
    SigmoidArray(x, x, n);
  } else if (a.kind == RnnActivation::kTanh) {
    TanhArray(x, x, n);
  } else {
    for (int64_t j = 0; j < n; ++j) x[j] = a.Apply(x[j]);
  }
}

// gates[b, 0..cols) = h[b, :] R[0..cols, :]^T: a matrix-vector product per batch row when the
// batch is small (no packing of R per step), one GEMM otherwise.
void Recurrent(const float* h, int64_t batch, int64_t hidden, const float* r, int64_t cols,
               float* gates, int64_t ld_gates) {
  if (batch < 4) {
    for (int64_t b = 0; b < batch; ++b) {
      Sgemv(cols, hidden, r, hidden, h + b * hidden, gates + b * ld_gates);
    }
    return;
  }
  Sgemm(false, true, batch, cols, hidden, 1.0f, h, hidden, r, hidden, 0.0f, gates, ld_gates, 1);
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
  std::vector<float> t0(H), t1(H), t2(H), t3(H);  // per-row gate scratch
  for (int64_t b = 0; b < B; ++b) {
    if (io.h0 != nullptr) std::memcpy(&h[b * H], io.h0 + p.HOffset(d, b), H * sizeof(float));
    if (io.c0 != nullptr) std::memcpy(&c[b * H], io.c0 + p.HOffset(d, b), H * sizeof(float));
  }
  auto xrow = [&](int64_t t, int64_t b) { return xw.data() + (p.XOffset(t, b) / I) * GH; };
  for (int64_t step = 0; step < S; ++step) {
    // hidden contribution: gates = h * R^T (GRU: only the z, r blocks when !linear_before_reset)
    const int64_t hr_cols = (is_gru && !p.linear_before_reset) ? 2 * H : GH;
    Recurrent(h.data(), B, H, R, hr_cols, gates.data(), GH);
    for (int64_t b = 0; b < B; ++b) {
      const int64_t len = p.lengths[b];
      if (step >= len) continue;
      const int64_t t = rev ? len - 1 - step : step;
      const float* xr = xrow(t, b);
      float* gr = gates.data() + b * GH;
      float* hb = h.data() + b * H;
      float* cb = c.data() + b * H;
      if (p.kind == RnnKind::kRnn) {
        for (int64_t j = 0; j < H; ++j) hb[j] = xr[j] + gr[j];
        ApplyArray(act[0], clip, hb, H);
      } else if (is_lstm) {
        float* gi = t0.data();
        float* go = t1.data();
        float* gf = t2.data();
        float* gc = t3.data();
        for (int64_t j = 0; j < H; ++j) {
          gi[j] = xr[j] + gr[j];
          go[j] = xr[H + j] + gr[H + j];
          gf[j] = xr[2 * H + j] + gr[2 * H + j];
          gc[j] = xr[3 * H + j] + gr[3 * H + j];
        }
        if (P != nullptr) {
          for (int64_t j = 0; j < H; ++j) {
            gi[j] += P[j] * cb[j];
            gf[j] += P[2 * H + j] * cb[j];
          }
        }
        ApplyArray(act[0], clip, gi, H);
        ApplyArray(act[0], clip, gf, H);
        ApplyArray(act[1], clip, gc, H);
        for (int64_t j = 0; j < H; ++j) cb[j] = gf[j] * cb[j] + gi[j] * gc[j];
        if (P != nullptr) {
          for (int64_t j = 0; j < H; ++j) go[j] += P[H + j] * cb[j];
        }
        ApplyArray(act[0], clip, go, H);
        for (int64_t j = 0; j < H; ++j) gc[j] = cb[j];  // h = o * act(c): act on a copy of c
        ApplyArray(act[2], 0.0f, gc, H);
        for (int64_t j = 0; j < H; ++j) hb[j] = go[j] * gc[j];
      } else if (p.linear_before_reset) {
        float* z = t0.data();
        float* r = t1.data();
        float* hh = t2.data();
        for (int64_t j = 0; j < H; ++j) {
          z[j] = xr[j] + gr[j];
          r[j] = xr[H + j] + gr[H + j];
        }
        ApplyArray(act[0], clip, z, H);
        ApplyArray(act[0], clip, r, H);
        for (int64_t j = 0; j < H; ++j) {
          const float hr = gr[2 * H + j] + (Rb != nullptr ? Rb[2 * H + j] : 0.0f);
          hh[j] = xr[2 * H + j] + r[j] * hr;
        }
        ApplyArray(act[1], clip, hh, H);
        for (int64_t j = 0; j < H; ++j) hb[j] = (1 - z[j]) * hh[j] + z[j] * hb[j];
      } else {
        // (r * h) R_h^T needs this row's r first.
        float* z = t0.data();
        float* r = t1.data();
        float* hh = t2.data();
        float* rhb = rh.data() + b * H;
        for (int64_t j = 0; j < H; ++j) r[j] = xr[H + j] + gr[H + j];
        ApplyArray(act[0], clip, r, H);
        for (int64_t j = 0; j < H; ++j) rhb[j] = r[j] * hb[j];
        float* hpart = gr + 2 * H;
        Sgemv(H, H, R + 2 * H * H, H, rhb, hpart);
        for (int64_t j = 0; j < H; ++j) {
          z[j] = xr[j] + gr[j];
          hh[j] = xr[2 * H + j] + hpart[j] + (Rb != nullptr ? Rb[2 * H + j] : 0.0f);
        }
        ApplyArray(act[0], clip, z, H);
        ApplyArray(act[1], clip, hh, H);
        for (int64_t j = 0; j < H; ++j) hb[j] = (1 - z[j]) * hh[j] + z[j] * hb[j];
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
