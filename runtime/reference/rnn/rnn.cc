// The recurrent ops RNN, GRU and LSTM: forward / reverse / bidirectional, sequence_lens, initial
// states, clip, peepholes, layout 0 and 1, every activation of the spec. Gate sums in double.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/reference/rnn/rnn_params.h"
#include "runtime/reference/util.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {
namespace {

double Clip(double v, double clip) {
  if (clip <= 0) return v;
  return std::max(-clip, std::min(clip, v));
}

// RNN, GRU and LSTM share everything but the cell update.
absl::Status RnnRef(KernelContext& ctx, RnnKind kind) {
  const bool is_lstm = kind == RnnKind::kLstm;
  ASSIGN_OR_RETURN(RnnParams p, ResolveRnn(ctx, kind));
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  RETURN_IF_ERROR(CheckFloatInput(ctx, *x, "input X"));
  ASSIGN_OR_RETURN(std::vector<double> xv, ReadAs<double>(*x));
  ASSIGN_OR_RETURN(std::vector<double> wv, ReadAs<double>(**ctx.Input(1)));
  ASSIGN_OR_RETURN(std::vector<double> rv, ReadAs<double>(**ctx.Input(2)));
  const int64_t H = p.hidden, I = p.input_size, G = p.num_gates;
  std::vector<double> bv(p.num_directions * 2 * G * H, 0.0);
  if (const Tensor* b = ctx.OptionalInput(3)) {
    ASSIGN_OR_RETURN(bv, ReadAs<double>(*b));
  }
  const int64_t state_size = p.num_directions * p.batch * H;
  std::vector<double> h0(state_size, 0.0), c0(state_size, 0.0);
  if (const Tensor* t = ctx.OptionalInput(5)) {
    ASSIGN_OR_RETURN(h0, ReadAs<double>(*t));
  }
  std::vector<double> pv(p.num_directions * 3 * H, 0.0);
  if (is_lstm) {
    if (const Tensor* t = ctx.OptionalInput(6)) {
      ASSIGN_OR_RETURN(c0, ReadAs<double>(*t));
    }
    if (const Tensor* t = ctx.OptionalInput(7)) {
      ASSIGN_OR_RETURN(pv, ReadAs<double>(*t));
    }
  }
  std::vector<double> y(p.seq_len * p.num_directions * p.batch * H, 0.0);
  std::vector<double> yh(state_size, 0.0), yc(state_size, 0.0);
  std::vector<double> xg(G * H), hg(G * H), h(H), c(H), hnew(H);
  for (int d = 0; d < p.num_directions; ++d) {
    const double* W = wv.data() + d * G * H * I;
    const double* R = rv.data() + d * G * H * H;
    const double* Wb = bv.data() + d * 2 * G * H;
    const double* Rb = Wb + G * H;
    const double* P = pv.data() + d * 3 * H;
    const std::vector<RnnActivation>& act = p.activations[d];
    for (int64_t b = 0; b < p.batch; ++b) {
      for (int64_t j = 0; j < H; ++j) {
        h[j] = h0[p.HOffset(d, b) + j];
        c[j] = c0[p.HOffset(d, b) + j];
      }
      const int64_t len = p.lengths[b];
      for (int64_t step = 0; step < len; ++step) {
        const int64_t t = p.Reverse(d) ? len - 1 - step : step;
        const double* xt = xv.data() + p.XOffset(t, b);
        // xg = W x + Wb, hg = R h + Rb (kept apart for GRU's linear_before_reset).
        for (int64_t g = 0; g < G * H; ++g) {
          double ax = Wb[g], ah = Rb[g];
          for (int64_t i = 0; i < I; ++i) ax += W[g * I + i] * xt[i];
          for (int64_t j = 0; j < H; ++j) ah += R[g * H + j] * h[j];
          xg[g] = ax;
          hg[g] = ah;
        }
        if (kind == RnnKind::kRnn) {
          for (int64_t j = 0; j < H; ++j) hnew[j] = act[0].Apply(Clip(xg[j] + hg[j], p.clip));
        } else if (is_lstm) {
          // Gate blocks: i, o, f, c. Peepholes P: i, o, f.
          for (int64_t j = 0; j < H; ++j) {
            const double gi = xg[j] + hg[j] + P[j] * c[j];
            const double gf = xg[2 * H + j] + hg[2 * H + j] + P[2 * H + j] * c[j];
            const double gc = xg[3 * H + j] + hg[3 * H + j];
            const double it = act[0].Apply(Clip(gi, p.clip));
            const double ft = act[0].Apply(Clip(gf, p.clip));
            const double ct = act[1].Apply(Clip(gc, p.clip));
            const double cnew = ft * c[j] + it * ct;
            const double go = xg[H + j] + hg[H + j] + P[H + j] * cnew;
            const double ot = act[0].Apply(Clip(go, p.clip));
            c[j] = cnew;
            hnew[j] = ot * act[2].Apply(cnew);
          }
        } else {
          // Gate blocks: z, r, h.
          std::vector<double> r(H);
          for (int64_t j = 0; j < H; ++j) {
            r[j] = act[0].Apply(Clip(xg[H + j] + hg[H + j], p.clip));
          }
          for (int64_t j = 0; j < H; ++j) {
            const double z = act[0].Apply(Clip(xg[j] + hg[j], p.clip));
            double pre;
            if (p.linear_before_reset) {
              pre = xg[2 * H + j] + r[j] * hg[2 * H + j];
            } else {
              double acc = Rb[2 * H + j];
              for (int64_t k = 0; k < H; ++k) acc += R[(2 * H + j) * H + k] * (r[k] * h[k]);
              pre = xg[2 * H + j] + acc;
            }
            const double ht = act[1].Apply(Clip(pre, p.clip));
            hnew[j] = (1 - z) * ht + z * h[j];
          }
        }
        h = hnew;
        for (int64_t j = 0; j < H; ++j) y[p.YOffset(t, d, b) + j] = h[j];
      }
      for (int64_t j = 0; j < H; ++j) {
        yh[p.HOffset(d, b) + j] = h[j];
        yc[p.HOffset(d, b) + j] = c[j];
      }
    }
  }
  if (ctx.WantsOutput(0)) {
    ASSIGN_OR_RETURN(Tensor t, WriteAs<double>(x->dtype(), p.YShape(), y));
    ctx.SetOutput(0, std::move(t));
  }
  if (ctx.WantsOutput(1)) {
    ASSIGN_OR_RETURN(Tensor t, WriteAs<double>(x->dtype(), p.YhShape(), yh));
    ctx.SetOutput(1, std::move(t));
  }
  if (is_lstm && ctx.WantsOutput(2)) {
    ASSIGN_OR_RETURN(Tensor t, WriteAs<double>(x->dtype(), p.YhShape(), yc));
    ctx.SetOutput(2, std::move(t));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RnnKernel(KernelContext& ctx) { return RnnRef(ctx, RnnKind::kRnn); }

absl::Status LstmKernel(KernelContext& ctx) { return RnnRef(ctx, RnnKind::kLstm); }

absl::Status GruKernel(KernelContext& ctx) { return RnnRef(ctx, RnnKind::kGru); }

}  // namespace ref
}  // namespace rt
}  // namespace tp
