#include "runtime/cpu/phase_deconv.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/cpu/activation.h"
#include "runtime/cpu/blocked.h"
#include "runtime/cpu/thread_pool.h"

namespace tp {
namespace rt {
namespace cpu {
namespace {

int64_t FloorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// Taps of phase r along a dim with kernel k and stride s: k = r, r + s, ... < k.
int64_t TapsOf(int64_t k, int64_t s, int64_t r) { return r < k ? (k - r + s - 1) / s : 0; }

// The stride-1 convolution computing one phase (taps per dim, all > 0).
DnnlConvConfig PhaseConfig(const DnnlConvConfig& c, const std::vector<int64_t>& taps) {
  DnnlConvConfig pc;
  pc.src = c.src;
  pc.dst = c.dst;
  ConvParams& p = pc.p;
  p.batch = c.p.batch;
  p.c_in = c.p.c_in;
  p.c_out = c.p.c_out;
  p.group = c.p.group;
  p.in_spatial = c.p.in_spatial;
  p.kernel = taps;
  const int nd = c.p.spatial_rank();
  p.strides.assign(nd, 1);
  p.dilations.assign(nd, 1);
  for (int d = 0; d < nd; ++d) {
    p.pads_begin.push_back(taps[d] - 1);
    p.pads_end.push_back(taps[d] - 1);
    p.out_spatial.push_back(c.p.in_spatial[d] + taps[d] - 1);
  }
  return pc;
}

// Every phase (row-major over dims) with its tap counts.
std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> Phases(const ConvParams& p) {
  const int nd = p.spatial_rank();
  std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> out;
  std::vector<int64_t> r(nd, 0);
  while (true) {
    std::vector<int64_t> taps(nd);
    for (int d = 0; d < nd; ++d) taps[d] = TapsOf(p.kernel[d], p.strides[d], r[d]);
    out.push_back({r, taps});
    int d = nd - 1;
    for (; d >= 0; --d) {
      if (++r[d] < p.strides[d]) break;
      r[d] = 0;
    }
    if (d < 0) break;
  }
  return out;
}

bool HasTaps(const std::vector<int64_t>& taps) {
  for (int64_t t : taps) {
    if (t == 0) return false;
  }
  return true;
}

}  // namespace

bool PhaseDeconvSupports(const DnnlConvConfig& c) {
  const ConvParams& p = c.p;
  const int nd = p.spatial_rank();
  if (!c.transpose || nd < 1 || nd > 2 || p.batch <= 0 || p.c_in <= 0 || p.c_out <= 0 ||
      p.group < 1 || p.OutSpatialSize() <= 0 || p.InSpatialSize() <= 0) {
    return false;
  }
  if ((c.src == Layout::kBlocked8 && p.c_in % kBlock != 0) ||
      (c.dst == Layout::kBlocked8 && p.c_out % kBlock != 0) ||
      (c.residual && c.dst != Layout::kBlocked8)) {
    return false;
  }
  for (int d = 0; d < nd; ++d) {
    if (p.dilations[d] != 1 || p.strides[d] < 1 || p.pads_begin[d] < 0) return false;
  }
  for (const auto& [r, taps] : Phases(p)) {
    if (HasTaps(taps) && !DnnlHasFastConv(PhaseConfig(c, taps), true)) return false;
  }
  return true;
}

absl::StatusOr<std::shared_ptr<const PhaseDeconv>> PhaseDeconv::Create(const DnnlConvConfig& c,
                                                                       const float* weights,
                                                                       const float* bias) {
  if (!PhaseDeconvSupports(c)) {
    return absl::UnimplementedError("ConvTranspose not supported by the phase decomposition");
  }
  const ConvParams& p = c.p;
  const int nd = p.spatial_rank();
  std::shared_ptr<PhaseDeconv> d(new PhaseDeconv(c));
  d->bias_.assign(p.c_out, 0.0f);
  if (bias != nullptr) std::copy(bias, bias + p.c_out, d->bias_.begin());
  const int64_t ig = p.c_in / p.group, og = p.c_out / p.group;
  const int64_t kh = nd == 2 ? p.kernel[0] : 1, kw = p.kernel[nd - 1];
  for (const auto& [r, taps] : Phases(p)) {
    Phase ph;
    ph.r = r;
    ph.taps = taps;
    if (HasTaps(taps)) {
      const DnnlConvConfig pc = PhaseConfig(c, taps);
      ph.out = pc.p.out_spatial;
      const int64_t th = nd == 2 ? taps[0] : 1, tw = taps[nd - 1];
      const int64_t rh = nd == 2 ? r[0] : 0, rw = r[nd - 1];
      const int64_t sh = nd == 2 ? p.strides[0] : 1, sw = p.strides[nd - 1];
      // V[g * og + m, c, jy, jx] = W[g * ig + c, m, rh + (th - 1 - jy) * sh, rw + (tw - 1 - jx) * sw]
      std::vector<float> v(p.c_out * ig * th * tw);
      for (int64_t g = 0; g < p.group; ++g) {
        for (int64_t m = 0; m < og; ++m) {
          for (int64_t ci = 0; ci < ig; ++ci) {
            const float* w = weights + ((g * ig + ci) * og + m) * kh * kw;
            float* dst = v.data() + ((g * og + m) * ig + ci) * th * tw;
            for (int64_t jy = 0; jy < th; ++jy) {
              for (int64_t jx = 0; jx < tw; ++jx) {
                dst[jy * tw + jx] = w[(rh + (th - 1 - jy) * sh) * kw + rw + (tw - 1 - jx) * sw];
              }
            }
          }
        }
      }
      ASSIGN_OR_RETURN(ph.conv, DnnlConv::Create(pc, v.data(), d->bias_.data()));
    }
    d->phases_.push_back(std::move(ph));
  }
  return std::shared_ptr<const PhaseDeconv>(std::move(d));
}

absl::Status PhaseDeconv::Run(const float* src, const float* residual, float* dst,
                              int threads) const {
  const ConvParams& p = config_.p;
  const int nd = p.spatial_rank();
  const bool blocked = config_.dst == Layout::kBlocked8;
  const int64_t vec = blocked ? kBlock : 1;  // floats per (channel unit, position)
  const int64_t units = p.batch * (blocked ? p.c_out / kBlock : p.c_out);
  const int64_t oh = nd == 2 ? p.out_spatial[0] : 1, ow = p.out_spatial[nd - 1];
  const int64_t sh = nd == 2 ? p.strides[0] : 1, sw = p.strides[nd - 1];
  const int64_t pt = nd == 2 ? p.pads_begin[0] : 0, pl = p.pads_begin[nd - 1];
  const int64_t channels_per_unit = blocked ? kBlock : 1;
  const int64_t units_per_image = units / p.batch;
  // Bias everywhere first: the positions no phase writes keep it.
  ParallelFor(threads, units, [&](int64_t u0, int64_t u1) {
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t c0 = (u % units_per_image) * channels_per_unit;
      float* d = dst + u * oh * ow * vec;
      for (int64_t i = 0; i < oh * ow; ++i) {
        for (int64_t k = 0; k < vec; ++k) d[i * vec + k] = bias_[c0 + k];
      }
    }
  });
  for (const Phase& ph : phases_) {
    if (ph.conv == nullptr) continue;
    const int64_t qh = nd == 2 ? ph.out[0] : 1, qw = ph.out[nd - 1];
    std::unique_ptr<float[]> tmp(new float[units * qh * qw * vec]);
    RETURN_IF_ERROR(ph.conv->Run(src, nullptr, tmp.get(), threads));
    const int64_t rh = nd == 2 ? ph.r[0] : 0, rw = ph.r[nd - 1];
    // Output o = q * s + r - pad_begin, kept when inside [0, out).
    const int64_t qw0 = std::max<int64_t>(0, -FloorDiv(rw - pl, sw));
    const int64_t qw1 = std::min<int64_t>(qw, FloorDiv(ow - 1 + pl - rw, sw) + 1);
    const int64_t qh0 = std::max<int64_t>(0, -FloorDiv(rh - pt, sh));
    const int64_t qh1 = std::min<int64_t>(qh, FloorDiv(oh - 1 + pt - rh, sh) + 1);
    const float* t = tmp.get();
    ParallelFor(threads, units, [&](int64_t u0, int64_t u1) {
      for (int64_t u = u0; u < u1; ++u) {
        for (int64_t y = qh0; y < qh1; ++y) {
          const float* s_row = t + (u * qh + y) * qw * vec;
          float* d_row = dst + (u * oh + y * sh + rh - pt) * ow * vec;
          for (int64_t x = qw0; x < qw1; ++x) {
            const int64_t o = x * sw + rw - pl;
            for (int64_t k = 0; k < vec; ++k) d_row[o * vec + k] = s_row[x * vec + k];
          }
        }
      }
    });
  }
  const int64_t total = units * oh * ow * vec;
  ApplyActivation(config_.act, dst, total);
  if (config_.residual) {
    for (int64_t i = 0; i < total; ++i) dst[i] += residual[i];
  }
  ApplyActivation(config_.post_act, dst, total);
  return absl::OkStatus();
}

}  // namespace cpu
}  // namespace rt
}  // namespace tp
