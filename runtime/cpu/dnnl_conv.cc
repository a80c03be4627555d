#include "runtime/cpu/dnnl_conv.h"

#include <omp.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "oneapi/dnnl/dnnl.hpp"

namespace tp {
namespace rt {
namespace cpu {

using dnnl::memory;
using Tag = memory::format_tag;

namespace {

dnnl::engine& Engine() {
  static dnnl::engine* engine = new dnnl::engine(dnnl::engine::kind::cpu, 0);
  return *engine;
}

// One stream per thread: a stream is not meant to be shared by threads submitting at once.
dnnl::stream& Stream() {
  thread_local dnnl::stream stream(Engine());
  return stream;
}

Tag PlainTag(int spatial_rank) { return spatial_rank == 1 ? Tag::ncw : Tag::nchw; }
Tag BlockedTag(int spatial_rank) { return spatial_rank == 1 ? Tag::nCw8c : Tag::nChw8c; }

// oneDNN's post-op sequence for one activation.
void AppendActivation(const Activation& a, dnnl::post_ops* ops) {
  using dnnl::algorithm;
  switch (a.kind) {
    case Activation::kNone:
      return;
    case Activation::kRelu:
      ops->append_eltwise(1.0f, algorithm::eltwise_relu, 0.0f, 0.0f);
      return;
    case Activation::kLeakyRelu:
      ops->append_eltwise(1.0f, algorithm::eltwise_relu, a.alpha, 0.0f);
      return;
    case Activation::kClip:
      ops->append_eltwise(1.0f, algorithm::eltwise_clip, a.alpha, a.beta);
      return;
    case Activation::kHardSigmoid:
      ops->append_eltwise(1.0f, algorithm::eltwise_linear, a.alpha, a.beta);
      ops->append_eltwise(1.0f, algorithm::eltwise_clip, 0.0f, 1.0f);
      return;
    case Activation::kHardSwish:
      ops->append_eltwise(1.0f, algorithm::eltwise_hardswish, 0.0f, 0.0f);
      return;
    case Activation::kSigmoid:
      ops->append_eltwise(1.0f, algorithm::eltwise_logistic, 0.0f, 0.0f);
      return;
    case Activation::kTanh:
      ops->append_eltwise(1.0f, algorithm::eltwise_tanh, 0.0f, 0.0f);
      return;
    case Activation::kGeluErf:
      ops->append_eltwise(1.0f, algorithm::eltwise_gelu_erf, 0.0f, 0.0f);
      return;
  }
}

// Copies blocked src (logical dims {N, C, spatial...}) into dst with zero borders of pad_l / pad_r
// positions around each spatial dim.
void PadBlocked(const float* src, const memory::dims& dims, const std::vector<int64_t>& pad_l,
                const std::vector<int64_t>& pad_r, float* dst) {
  const int nd = static_cast<int>(dims.size()) - 2;
  const int64_t planes = dims[0] * (dims[1] / kBlock);
  const int64_t h = nd == 2 ? dims[2] : 1, w = dims[nd + 1];
  const int64_t pt = nd == 2 ? pad_l[0] : 0, pb = nd == 2 ? pad_r[0] : 0;
  const int64_t pw_l = pad_l[nd - 1], pw_r = pad_r[nd - 1];
  const int64_t ph = h + pt + pb, pw = w + pw_l + pw_r;
  for (int64_t p = 0; p < planes; ++p) {
    const float* sp = src + p * h * w * kBlock;
    float* dp = dst + p * ph * pw * kBlock;
    std::fill(dp, dp + pt * pw * kBlock, 0.0f);
    for (int64_t y = 0; y < h; ++y) {
      float* row = dp + (y + pt) * pw * kBlock;
      std::fill(row, row + pw_l * kBlock, 0.0f);
      std::copy(sp + y * w * kBlock, sp + (y + 1) * w * kBlock, row + pw_l * kBlock);
      std::fill(row + (pw_l + w) * kBlock, row + pw * kBlock, 0.0f);
    }
    std::fill(dp + (h + pt) * pw * kBlock, dp + ph * pw * kBlock, 0.0f);
  }
}

// The right padding that makes oneDNN's output size formula give `out` (ConvTranspose).
int64_t DeconvPadEnd(const ConvParams& p, int d) {
  return (p.in_spatial[d] - 1) * p.strides[d] + (p.kernel[d] - 1) * p.dilations[d] + 1 -
         p.pads_begin[d] - p.out_spatial[d];
}

}  // namespace

bool DnnlConvConfig::operator==(const DnnlConvConfig& o) const {
  const ConvParams &a = p, &b = o.p;
  return transpose == o.transpose && src == o.src && dst == o.dst && residual == o.residual &&
         act == o.act && post_act == o.post_act && a.batch == b.batch && a.c_in == b.c_in &&
         a.c_out == b.c_out && a.group == b.group && a.in_spatial == b.in_spatial &&
         a.out_spatial == b.out_spatial && a.kernel == b.kernel && a.strides == b.strides &&
         a.dilations == b.dilations && a.pads_begin == b.pads_begin &&
         a.pads_end == b.pads_end;
}

bool DnnlSupports(const DnnlConvConfig& c) {
  const ConvParams& p = c.p;
  const int nd = p.spatial_rank();
  if (nd < 1 || nd > 2 || p.batch <= 0 || p.c_in <= 0 || p.c_out <= 0) return false;
  if (p.OutSpatialSize() <= 0 || p.InSpatialSize() <= 0) return false;
  if ((c.src == Layout::kBlocked8 && p.c_in % kBlock != 0) ||
      (c.dst == Layout::kBlocked8 && p.c_out % kBlock != 0)) {
    return false;
  }
  if (c.residual && c.dst != Layout::kBlocked8) return false;
  for (int d = 0; d < nd; ++d) {
    if (p.pads_begin[d] < 0 || p.pads_end[d] < 0) return false;
    if (c.transpose && DeconvPadEnd(p, d) < 0) return false;
  }
  return true;
}

Shape DnnlConvOutputShape(const DnnlConvConfig& c) {
  const Shape logical = c.p.OutputShape();
  return c.dst == Layout::kBlocked8 ? BlockedShape(logical) : logical;
}

struct DnnlConv::Impl {
  dnnl::primitive prim;
  memory::desc user_src, user_dst, prim_src, prim_dst;
  bool reorder_src = false, reorder_dst = false;
  memory weights, bias;
  bool has_bias = false;
  // The input is copied into a zero-bordered buffer and the primitive runs without padding
  // (oneDNN's direct kernels decline large paddings, its fallbacks are slower than the copy).
  bool prepad = false;
  std::vector<int64_t> pad_l, pad_r;
};

DnnlConv::DnnlConv(const DnnlConvConfig& c) : config_(c), impl_(new Impl) {}
DnnlConv::~DnnlConv() = default;

absl::StatusOr<std::shared_ptr<const DnnlConv>> DnnlConv::Create(const DnnlConvConfig& c,
                                                                const float* weights,
                                                                const float* bias) {
  return Build(c, weights, bias, /*probe=*/false);
}

bool DnnlHasFastConv(const DnnlConvConfig& c, bool has_bias) {
  static const float kZero = 0.0f;
  return DnnlConv::Build(c, nullptr, has_bias ? &kZero : nullptr, /*probe=*/true).ok();
}

absl::StatusOr<std::shared_ptr<const DnnlConv>> DnnlConv::Build(const DnnlConvConfig& c,
                                                               const float* weights,
                                                               const float* bias, bool probe) {
  if (!DnnlSupports(c)) return absl::UnimplementedError("convolution not supported by oneDNN");
  const ConvParams& p = c.p;
  const int nd = p.spatial_rank();
  const auto f32 = memory::data_type::f32;
  memory::dims src = {p.batch, p.c_in}, dst = {p.batch, p.c_out}, strides, dil, pl, pr;
  for (int d = 0; d < nd; ++d) {
    src.push_back(p.in_spatial[d]);
    dst.push_back(p.out_spatial[d]);
    strides.push_back(p.strides[d]);
    dil.push_back(p.dilations[d] - 1);
    pl.push_back(p.pads_begin[d]);
    pr.push_back(c.transpose ? DeconvPadEnd(p, d) : p.pads_end[d]);
  }
  // Weights as ONNX stores them. Conv: [M, C/g, k] = (g)oi(h)w; ConvTranspose: [C, M/g, k], i.e.
  // input channels outermost = (g)io(h)w. oneDNN's dims are always (G, O/G, I/G, k...).
  memory::dims wdims;
  Tag wtag;
  const int64_t og = p.c_out / p.group, ig = p.c_in / p.group;
  if (p.group > 1) {
    wdims = {p.group, og, ig};
    if (c.transpose) {
      wtag = nd == 1 ? Tag::acbd : Tag::giohw;
    } else {
      wtag = nd == 1 ? Tag::goiw : Tag::goihw;
    }
  } else {
    wdims = {p.c_out, p.c_in};
    if (c.transpose) {
      wtag = nd == 1 ? Tag::bac : Tag::iohw;
    } else {
      wtag = nd == 1 ? Tag::oiw : Tag::oihw;
    }
  }
  wdims.insert(wdims.end(), p.kernel.begin(), p.kernel.end());

  std::shared_ptr<DnnlConv> conv(new DnnlConv(c));
  Impl& im = *conv->impl_;
  im.user_src = memory::desc(src, f32, c.src == Layout::kBlocked8 ? BlockedTag(nd) : PlainTag(nd));
  im.user_dst = memory::desc(dst, f32, c.dst == Layout::kBlocked8 ? BlockedTag(nd) : PlainTag(nd));
  // Plain operands: let oneDNN pick (it prefers blocked formats) and reorder around the call.
  const memory::desc src_md = c.src == Layout::kBlocked8 ? im.user_src : memory::desc(src, f32, Tag::any);
  const memory::desc dst_md = c.dst == Layout::kBlocked8 ? im.user_dst : memory::desc(dst, f32, Tag::any);
  const memory::desc w_md(wdims, f32, Tag::any);
  const memory::desc b_md({p.c_out}, f32, Tag::x);
  im.has_bias = bias != nullptr;

  dnnl::post_ops ops;
  AppendActivation(c.act, &ops);
  if (c.residual) ops.append_binary(dnnl::algorithm::binary_add, im.user_dst);
  AppendActivation(c.post_act, &ops);
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);

  try {
    memory::desc weights_desc;
    // oneDNN lists an implementation for every geometry, its reference loops last; those are far
    // slower than ours. Explicit blocked layouts first; where only the reference takes them, let
    // oneDNN pick the layouts (and reorder around the call); if still only the reference, decline.
    dnnl::primitive_desc chosen;
    auto make = [&](const memory::desc& s_md, const memory::desc& d_md, const memory::dims& pl,
                    const memory::dims& pr) -> bool {
      if (c.transpose) {
        auto desc = im.has_bias
                        ? dnnl::deconvolution_forward::desc(
                              dnnl::prop_kind::forward_inference,
                              dnnl::algorithm::deconvolution_direct, s_md, w_md, b_md, d_md,
                              strides, dil, pl, pr)
                        : dnnl::deconvolution_forward::desc(
                              dnnl::prop_kind::forward_inference,
                              dnnl::algorithm::deconvolution_direct, s_md, w_md, d_md, strides,
                              dil, pl, pr);
        dnnl::deconvolution_forward::primitive_desc pd(desc, attr, Engine());
        if (std::string(pd.impl_info_str()).rfind("ref", 0) == 0) return false;
        chosen = pd;
        im.prim_src = pd.src_desc();
        im.prim_dst = pd.dst_desc();
        weights_desc = pd.weights_desc();
        return true;
      }
      auto desc = im.has_bias
                      ? dnnl::convolution_forward::desc(
                            dnnl::prop_kind::forward_inference,
                            dnnl::algorithm::convolution_direct, s_md, w_md, b_md, d_md, strides,
                            dil, pl, pr)
                      : dnnl::convolution_forward::desc(
                            dnnl::prop_kind::forward_inference,
                            dnnl::algorithm::convolution_direct, s_md, w_md, d_md, strides, dil,
                            pl, pr);
      dnnl::convolution_forward::primitive_desc pd(desc, attr, Engine());
      if (std::string(pd.impl_info_str()).rfind("ref", 0) == 0) return false;
      chosen = pd;
      im.prim_src = pd.src_desc();
      im.prim_dst = pd.dst_desc();
      weights_desc = pd.weights_desc();
      return true;
    };
    const memory::desc any_src(src, f32, Tag::any), any_dst(dst, f32, Tag::any);
    bool made = make(src_md, dst_md, pl, pr);
    if (!made && !c.transpose && c.src == Layout::kBlocked8) {
      memory::dims padded = src;
      for (int d = 0; d < nd; ++d) padded[2 + d] += pl[d] + pr[d];
      const memory::dims zero(nd, 0);
      made = make(memory::desc(padded, f32, BlockedTag(nd)), dst_md, zero, zero);
      if (made) {
        im.prepad = true;
        im.pad_l.assign(pl.begin(), pl.end());
        im.pad_r.assign(pr.begin(), pr.end());
      }
    }
    if (!made && !make(any_src, any_dst, pl, pr)) {
      return absl::UnimplementedError("oneDNN has only its reference convolution for this");
    }
    if (probe) return std::shared_ptr<const DnnlConv>(std::move(conv));
    im.prim = dnnl::primitive(chosen);  // compiles the kernel
    im.reorder_src = !im.prepad && im.prim_src != im.user_src;
    im.reorder_dst = im.prim_dst != im.user_dst;
    dnnl::stream& s = Stream();
    memory user_w({wdims, f32, wtag}, Engine(), const_cast<float*>(weights));
    im.weights = memory(weights_desc, Engine());
    dnnl::reorder(user_w, im.weights).execute(s, user_w, im.weights);
    if (im.has_bias) {
      im.bias = memory(b_md, Engine());
      std::copy(bias, bias + p.c_out, static_cast<float*>(im.bias.get_data_handle()));
    }
    s.wait();
  } catch (const dnnl::error& e) {
    return absl::UnimplementedError(absl::StrCat("oneDNN: ", e.what()));
  }
  return std::shared_ptr<const DnnlConv>(std::move(conv));
}

absl::Status DnnlConv::Run(const float* src, const float* residual, float* dst,
                           int threads) const {
  const Impl& im = *impl_;
  omp_set_num_threads(threads > 0 ? threads : 1);
  try {
    dnnl::stream& s = Stream();
    memory user_src(im.user_src, Engine(), const_cast<float*>(src));
    memory user_dst(im.user_dst, Engine(), dst);
    memory prim_src = user_src, prim_dst = user_dst;
    std::unique_ptr<float[]> src_buf, dst_buf;
    if (im.reorder_src) {
      src_buf.reset(new float[im.prim_src.get_size() / sizeof(float) + 1]);
      prim_src = memory(im.prim_src, Engine(), src_buf.get());
      dnnl::reorder(user_src, prim_src).execute(s, user_src, prim_src);
    } else if (im.prepad) {
      src_buf.reset(new float[im.prim_src.get_size() / sizeof(float) + 1]);
      PadBlocked(src, im.user_src.dims(), im.pad_l, im.pad_r, src_buf.get());
      prim_src = memory(im.prim_src, Engine(), src_buf.get());
    }
    if (im.reorder_dst) {
      dst_buf.reset(new float[im.prim_dst.get_size() / sizeof(float) + 1]);
      prim_dst = memory(im.prim_dst, Engine(), dst_buf.get());
    }
    std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, prim_src},
                                            {DNNL_ARG_WEIGHTS, im.weights},
                                            {DNNL_ARG_DST, prim_dst}};
    if (im.has_bias) args[DNNL_ARG_BIAS] = im.bias;
    if (config_.residual) {
      // The residual's post-op index: after the pre-residual activation's post-ops.
      const int index = config_.act.kind == Activation::kNone
                            ? 0
                            : (config_.act.kind == Activation::kHardSigmoid ? 2 : 1);
      args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(index) | DNNL_ARG_SRC_1] =
          memory(im.user_dst, Engine(), const_cast<float*>(residual));
    }
    im.prim.execute(s, args);
    if (im.reorder_dst) dnnl::reorder(prim_dst, user_dst).execute(s, prim_dst, user_dst);
    s.wait();
  } catch (const dnnl::error& e) {
    return absl::InternalError(absl::StrCat("oneDNN: ", e.what()));
  }
  return absl::OkStatus();
}

}  // namespace cpu
}  // namespace rt
}  // namespace tp
