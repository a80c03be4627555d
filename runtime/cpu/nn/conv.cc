// Fast float32 Conv and ConvTranspose: oneDNN (dnnl_conv.h) for the 1-D and 2-D geometries it
// takes, else im2col / col2im tiles in thread-local scratch + GEMM (Eigen, gemm.h), split across
// ctx.num_threads() threads. Geometry comes from reference/nn/conv_params.h, so both backends read
// the attributes identically.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "core/tensor.h"
#include "runtime/cpu/cpu_util.h"
#include "runtime/cpu/dnnl_conv.h"
#include "runtime/cpu/phase_deconv.h"
#include "runtime/cpu/gemm.h"
#include "runtime/cpu/kernels.h"
#include "runtime/cpu/thread_pool.h"
#include "runtime/reference/nn/conv_params.h"

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

// Runs the node on oneDNN when it takes the geometry (*done = true); otherwise leaves it to the
// im2col kernels.
absl::Status RunOnDnnl(KernelContext& ctx, bool transpose, ConvBuffers& io, bool* done) {
  *done = false;
  DnnlConvConfig c;
  c.transpose = transpose;
  c.p = io.p;
  const bool constant = ctx.IsConstantInput(1) && (!io.has_bias || ctx.IsConstantInput(2));
  if (transpose) {
    // Phase convolutions only: oneDNN's own deconvolution is slower than the col2im kernel.
    if (!PhaseDeconvSupports(c)) return absl::OkStatus();
    absl::StatusOr<std::shared_ptr<const PhaseDeconv>> d = CachedConv<PhaseDeconv>(
        ctx, c, io.w.data_as<float>(), io.has_bias ? io.b.data_as<float>() : nullptr, constant);
    if (!d.ok()) return absl::OkStatus();
    RETURN_IF_ERROR(ctx.Annotate((*d)->Run(io.x.data_as<float>(), nullptr,
                                           io.y.mutable_data_as<float>(), Threads(ctx))));
    ctx.SetOutput(0, std::move(io.y));
    *done = true;
    return absl::OkStatus();
  }
  if (!DnnlSupports(c)) return absl::OkStatus();
  absl::StatusOr<std::shared_ptr<const DnnlConv>> conv = CachedConv<DnnlConv>(
      ctx, c, io.w.data_as<float>(), io.has_bias ? io.b.data_as<float>() : nullptr, constant);
  if (!conv.ok()) return absl::OkStatus();  // oneDNN has no implementation: ours runs
  RETURN_IF_ERROR(ctx.Annotate((*conv)->Run(io.x.data_as<float>(), nullptr,
                                            io.y.mutable_data_as<float>(), Threads(ctx))));
  ctx.SetOutput(0, std::move(io.y));
  *done = true;
  return absl::OkStatus();
}

absl::Status ConvIm2col(KernelContext& ctx, ConvBuffers& io) {
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

absl::Status ConvTransposeCol2im(KernelContext& ctx, ConvBuffers& io) {
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

// The Conv / ConvTranspose entry points: float32 operands, then oneDNN (where `dnnl` and it takes
// the geometry) or the GEMM path.
absl::Status RunConv(KernelContext& ctx, bool transpose, bool dnnl) {
  if (!AllF32(ctx, {0, 1, 2})) return ReferenceFallback(ctx);
  ConvBuffers io;
  RETURN_IF_ERROR(PrepareConv(ctx, transpose, &io));
  if (dnnl) {
    bool done;
    RETURN_IF_ERROR(RunOnDnnl(ctx, transpose, io, &done));
    if (done) return absl::OkStatus();
  }
  return transpose ? ConvTransposeCol2im(ctx, io) : ConvIm2col(ctx, io);
}

}  // namespace

absl::Status ConvKernel(KernelContext& ctx) { return RunConv(ctx, false, /*dnnl=*/true); }
absl::Status ConvIm2colKernel(KernelContext& ctx) { return RunConv(ctx, false, /*dnnl=*/false); }
absl::Status ConvTransposeKernel(KernelContext& ctx) { return RunConv(ctx, true, /*dnnl=*/true); }
absl::Status ConvTransposeCol2imKernel(KernelContext& ctx) {
  return RunConv(ctx, true, /*dnnl=*/false);
}

}  // namespace cpu
}  // namespace rt
}  // namespace tp
