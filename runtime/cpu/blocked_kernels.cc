// Kernels of the blocked layout (runtime/cpu/blocked.h) for the nodes the layout rewrite makes
// (runtime/rewrite/blocked_layout.h): ToPlain, BlockedGlobalPool, BlockedPool, BlockedResize and
// BlockedChannelAffine. A tensor [N, C/8, spatial..., 8] is handled as N * C/8 planes of
// 8-channel vectors, so every kernel here is a loop over positions with one AVX2 register per
// position.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "core/tensor.h"
#include "runtime/cpu/blocked.h"
#include "runtime/cpu/cpu_util.h"
#include "runtime/cpu/fused_kernels.h"
#include "runtime/cpu/thread_pool.h"
#include "runtime/reference/nn/conv_params.h"
#include "runtime/reference/tensor/resize_params.h"

namespace tp {
namespace rt {
namespace cpu {
namespace {

// X as a packed blocked float32 tensor: [N, C/8, spatial..., 8] with rank >= 4.
absl::StatusOr<Tensor> BlockedInput(KernelContext& ctx, int i) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(i));
  if (x->dtype() != DType::kF32 || x->rank() < 4 || x->shape().back() != kBlock) {
    return ctx.Invalid(absl::StrCat("input ", i, " is ", DTypeName(x->dtype()), " ",
                                    ShapeToString(x->shape()),
                                    "; expected a blocked float32 tensor [N, C/8, ..., 8]"));
  }
  return x->Contiguous();
}

int64_t Planes(const Shape& blocked) { return blocked[0] * blocked[1]; }
int64_t Positions(const Shape& blocked) {
  int64_t s = 1;
  for (size_t d = 2; d + 1 < blocked.size(); ++d) s *= blocked[d];
  return s;
}

// max(a, v) per lane where a NaN on either side wins (the reference's MaxPool keeps NaN).
inline __m256 MaxNan8(__m256 a, __m256 v) {
  const __m256 m = _mm256_max_ps(a, v);  // v when either is NaN
  return _mm256_blendv_ps(m, a, _mm256_cmp_ps(a, a, _CMP_UNORD_Q));
}

// Threads for `work` floats of memory-bound work.
int ThreadsForFloats(const KernelContext& ctx, int64_t work) {
  return ThreadsFor(ctx, work, Cost::kCheap);
}

}  // namespace

absl::Status ToPlainKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(Tensor x, BlockedInput(ctx, 0));
  const Shape logical = LogicalShape(x.shape());
  Tensor y = Tensor::Uninitialized(DType::kF32, logical);
  ToPlain(x.data_as<float>(), logical[0], logical[1], Positions(x.shape()),
          y.mutable_data_as<float>(), Threads(ctx));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status BlockedGlobalPoolKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(Tensor x, BlockedInput(ctx, 0));
  const bool max = ctx.GetString("mode", "avg") == "max";
  Shape out = x.shape();
  for (size_t d = 2; d + 1 < out.size(); ++d) out[d] = 1;
  Tensor y = Tensor::Uninitialized(DType::kF32, out);
  const int64_t planes = Planes(x.shape()), positions = Positions(x.shape());
  const float* xp = x.data_as<float>();
  float* yp = y.mutable_data_as<float>();
  const float inv = positions > 0 ? 1.0f / static_cast<float>(positions) : 0.0f;
  ParallelFor(ThreadsForFloats(ctx, planes * positions * kBlock), planes,
              [=](int64_t p0, int64_t p1) {
                for (int64_t p = p0; p < p1; ++p) {
                  const float* src = xp + p * positions * kBlock;
                  if (max) {
                    __m256 m = _mm256_set1_ps(-INFINITY);
                    for (int64_t s = 0; s < positions; ++s) {
                      // max(v, m): a NaN element is skipped, as GlobalMaxPool's reference does.
                      m = _mm256_max_ps(_mm256_loadu_ps(src + s * kBlock), m);
                    }
                    _mm256_storeu_ps(yp + p * kBlock, m);
                  } else {
                    // Four partial sums: independent adds pipeline, and long planes lose less.
                    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
                    int64_t s = 0;
                    for (; s + 4 <= positions; s += 4) {
                      a0 = _mm256_add_ps(a0, _mm256_loadu_ps(src + s * kBlock));
                      a1 = _mm256_add_ps(a1, _mm256_loadu_ps(src + (s + 1) * kBlock));
                      a2 = _mm256_add_ps(a2, _mm256_loadu_ps(src + (s + 2) * kBlock));
                      a3 = _mm256_add_ps(a3, _mm256_loadu_ps(src + (s + 3) * kBlock));
                    }
                    for (; s < positions; ++s) {
                      a0 = _mm256_add_ps(a0, _mm256_loadu_ps(src + s * kBlock));
                    }
                    const __m256 sum = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));
                    _mm256_storeu_ps(yp + p * kBlock, _mm256_mul_ps(sum, _mm256_set1_ps(inv)));
                  }
                }
              });
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status BlockedPoolKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(Tensor x, BlockedInput(ctx, 0));
  const bool max = ctx.GetString("mode", "max") == "max";
  ASSIGN_OR_RETURN(PoolParams p, ResolvePool(ctx, LogicalShape(x.shape())));
  const int nd = p.spatial_rank();
  if (nd > 2) return ctx.Invalid("blocked pooling takes 1-D and 2-D windows");
  // 1-D as 2-D with height 1.
  const int64_t ih = nd == 2 ? p.in_spatial[0] : 1, iw = p.in_spatial[nd - 1];
  const int64_t oh = nd == 2 ? p.out_spatial[0] : 1, ow = p.out_spatial[nd - 1];
  const int64_t kh = nd == 2 ? p.kernel[0] : 1, kw = p.kernel[nd - 1];
  const int64_t sh = nd == 2 ? p.strides[0] : 1, sw = p.strides[nd - 1];
  const int64_t dh = nd == 2 ? p.dilations[0] : 1, dw = p.dilations[nd - 1];
  const int64_t ph = nd == 2 ? p.pads_begin[0] : 0, pw = p.pads_begin[nd - 1];
  const int64_t ph_end = nd == 2 ? p.pads_end[0] : 0, pw_end = p.pads_end[nd - 1];
  Shape out = BlockedShape(p.OutputShape());
  Tensor y = Tensor::Uninitialized(DType::kF32, out);
  const float* xp = x.data_as<float>();
  float* yp = y.mutable_data_as<float>();
  const int64_t planes = Planes(x.shape());
  const bool include_pad = p.count_include_pad;
  ParallelFor(ThreadsForFloats(ctx, planes * oh * ow * kh * kw * kBlock), planes * oh,
              [=](int64_t r0, int64_t r1) {
                for (int64_t r = r0; r < r1; ++r) {
                  const int64_t plane = r / oh, oy = r % oh;
                  const float* src = xp + plane * ih * iw * kBlock;
                  float* dst = yp + (plane * oh + oy) * ow * kBlock;
                  for (int64_t ox = 0; ox < ow; ++ox) {
                    __m256 acc = _mm256_set1_ps(max ? -INFINITY : 0.0f);
                    int64_t valid = 0;
                    for (int64_t ky = 0; ky < kh; ++ky) {
                      const int64_t iy = oy * sh - ph + ky * dh;
                      if (iy < 0 || iy >= ih) continue;
                      for (int64_t kx = 0; kx < kw; ++kx) {
                        const int64_t ix = ox * sw - pw + kx * dw;
                        if (ix < 0 || ix >= iw) continue;
                        const __m256 v = _mm256_loadu_ps(src + (iy * iw + ix) * kBlock);
                        acc = max ? MaxNan8(acc, v) : _mm256_add_ps(acc, v);
                        ++valid;
                      }
                    }
                    if (!max) {
                      int64_t count = valid;
                      if (include_pad) {
                        // Window positions inside the padded input (ceil_mode may run past it).
                        const int64_t y0 = oy * sh - ph, x0 = ox * sw - pw;
                        int64_t ch = 0, cw = 0;
                        for (int64_t ky = 0; ky < kh; ++ky) {
                          ch += y0 + ky * dh < ih + ph_end ? 1 : 0;
                        }
                        for (int64_t kx = 0; kx < kw; ++kx) {
                          cw += x0 + kx * dw < iw + pw_end ? 1 : 0;
                        }
                        count = ch * cw;
                      }
                      acc = _mm256_div_ps(acc, _mm256_set1_ps(static_cast<float>(count)));
                    }
                    _mm256_storeu_ps(dst + ox * kBlock, acc);
                  }
                }
              });
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status BlockedResizeKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(Tensor x, BlockedInput(ctx, 0));
  const Shape logical = LogicalShape(x.shape());
  const std::string op = ctx.GetString("onnx_op", "Resize");
  const int opset = static_cast<int>(ctx.GetInt("onnx_opset", 13));
  ASSIGN_OR_RETURN(ResizePlan plan, ResolveResize(ctx, op, opset, logical));
  const int rank = static_cast<int>(logical.size());
  if (rank > 4 || !plan.axes[0].identity || !plan.axes[1].identity ||
      (plan.mode != "nearest" && plan.mode != "linear")) {
    return ctx.Invalid("blocked Resize takes nearest or linear resizing of 1 or 2 spatial dims");
  }
  for (const ResizeAxisPlan& a : plan.axes) {
    for (bool o : a.outside) {
      if (o) return ctx.Invalid("blocked Resize does not extrapolate");
    }
  }
  const ResizeAxisPlan& ax_w = plan.axes[rank - 1];
  static const ResizeAxisPlan kSingle = [] {
    ResizeAxisPlan p;
    p.taps = {{{0, 1.0}}};
    p.identity = true;
    return p;
  }();
  const ResizeAxisPlan& ax_h = rank == 4 ? plan.axes[2] : kSingle;
  const int64_t ih = rank == 4 ? logical[2] : 1, iw = logical[rank - 1];
  const int64_t oh = rank == 4 ? plan.out[2] : 1, ow = plan.out[rank - 1];
  Tensor y = Tensor::Uninitialized(DType::kF32, BlockedShape(plan.out));
  // Float copies of the taps (index, weight) per output column and row.
  struct FTap {
    int64_t index;
    float weight;
  };
  auto flatten = [](const ResizeAxisPlan& a, std::vector<std::vector<FTap>>* out) {
    for (const auto& taps : a.taps) {
      std::vector<FTap> t;
      for (const ResizeTap& tap : taps) t.push_back({tap.index, static_cast<float>(tap.weight)});
      out->push_back(std::move(t));
    }
  };
  std::vector<std::vector<FTap>> th, tw;
  flatten(ax_h, &th);
  flatten(ax_w, &tw);
  const float* xp = x.data_as<float>();
  float* yp = y.mutable_data_as<float>();
  const int64_t planes = Planes(x.shape());
  const bool nearest = plan.mode == "nearest";
  ParallelFor(ThreadsForFloats(ctx, y.num_elements()), planes * oh, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t plane = r / oh, oy = r % oh;
      const float* src = xp + plane * ih * iw * kBlock;
      float* dst = yp + (plane * oh + oy) * ow * kBlock;
      const std::vector<FTap>& rows = th[oy];
      if (nearest) {
        const float* row = src + rows[0].index * iw * kBlock;
        for (int64_t ox = 0; ox < ow; ++ox) {
          _mm256_storeu_ps(dst + ox * kBlock, _mm256_loadu_ps(row + tw[ox][0].index * kBlock));
        }
        continue;
      }
      for (int64_t ox = 0; ox < ow; ++ox) {
        __m256 acc = _mm256_setzero_ps();
        for (const FTap& ty : rows) {
          const float* row = src + ty.index * iw * kBlock;
          for (const FTap& tx : tw[ox]) {
            acc = _mm256_fmadd_ps(_mm256_set1_ps(ty.weight * tx.weight),
                                  _mm256_loadu_ps(row + tx.index * kBlock), acc);
          }
        }
        _mm256_storeu_ps(dst + ox * kBlock, acc);
      }
    }
  });
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status BlockedChannelAffineKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(Tensor x, BlockedInput(ctx, 0));
  ASSIGN_OR_RETURN(const Tensor* s_in, ctx.Input(1));
  ASSIGN_OR_RETURN(const Tensor* b_in, ctx.Input(2));
  const int64_t c = x.shape()[1] * kBlock;
  if (s_in->dtype() != DType::kF32 || b_in->dtype() != DType::kF32 ||
      s_in->num_elements() != c || b_in->num_elements() != c) {
    return ctx.Invalid(absl::StrCat("scale and shift must be float32 with ", c, " values"));
  }
  ASSIGN_OR_RETURN(Tensor s, s_in->Contiguous());
  ASSIGN_OR_RETURN(Tensor b, b_in->Contiguous());
  Tensor y = Tensor::Uninitialized(DType::kF32, x.shape());
  const int64_t planes = Planes(x.shape()), positions = Positions(x.shape()),
                blocks = x.shape()[1];
  const float* xp = x.data_as<float>();
  const float* sp = s.data_as<float>();
  const float* bp = b.data_as<float>();
  float* yp = y.mutable_data_as<float>();
  ParallelFor(ThreadsForFloats(ctx, y.num_elements()), planes, [=](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const __m256 sv = _mm256_loadu_ps(sp + (p % blocks) * kBlock);
      const __m256 bv = _mm256_loadu_ps(bp + (p % blocks) * kBlock);
      const float* src = xp + p * positions * kBlock;
      float* dst = yp + p * positions * kBlock;
      for (int64_t i = 0; i < positions; ++i) {
        _mm256_storeu_ps(dst + i * kBlock,
                         _mm256_fmadd_ps(_mm256_loadu_ps(src + i * kBlock), sv, bv));
      }
    }
  });
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace cpu
}  // namespace rt
}  // namespace tp
