// Fast float32 pooling in the plain layout: MaxPool (without the Indices output), AveragePool
// (count_include_pad, ceil_mode, dilations), GlobalAveragePool, GlobalMaxPool, for 1-D to 3-D
// windows over (image, channel) planes split across threads. Geometry from
// reference/nn/conv_params.h; NaN propagates through Max as in the reference (and PyTorch).
// MaxPool's Indices output and other dtypes go to the reference kernel.
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/status_macros.h"
#include "core/tensor.h"
#include "runtime/cpu/cpu_util.h"
#include "runtime/cpu/kernels.h"
#include "runtime/cpu/thread_pool.h"
#include "runtime/cpu/vector_math.h"
#include "runtime/reference/nn/conv_params.h"

namespace tp {
namespace rt {
namespace cpu {
namespace {

// The max of a and v where a NaN on either side wins (the reference keeps the first NaN).
inline float MaxNan(float a, float v) { return a != a ? a : (v != v || v > a ? v : a); }

absl::Status Pool(KernelContext& ctx, bool is_max) {
  if (!AllF32(ctx, {0}) || (is_max && ctx.WantsOutput(1))) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(const Tensor* x_in, ctx.Input(0));
  if (x_in->rank() < 3 || x_in->rank() > 5) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(PoolParams p, ResolvePool(ctx, x_in->shape()));
  ASSIGN_OR_RETURN(Tensor x, x_in->Contiguous());
  const int nd = p.spatial_rank();
  // Up to 3 spatial dims as (d, h, w), missing leading ones of extent 1.
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1}, s[3] = {1, 1, 1},
          dil[3] = {1, 1, 1}, pb[3] = {0, 0, 0}, pe[3] = {0, 0, 0};
  for (int d = 0; d < nd; ++d) {
    const int j = 3 - nd + d;
    in[j] = p.in_spatial[d];
    out[j] = p.out_spatial[d];
    k[j] = p.kernel[d];
    s[j] = p.strides[d];
    dil[j] = p.dilations[d];
    pb[j] = p.pads_begin[d];
    pe[j] = p.pads_end[d];
  }
  Tensor y = Tensor::Uninitialized(DType::kF32, p.OutputShape());
  const int64_t planes = p.batch * p.channels, is = in[0] * in[1] * in[2],
                os = out[0] * out[1] * out[2];
  const float* xp = x.data_as<float>();
  float* yp = y.mutable_data_as<float>();
  const bool include_pad = p.count_include_pad;
  ParallelFor(ThreadsFor(ctx, planes * os * k[0] * k[1] * k[2], Cost::kCheap), planes * out[0] * out[1],
              [&](int64_t r0, int64_t r1) {
                for (int64_t r = r0; r < r1; ++r) {
                  const int64_t plane = r / (out[0] * out[1]);
                  const int64_t od = (r / out[1]) % out[0], oh = r % out[1];
                  const float* src = xp + plane * is;
                  float* dst = yp + plane * os + (od * out[1] + oh) * out[2];
                  for (int64_t ow = 0; ow < out[2]; ++ow) {
                    float best = -INFINITY;
                    double sum = 0;
                    int64_t valid = 0, padded = 1;
                    const int64_t o[3] = {od, oh, ow};
                    int64_t lo[3], hi[3];  // valid taps [lo, hi) per dim
                    for (int j = 0; j < 3; ++j) {
                      const int64_t base = o[j] * s[j] - pb[j];
                      int64_t a = 0, b = 0, cnt = 0;
                      while (a < k[j] && base + a * dil[j] < 0) ++a;
                      b = a;
                      while (b < k[j] && base + b * dil[j] < in[j]) ++b;
                      for (int64_t t = 0; t < k[j]; ++t) {
                        cnt += base + t * dil[j] < in[j] + pe[j] ? 1 : 0;
                      }
                      lo[j] = a;
                      hi[j] = b;
                      padded *= cnt;
                    }
                    for (int64_t a = lo[0]; a < hi[0]; ++a) {
                      const int64_t id = od * s[0] - pb[0] + a * dil[0];
                      for (int64_t b = lo[1]; b < hi[1]; ++b) {
                        const int64_t ih = oh * s[1] - pb[1] + b * dil[1];
                        const float* row = src + (id * in[1] + ih) * in[2];
                        for (int64_t c = lo[2]; c < hi[2]; ++c) {
                          const float v = row[ow * s[2] - pb[2] + c * dil[2]];
                          if (is_max) {
                            best = valid == 0 ? v : MaxNan(best, v);
                          } else {
                            sum += v;
                          }
                          ++valid;
                        }
                      }
                    }
                    if (is_max) {
                      dst[ow] = best;
                    } else {
                      const int64_t divisor = include_pad ? padded : valid;
                      dst[ow] = divisor > 0 ? static_cast<float>(sum / divisor) : 0.0f;
                    }
                  }
                }
              });
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status GlobalPool(KernelContext& ctx, bool is_max) {
  if (!AllF32(ctx, {0})) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(const Tensor* x_in, ctx.Input(0));
  if (x_in->rank() < 2) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(Tensor x, x_in->Contiguous());
  const int64_t planes = x.shape()[0] * x.shape()[1];
  const int64_t inner = planes == 0 ? 0 : x.num_elements() / planes;
  Shape out = x.shape();
  for (size_t d = 2; d < out.size(); ++d) out[d] = 1;
  Tensor y = Tensor::Uninitialized(DType::kF32, out);
  const float* xp = x.data_as<float>();
  float* yp = y.mutable_data_as<float>();
  ParallelFor(ThreadsFor(ctx, x.num_elements(), Cost::kCheap), planes,
              [&](int64_t p0, int64_t p1) {
                for (int64_t p = p0; p < p1; ++p) {
                  const float* src = xp + p * inner;
                  if (is_max) {
                    // std::max as the reference folds it: a NaN element is skipped.
                    float best = -INFINITY;
                    for (int64_t j = 0; j < inner; ++j) best = std::max(best, src[j]);
                    yp[p] = best;
                  } else {
                    yp[p] = inner > 0 ? static_cast<float>(SumOf(src, inner) / inner) : NAN;
                  }
                }
              });
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace

absl::Status MaxPoolKernel(KernelContext& ctx) { return Pool(ctx, true); }
absl::Status AveragePoolKernel(KernelContext& ctx) { return Pool(ctx, false); }
absl::Status GlobalAveragePoolKernel(KernelContext& ctx) { return GlobalPool(ctx, false); }
absl::Status GlobalMaxPoolKernel(KernelContext& ctx) { return GlobalPool(ctx, true); }

}  // namespace cpu
}  // namespace rt
}  // namespace tp
