#include "runtime/cpu/cpu_kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "core/tensor.h"
#include "runtime/cpu/cpu_util.h"
#include "runtime/cpu/elementwise.h"
#include "runtime/cpu/gemm.h"
#include "runtime/cpu/thread_pool.h"
#include "runtime/cpu/vector_math.h"
#include "runtime/reference/kernel_table.h"
#include "runtime/reference/nn_kernels.h"
#include "runtime/reference/nn_params.h"

namespace tp {
namespace rt {
namespace cpu {
namespace {

// Floats per thread-local scratch block (im2col / col2im tiles): 4 MiB.
constexpr int64_t kScratchFloats = int64_t{1} << 20;

// A per-thread buffer of at least n floats, kept between calls: a fresh 4 MiB vector per call
// costs page faults and zero-filling comparable to the GEMM it feeds.
float* Scratch(int64_t n) {
  thread_local std::unique_ptr<float[]> buffer;
  thread_local int64_t capacity = 0;
  if (n > capacity) {
    buffer.reset(new float[n]);
    capacity = n;
  }
  return buffer.get();
}

int Threads(const KernelContext& ctx) { return std::max(1, ctx.num_threads()); }

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
// floor(a / b) for any sign of a, b > 0.
int64_t FloorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// Conv / ConvTranspose float32 operands, made contiguous, with the resolved geometry and the
// (uninitialised) output.
struct ConvBuffers {
  ConvParams p;
  Tensor x, w, b, y;
  bool has_bias = false;
};

absl::Status PrepareConv(KernelContext& ctx, bool transpose, ConvBuffers* io) {
  ASSIGN_OR_RETURN(const Tensor* x_in, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* w_in, ctx.Input(1));
  const Tensor* b_in = ctx.OptionalInput(2);
  if (transpose) {
    ASSIGN_OR_RETURN(io->p, ResolveConvTranspose(ctx, x_in->shape(), w_in->shape()));
  } else {
    ASSIGN_OR_RETURN(io->p, ResolveConv(ctx, x_in->shape(), w_in->shape()));
  }
  RETURN_IF_ERROR(CheckBias(ctx, b_in, io->p.c_out));
  ASSIGN_OR_RETURN(io->x, x_in->Contiguous());
  ASSIGN_OR_RETURN(io->w, w_in->Contiguous());
  io->has_bias = b_in != nullptr;
  if (io->has_bias) {
    ASSIGN_OR_RETURN(io->b, b_in->Contiguous());
  }
  io->y = Tensor::Uninitialized(DType::kF32, io->p.OutputShape());
  return absl::OkStatus();
}

// ---- Conv: im2col over a tile of output positions, then one GEMM per (image, group, tile). ----

// col[(c * ks + k) * width + (o - o0)] = x[c, position of output o under kernel tap k].
void Im2Col(const ConvParams& p, const std::vector<int64_t>& kc, const float* x, int64_t cin,
            int64_t o0, int64_t o1, float* col) {
  const int nd = p.spatial_rank();
  const int64_t ks = p.KernelSize(), is = p.InSpatialSize(), width = o1 - o0;
  if (nd == 1) {
    const int64_t in = p.in_spatial[0], s = p.strides[0];
    for (int64_t c = 0; c < cin; ++c) {
      const float* xc = x + c * is;
      for (int64_t k = 0; k < ks; ++k) {
        float* row = col + (c * ks + k) * width;
        const int64_t off = k * p.dilations[0] - p.pads_begin[0];
        // Valid outputs: 0 <= o * s + off < in.
        const int64_t lo = std::min(std::max(o0, CeilDiv(std::max<int64_t>(-off, 0), s)), o1);
        const int64_t hi = std::max(lo, std::min(o1, FloorDiv(in - 1 - off, s) + 1));
        std::fill(row, row + (lo - o0), 0.0f);
        if (s == 1) {
          std::memcpy(row + (lo - o0), xc + lo + off, (hi - lo) * sizeof(float));
        } else {
          for (int64_t o = lo; o < hi; ++o) row[o - o0] = xc[o * s + off];
        }
        std::fill(row + (hi - o0), row + width, 0.0f);
      }
    }
    return;
  }
  if (nd == 2) {
    const int64_t ih = p.in_spatial[0], iw = p.in_spatial[1], ow = p.out_spatial[1];
    for (int64_t c = 0; c < cin; ++c) {
      const float* xc = x + c * is;
      for (int64_t k = 0; k < ks; ++k) {
        float* row = col + (c * ks + k) * width;
        const int64_t offh = kc[2 * k] * p.dilations[0] - p.pads_begin[0];
        const int64_t offw = kc[2 * k + 1] * p.dilations[1] - p.pads_begin[1];
        int64_t oh = o0 / ow, owi = o0 % ow;
        for (int64_t o = o0; o < o1; ++o) {
          const int64_t y = oh * p.strides[0] + offh, xx = owi * p.strides[1] + offw;
          row[o - o0] = (y >= 0 && y < ih && xx >= 0 && xx < iw) ? xc[y * iw + xx] : 0.0f;
          if (++owi == ow) {
            owi = 0;
            ++oh;
          }
        }
      }
    }
    return;
  }
  std::vector<int64_t> oc(nd);
  for (int64_t c = 0; c < cin; ++c) {
    for (int64_t k = 0; k < ks; ++k) {
      float* row = col + (c * ks + k) * width;
      for (int64_t o = o0; o < o1; ++o) {
        int64_t rest = o;
        for (int d = nd - 1; d >= 0; --d) {
          oc[d] = rest % p.out_spatial[d];
          rest /= p.out_spatial[d];
        }
        int64_t flat;
        row[o - o0] = p.TapIndex(oc.data(), &kc[k * nd], p.in_spatial, &flat) ? x[c * is + flat]
                                                                               : 0.0f;
      }
    }
  }
}

absl::Status ConvCpu(KernelContext& ctx) {
  if (!AllF32(ctx, {0, 1, 2})) return ReferenceFallback(ctx);
  ConvBuffers io;
  RETURN_IF_ERROR(PrepareConv(ctx, /*transpose=*/false, &io));
  const ConvParams& p = io.p;
  const float* x = io.x.data_as<float>();
  const float* w = io.w.data_as<float>();
  const float* bias = io.has_bias ? io.b.data_as<float>() : nullptr;
  float* y = io.y.mutable_data_as<float>();

  const int threads = Threads(ctx);
  const int64_t ks = p.KernelSize(), os = p.OutSpatialSize(), is = p.InSpatialSize();
  const int64_t cin_g = p.c_in / p.group, cout_g = p.c_out / p.group, rows = cin_g * ks;
  bool pointwise = true;
  for (int d = 0; d < p.spatial_rank(); ++d) {
    pointwise = pointwise && p.kernel[d] == 1 && p.strides[d] == 1 && p.pads_begin[d] == 0 &&
                p.pads_end[d] == 0;
  }
  if (os == 0 || p.batch == 0 || p.c_out == 0) {
    ctx.SetOutput(0, std::move(io.y));
    return absl::OkStatus();
  }
  const int64_t images = p.batch * p.group;
  int64_t tile =
      pointwise ? os : std::max<int64_t>(16, kScratchFloats / std::max<int64_t>(rows, 1));
  int64_t tiles = CeilDiv(os, std::min(tile, os));
  if (images * tiles < threads) tiles = std::min(os, CeilDiv(threads, images));
  tile = CeilDiv(os, tiles);
  tiles = CeilDiv(os, tile);
  const std::vector<int64_t> kc = CoordinateTable(p.kernel);
  ParallelFor(threads, images * tiles, [&](int64_t i0, int64_t i1) {
    for (int64_t item = i0; item < i1; ++item) {
      const int64_t n = item / (p.group * tiles), g = (item / tiles) % p.group, t = item % tiles;
      const int64_t o0 = t * tile, o1 = std::min(os, o0 + tile), width = o1 - o0;
      const float* xg = x + (n * p.c_in + g * cin_g) * is;
      float* yg = y + (n * p.c_out + g * cout_g) * os;
      const float* wg = w + g * cout_g * rows;
      const float* bmat = xg + o0;
      int64_t ldb = is;
      if (!pointwise) {
        float* col = Scratch(rows * width);
        Im2Col(p, kc, xg, cin_g, o0, o1, col);
        bmat = col;
        ldb = width;
      }
      Sgemm(false, false, cout_g, width, rows, 1.0f, wg, rows, bmat, ldb, 0.0f, yg + o0, os, 1);
      if (bias != nullptr) {
        for (int64_t m = 0; m < cout_g; ++m) {
          const float bv = bias[g * cout_g + m];
          float* yr = yg + m * os;
          for (int64_t o = o0; o < o1; ++o) yr[o] += bv;
        }
      }
    }
  });
  ctx.SetOutput(0, std::move(io.y));
  return absl::OkStatus();
}

// ---- ConvTranspose: GEMM into columns, then col2im scatter-add. ----

absl::Status ConvTransposeCpu(KernelContext& ctx) {
  if (!AllF32(ctx, {0, 1, 2})) return ReferenceFallback(ctx);
  ConvBuffers io;
  RETURN_IF_ERROR(PrepareConv(ctx, /*transpose=*/true, &io));
  const ConvParams& p = io.p;
  const float* x = io.x.data_as<float>();
  const float* w = io.w.data_as<float>();
  const float* bias = io.has_bias ? io.b.data_as<float>() : nullptr;
  float* y = io.y.mutable_data_as<float>();

  const int threads = Threads(ctx);
  const int nd = p.spatial_rank();
  const int64_t ks = p.KernelSize(), os = p.OutSpatialSize(), is = p.InSpatialSize();
  const int64_t cin_g = p.c_in / p.group, cout_g = p.c_out / p.group;
  if (os == 0 || p.batch == 0 || p.c_out == 0) {
    ctx.SetOutput(0, std::move(io.y));
    return absl::OkStatus();
  }
  // Work items: (image, group, block of output channels); a block owns its output rows, so the
  // scatter-adds of different items never touch the same element.
  const int64_t images = p.batch * p.group;
  int64_t blocks = 1;
  if (images < threads) blocks = std::min<int64_t>(cout_g, CeilDiv(threads, images));
  const std::vector<int64_t> kc = CoordinateTable(p.kernel);
  const std::vector<int64_t> icoords = nd > 1 ? CoordinateTable(p.in_spatial)
                                              : std::vector<int64_t>();
  ParallelFor(threads, images * std::max<int64_t>(blocks, 1), [&](int64_t i0, int64_t i1) {
    for (int64_t item = i0; item < i1; ++item) {
      const int64_t n = item / (p.group * blocks), g = (item / blocks) % p.group,
                    blk = item % blocks;
      const int64_t m0 = cout_g * blk / blocks, m1 = cout_g * (blk + 1) / blocks;
      if (m1 <= m0) continue;
      const int64_t rows = (m1 - m0) * ks;
      const float* xg = x + (n * p.c_in + g * cin_g) * is;
      float* yg = y + (n * p.c_out + g * cout_g) * os;
      const float* wg = w + g * cin_g * cout_g * ks;  // [cin_g, cout_g * ks]
      for (int64_t m = m0; m < m1; ++m) {
        std::fill(yg + m * os, yg + (m + 1) * os, bias != nullptr ? bias[g * cout_g + m] : 0.0f);
      }
      const int64_t tile = std::max<int64_t>(16, kScratchFloats / std::max<int64_t>(rows, 1));
      for (int64_t t0 = 0; t0 < is; t0 += tile) {
        const int64_t t1 = std::min(is, t0 + tile), width = t1 - t0;
        float* col = Scratch(rows * width);
        // col[(m - m0) * ks + k, i] = sum_c W[c, m, k] * x[c, i]
        Sgemm(true, false, rows, width, cin_g, 1.0f, wg + m0 * ks, cout_g * ks, xg + t0, is,
              0.0f, col, width, 1);
        for (int64_t m = m0; m < m1; ++m) {
          float* ym = yg + m * os;
          for (int64_t k = 0; k < ks; ++k) {
            const float* row = col + ((m - m0) * ks + k) * width;
            if (nd == 1) {
              const int64_t s = p.strides[0], out = p.out_spatial[0];
              const int64_t off = k * p.dilations[0] - p.pads_begin[0];
              const int64_t lo = std::max(t0, CeilDiv(std::max<int64_t>(-off, 0), s));
              const int64_t hi = std::min(t1, FloorDiv(out - 1 - off, s) + 1);
              for (int64_t i = lo; i < hi; ++i) ym[i * s + off] += row[i - t0];
              continue;
            }
            for (int64_t i = t0; i < t1; ++i) {
              int64_t flat;
              if (p.TapIndex(&icoords[i * nd], &kc[k * nd], p.out_spatial, &flat)) {
                ym[flat] += row[i - t0];
              }
            }
          }
        }
      }
    }
  });
  ctx.SetOutput(0, std::move(io.y));
  return absl::OkStatus();
}

// ---- MatMul / Gemm ----

absl::Status MatMulCpu(KernelContext& ctx) {
  if (!AllF32(ctx, {0, 1})) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(const Tensor* a_in, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* b_in, ctx.Input(1));
  ASSIGN_OR_RETURN(MatMulPlan p, PlanMatMul(ctx, a_in->shape(), b_in->shape()));
  ASSIGN_OR_RETURN(Tensor at, a_in->Contiguous());
  ASSIGN_OR_RETURN(Tensor bt, b_in->Contiguous());
  Tensor yt = Tensor::Uninitialized(DType::kF32, p.out_shape);
  const float* a = at.data_as<float>();
  const float* b = bt.data_as<float>();
  float* y = yt.mutable_data_as<float>();
  const int threads = Threads(ctx);
  const int64_t batches = p.a_batch.size();
  const int64_t mk = p.m * p.k, kn = p.k * p.n, mn = p.m * p.n;
  if (batches >= threads && batches > 1) {
    ParallelFor(threads, batches, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) {
        Sgemm(false, false, p.m, p.n, p.k, 1.0f, a + p.a_batch[i] * mk, p.k,
              b + p.b_batch[i] * kn, p.n, 0.0f, y + i * mn, p.n, 1);
      }
    });
  } else {
    for (int64_t i = 0; i < batches; ++i) {
      Sgemm(false, false, p.m, p.n, p.k, 1.0f, a + p.a_batch[i] * mk, p.k, b + p.b_batch[i] * kn,
            p.n, 0.0f, y + i * mn, p.n, threads);
    }
  }
  ctx.SetOutput(0, std::move(yt));
  return absl::OkStatus();
}

absl::Status GemmCpu(KernelContext& ctx) {
  if (!AllF32(ctx, {0, 1, 2})) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(const Tensor* a_in, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* b_in, ctx.Input(1));
  const Tensor* c_in = ctx.OptionalInput(2);
  ASSIGN_OR_RETURN(GemmParams p, ResolveGemm(ctx, a_in->shape(), b_in->shape(), c_in));
  ASSIGN_OR_RETURN(Tensor at, a_in->Contiguous());
  ASSIGN_OR_RETURN(Tensor bt, b_in->Contiguous());
  Tensor yt = Tensor::Uninitialized(DType::kF32, {p.m, p.n});
  float* y = yt.mutable_data_as<float>();
  if (p.has_c) {
    ASSIGN_OR_RETURN(Tensor ct, c_in->Contiguous());
    const float* c = ct.data_as<float>();
    const float beta = static_cast<float>(p.beta);
    for (int64_t i = 0; i < p.m; ++i) {
      for (int64_t j = 0; j < p.n; ++j) {
        y[i * p.n + j] = beta * c[i * p.c_row_stride + j * p.c_col_stride];
      }
    }
  }
  Sgemm(p.trans_a, p.trans_b, p.m, p.n, p.k, static_cast<float>(p.alpha), at.data_as<float>(),
        a_in->shape()[1], bt.data_as<float>(), b_in->shape()[1], p.has_c ? 1.0f : 0.0f, y, p.n,
        Threads(ctx));
  ctx.SetOutput(0, std::move(yt));
  return absl::OkStatus();
}

// ---- LSTM / GRU ----

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

void RunDirection(const RnnParams& p, bool is_lstm, int d, const RnnBuffers& io, int threads) {
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
        // LSTM folds both biases in; GRU keeps Rb for the h gate apart (linear_before_reset).
        xr[g] += Wb[g] + ((is_lstm || g < 2 * H) ? Rb[g] : 0.0f);
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
    const int64_t hr_cols = (!is_lstm && !p.linear_before_reset) ? 2 * H : GH;
    Sgemm(false, true, B, hr_cols, H, 1.0f, h.data(), H, R, H, 0.0f, gates.data(), GH, 1);
    for (int64_t b = 0; b < B; ++b) {
      const int64_t len = p.lengths[b];
      if (step >= len) continue;
      const int64_t t = rev ? len - 1 - step : step;
      const float* xr = xrow(t, b);
      float* gr = gates.data() + b * GH;
      float* hb = h.data() + b * H;
      float* cb = c.data() + b * H;
      if (is_lstm) {
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

absl::Status RnnCpu(KernelContext& ctx, bool is_lstm) {
  if (!AllF32(ctx, {0, 1, 2, 3, 5, 6, 7})) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(RnnParams p, ResolveRnn(ctx, is_lstm));
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
        RunDirection(p, is_lstm, static_cast<int>(d), io, std::max(1, threads / 2));
      }
    });
  } else {
    for (int d = 0; d < p.num_directions; ++d) RunDirection(p, is_lstm, d, io, threads);
  }
  if (ctx.WantsOutput(0)) ctx.SetOutput(0, std::move(y));
  if (ctx.WantsOutput(1)) ctx.SetOutput(1, std::move(yh));
  if (is_lstm && ctx.WantsOutput(2)) ctx.SetOutput(2, std::move(yc));
  return absl::OkStatus();
}

// ---- Softmax / LogSoftmax ----

absl::Status SoftmaxCpu(KernelContext& ctx, bool log) {
  if (!AllF32(ctx, {0})) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(const Tensor* x_in, ctx.Input(0));
  ASSIGN_OR_RETURN(SoftmaxGeometry g, ResolveSoftmax(ctx, x_in->shape()));
  ASSIGN_OR_RETURN(Tensor xt, x_in->Contiguous());
  Tensor yt = Tensor::Uninitialized(DType::kF32, x_in->shape());
  const float* x = xt.data_as<float>();
  float* y = yt.mutable_data_as<float>();
  const int64_t per_outer = g.axis * g.inner;
  const int threads = per_outer * g.outer >= (1 << 15) ? Threads(ctx) : 1;
  // Locals captured by value so the loops' bounds and pointers are not re-read after each store.
  const int64_t axis = g.axis, inner = g.inner;
  ParallelFor(threads, g.outer, [x, y, axis, inner, per_outer, log](int64_t o0, int64_t o1) {
    std::vector<float> mx(inner), sum(inner);
    for (int64_t o = o0; o < o1; ++o) {
      const float* xo = x + o * per_outer;
      float* yo = y + o * per_outer;
      if (inner == 1) {
        // NaN in a row: the max comparison skips it but exp(NaN - m) brings it back, as in the
        // reference.
        const float m = MaxOf(xo, axis);
        ExpArray(xo, m, yo, axis);
        const float s = static_cast<float>(SumOf(yo, axis));
        if (log) {
          const float ls = m + std::log(s);
          for (int64_t j = 0; j < axis; ++j) yo[j] = xo[j] - ls;
        } else {
          const float inv = 1.0f / s;
          for (int64_t j = 0; j < axis; ++j) yo[j] *= inv;
        }
        continue;
      }
      std::fill(mx.begin(), mx.end(), -std::numeric_limits<float>::infinity());
      std::fill(sum.begin(), sum.end(), 0.0f);
      for (int64_t j = 0; j < axis; ++j) {
        const float* xr = xo + j * inner;
        for (int64_t i = 0; i < inner; ++i) mx[i] = std::max(mx[i], xr[i]);
      }
      for (int64_t j = 0; j < axis; ++j) {
        const float* xr = xo + j * inner;
        float* yr = yo + j * inner;
        for (int64_t i = 0; i < inner; ++i) {
          yr[i] = FastExp(xr[i] - mx[i]);
          sum[i] += yr[i];
        }
      }
      for (int64_t i = 0; i < inner; ++i) {
        sum[i] = log ? mx[i] + std::log(sum[i]) : 1.0f / sum[i];
      }
      for (int64_t j = 0; j < axis; ++j) {
        const float* xr = xo + j * inner;
        float* yr = yo + j * inner;
        for (int64_t i = 0; i < inner; ++i) yr[i] = log ? xr[i] - sum[i] : yr[i] * sum[i];
      }
    }
  });
  ctx.SetOutput(0, std::move(yt));
  return absl::OkStatus();
}

}  // namespace

std::vector<KernelDef> CpuFastKernels() {
  std::vector<KernelDef> kernels = {
      LikeReference("Conv", ConvCpu),
      LikeReference("ConvTranspose", ConvTransposeCpu),
      LikeReference("MatMul", MatMulCpu),
      LikeReference("Gemm", GemmCpu),
      LikeReference("LSTM", [](KernelContext& ctx) { return RnnCpu(ctx, /*is_lstm=*/true); }),
      LikeReference("GRU", [](KernelContext& ctx) { return RnnCpu(ctx, /*is_lstm=*/false); }),
      LikeReference("Softmax",
                    [](KernelContext& ctx) { return SoftmaxCpu(ctx, /*log=*/false); }),
      LikeReference("LogSoftmax",
                    [](KernelContext& ctx) { return SoftmaxCpu(ctx, /*log=*/true); }),
  };
  for (KernelDef& k : CpuElementwiseKernels()) kernels.push_back(std::move(k));
  return kernels;
}

}  // namespace cpu
}  // namespace rt
}  // namespace tp
