#include "runtime/reference/nn_params.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/status_macros.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace {

int64_t Product(const std::vector<int64_t>& v) {
  int64_t p = 1;
  for (int64_t d : v) p *= d;
  return p;
}

absl::Status Invalid(const KernelContext& ctx, const std::string& msg) {
  return ctx.Error(absl::StatusCode::kInvalidArgument, msg);
}

// Reads a per-spatial-dim attribute, `n` values, defaulting to `def`.
absl::StatusOr<std::vector<int64_t>> SpatialAttr(const KernelContext& ctx, absl::string_view name,
                                                 size_t n, int64_t def, int64_t min_value) {
  std::vector<int64_t> v = ctx.GetInts(name, std::vector<int64_t>(n, def));
  if (v.size() != n) {
    return Invalid(ctx, absl::StrCat("attribute '", name, "' has ", v.size(), " values, expected ",
                                     n, " (one per spatial dim)"));
  }
  for (int64_t x : v) {
    if (x < min_value) {
      return Invalid(ctx, absl::StrCat("attribute '", name, "' = [", absl::StrJoin(v, ", "),
                                       "], expected values >= ", min_value));
    }
  }
  return v;
}

// Explicit pads [b1..bn, e1..en] -> begin/end.
absl::Status ExplicitPads(const KernelContext& ctx, size_t n, std::vector<int64_t>* begin,
                          std::vector<int64_t>* end) {
  std::vector<int64_t> pads = ctx.GetInts("pads", std::vector<int64_t>(2 * n, 0));
  if (pads.size() != 2 * n) {
    return Invalid(ctx, absl::StrCat("attribute 'pads' has ", pads.size(), " values, expected ",
                                     2 * n));
  }
  for (int64_t p : pads) {
    if (p < 0) {
      return Invalid(ctx, absl::StrCat("attribute 'pads' = [", absl::StrJoin(pads, ", "),
                                       "], expected non-negative values"));
    }
  }
  begin->assign(pads.begin(), pads.begin() + n);
  end->assign(pads.begin() + n, pads.end());
  return absl::OkStatus();
}

absl::Status CheckOutputSize(const KernelContext& ctx, const Shape& shape) {
  for (int64_t d : shape) {
    if (d < 0) {
      return Invalid(ctx, absl::StrCat("computed output shape ", ShapeToString(shape),
                                       " has a negative dim (kernel larger than padded input?)"));
    }
  }
  absl::StatusOr<int64_t> n = NumElements(shape);
  if (!n.ok()) return Invalid(ctx, std::string(n.status().message()));
  // Attribute-driven sizes (strides, output_shape) are checked before anything is allocated.
  constexpr int64_t kMaxOutputElements = int64_t{1} << 32;
  if (*n > kMaxOutputElements) {
    return Invalid(ctx, absl::StrCat("computed output shape ", ShapeToString(shape), " has ", *n,
                                     " elements, expected at most ", kMaxOutputElements));
  }
  return absl::OkStatus();
}

// Forward-conv-style geometry shared by Conv and the pools: fills pads and out_spatial.
absl::Status ForwardGeometry(const KernelContext& ctx, const std::vector<int64_t>& in,
                             const std::vector<int64_t>& kernel,
                             const std::vector<int64_t>& strides,
                             const std::vector<int64_t>& dilations, bool ceil_mode,
                             std::vector<int64_t>* pads_begin, std::vector<int64_t>* pads_end,
                             std::vector<int64_t>* out) {
  const size_t n = kernel.size();
  std::string auto_pad = ctx.GetString("auto_pad", "NOTSET");
  out->assign(n, 0);
  pads_begin->assign(n, 0);
  pads_end->assign(n, 0);
  if (auto_pad == "NOTSET") {
    RETURN_IF_ERROR(ExplicitPads(ctx, n, pads_begin, pads_end));
  } else if (auto_pad != "VALID" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER") {
    return Invalid(ctx, absl::StrCat("attribute 'auto_pad' is \"", auto_pad,
                                     "\", expected NOTSET, VALID, SAME_UPPER or SAME_LOWER"));
  }
  for (size_t i = 0; i < n; ++i) {
    const int64_t ek = (kernel[i] - 1) * dilations[i] + 1;
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      const int64_t o = (in[i] + strides[i] - 1) / strides[i];
      const int64_t total = std::max<int64_t>(0, (o - 1) * strides[i] + ek - in[i]);
      if (auto_pad == "SAME_UPPER") {
        (*pads_begin)[i] = total / 2;
        (*pads_end)[i] = total - total / 2;
      } else {
        (*pads_end)[i] = total / 2;
        (*pads_begin)[i] = total - total / 2;
      }
      (*out)[i] = o;
      continue;
    }
    const int64_t span = in[i] + (*pads_begin)[i] + (*pads_end)[i] - ek;
    if (span < 0) {
      return Invalid(ctx, absl::StrCat("spatial dim ", i, ": input ", in[i], " plus pads ",
                                       (*pads_begin)[i], "+", (*pads_end)[i],
                                       " is smaller than the dilated kernel ", ek));
    }
    int64_t o = ceil_mode ? (span + strides[i] - 1) / strides[i] + 1 : span / strides[i] + 1;
    // PyTorch / ONNX reference: the last window must start inside the input or the begin pad.
    if (ceil_mode && (o - 1) * strides[i] >= in[i] + (*pads_begin)[i]) --o;
    (*out)[i] = o;
  }
  return absl::OkStatus();
}

absl::Status CheckRank(const KernelContext& ctx, const Shape& s, absl::string_view what,
                       int min_rank) {
  if (static_cast<int>(s.size()) < min_rank) {
    return Invalid(ctx, absl::StrCat(what, " has shape ", ShapeToString(s), ", expected rank >= ",
                                     min_rank));
  }
  return absl::OkStatus();
}

// Conv and ConvTranspose: X of rank >= 3 and W of the same rank.
absl::Status CheckConvRanks(const KernelContext& ctx, const Shape& x, const Shape& w) {
  RETURN_IF_ERROR(CheckRank(ctx, x, "input X", 3));
  if (w.size() != x.size()) {
    return Invalid(ctx, absl::StrCat("weight W has shape ", ShapeToString(w), ", expected rank ",
                                     x.size(), " like X ", ShapeToString(x)));
  }
  return absl::OkStatus();
}

// What Conv and ConvTranspose read alike once the channels check out: X's spatial dims, the
// kernel from W (and `kernel_shape` agreeing with it), strides, dilations.
absl::Status ResolveConvWindow(const KernelContext& ctx, const Shape& x, const Shape& w,
                               ConvParams* p) {
  const size_t n = x.size() - 2;
  p->in_spatial.assign(x.begin() + 2, x.end());
  p->kernel.assign(w.begin() + 2, w.end());
  std::vector<int64_t> ks = ctx.GetInts("kernel_shape", p->kernel);
  if (ks != p->kernel) {
    return Invalid(ctx, absl::StrCat("attribute 'kernel_shape' = [", absl::StrJoin(ks, ", "),
                                     "], W's spatial dims are [", absl::StrJoin(p->kernel, ", "),
                                     "]"));
  }
  for (int64_t k : p->kernel) {
    if (k < 1) return Invalid(ctx, absl::StrCat("W ", ShapeToString(w), " has an empty kernel"));
  }
  ASSIGN_OR_RETURN(p->strides, SpatialAttr(ctx, "strides", n, 1, 1));
  ASSIGN_OR_RETURN(p->dilations, SpatialAttr(ctx, "dilations", n, 1, 1));
  return absl::OkStatus();
}

}  // namespace

std::vector<int64_t> CoordinateTable(const std::vector<int64_t>& dims) {
  const int64_t count = Product(dims);
  const size_t rank = dims.size();
  std::vector<int64_t> table(count * rank);
  for (int64_t i = 0; i < count; ++i) {
    int64_t rest = i;
    for (int d = static_cast<int>(rank) - 1; d >= 0; --d) {
      table[i * rank + d] = rest % dims[d];
      rest /= dims[d];
    }
  }
  return table;
}

absl::Status CheckBias(const KernelContext& ctx, const Tensor* b, int64_t channels) {
  if (b != nullptr && b->shape() != Shape{channels}) {
    return Invalid(ctx, absl::StrCat("input B has shape ", ShapeToString(b->shape()),
                                     ", expected [", channels, "]"));
  }
  return absl::OkStatus();
}

bool ConvParams::TapIndex(const int64_t* base, const int64_t* tap,
                          const std::vector<int64_t>& extent, int64_t* flat) const {
  const int nd = spatial_rank();
  int64_t f = 0;
  for (int d = 0; d < nd; ++d) {
    const int64_t pos = base[d] * strides[d] - pads_begin[d] + tap[d] * dilations[d];
    if (pos < 0 || pos >= extent[d]) return false;
    f = f * extent[d] + pos;
  }
  *flat = f;
  return true;
}

Shape ConvParams::OutputShape() const {
  Shape s = {batch, c_out};
  s.insert(s.end(), out_spatial.begin(), out_spatial.end());
  return s;
}
int64_t ConvParams::KernelSize() const { return Product(kernel); }
int64_t ConvParams::InSpatialSize() const { return Product(in_spatial); }
int64_t ConvParams::OutSpatialSize() const { return Product(out_spatial); }

absl::StatusOr<ConvParams> ResolveConv(const KernelContext& ctx, const Shape& x, const Shape& w) {
  RETURN_IF_ERROR(CheckConvRanks(ctx, x, w));
  ConvParams p;
  p.batch = x[0];
  p.c_in = x[1];
  p.c_out = w[0];
  p.group = ctx.GetInt("group", 1);
  if (p.group < 1 || p.c_in % p.group != 0 || p.c_out % p.group != 0 ||
      w[1] * p.group != p.c_in) {
    return Invalid(ctx, absl::StrCat("X ", ShapeToString(x), ", W ", ShapeToString(w), ", group ",
                                     p.group, ": expected W[1] * group == X[1] and W[0] % group "
                                     "== 0"));
  }
  RETURN_IF_ERROR(ResolveConvWindow(ctx, x, w, &p));
  RETURN_IF_ERROR(ForwardGeometry(ctx, p.in_spatial, p.kernel, p.strides, p.dilations, false,
                                  &p.pads_begin, &p.pads_end, &p.out_spatial));
  RETURN_IF_ERROR(CheckOutputSize(ctx, p.OutputShape()));
  return p;
}

absl::StatusOr<ConvParams> ResolveConvTranspose(const KernelContext& ctx, const Shape& x,
                                                const Shape& w) {
  RETURN_IF_ERROR(CheckConvRanks(ctx, x, w));
  const size_t n = x.size() - 2;
  ConvParams p;
  p.batch = x[0];
  p.c_in = x[1];
  p.group = ctx.GetInt("group", 1);
  if (p.group < 1 || w[0] != p.c_in || p.c_in % p.group != 0) {
    return Invalid(ctx, absl::StrCat("X ", ShapeToString(x), ", W ", ShapeToString(w), ", group ",
                                     p.group, ": expected W[0] == X[1], divisible by group"));
  }
  p.c_out = w[1] * p.group;
  RETURN_IF_ERROR(ResolveConvWindow(ctx, x, w, &p));
  ASSIGN_OR_RETURN(std::vector<int64_t> out_pad, SpatialAttr(ctx, "output_padding", n, 0, 0));
  std::vector<int64_t> out_shape = ctx.GetInts("output_shape", {});
  if (out_shape.size() == n + 2) out_shape.erase(out_shape.begin(), out_shape.begin() + 2);
  if (!out_shape.empty() && out_shape.size() != n) {
    return Invalid(ctx, absl::StrCat("attribute 'output_shape' = [", absl::StrJoin(out_shape, ", "),
                                     "], expected ", n, " spatial dims"));
  }
  std::string auto_pad = ctx.GetString("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "VALID" && auto_pad != "SAME_UPPER" &&
      auto_pad != "SAME_LOWER") {
    return Invalid(ctx, absl::StrCat("attribute 'auto_pad' is \"", auto_pad,
                                     "\", expected NOTSET, VALID, SAME_UPPER or SAME_LOWER"));
  }
  p.pads_begin.assign(n, 0);
  p.pads_end.assign(n, 0);
  p.out_spatial.assign(n, 0);
  if (auto_pad == "NOTSET" && out_shape.empty()) {
    RETURN_IF_ERROR(ExplicitPads(ctx, n, &p.pads_begin, &p.pads_end));
  }
  for (size_t i = 0; i < n; ++i) {
    if (out_pad[i] >= std::max(p.strides[i], p.dilations[i])) {
      return Invalid(ctx, absl::StrCat("output_padding ", out_pad[i], " in spatial dim ", i,
                                       ", expected less than stride or dilation"));
    }
    const int64_t ek = (p.kernel[i] - 1) * p.dilations[i] + 1;
    const int64_t full = p.strides[i] * (p.in_spatial[i] - 1) + out_pad[i] + ek;
    int64_t target = -1;
    if (!out_shape.empty()) {
      target = out_shape[i];
    } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      target = p.in_spatial[i] * p.strides[i];
    }
    if (target >= 0) {
      // A target above the full size gives negative padding: extra trailing outputs that only
      // the bias reaches (ONNX's test_convtranspose_output_shape). Halves round down, as in the
      // spec's Python reference.
      const int64_t total = full - target;
      const int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);
      if (auto_pad == "SAME_UPPER") {
        p.pads_begin[i] = half;
        p.pads_end[i] = total - half;
      } else {
        p.pads_begin[i] = total - half;
        p.pads_end[i] = half;
      }
      p.out_spatial[i] = target;
    } else {
      p.out_spatial[i] = full - p.pads_begin[i] - p.pads_end[i];
    }
  }
  RETURN_IF_ERROR(CheckOutputSize(ctx, p.OutputShape()));
  return p;
}

Shape PoolParams::OutputShape() const {
  Shape s = {batch, channels};
  s.insert(s.end(), out_spatial.begin(), out_spatial.end());
  return s;
}

absl::StatusOr<PoolParams> ResolvePool(const KernelContext& ctx, const Shape& x) {
  RETURN_IF_ERROR(CheckRank(ctx, x, "input X", 3));
  const size_t n = x.size() - 2;
  PoolParams p;
  p.batch = x[0];
  p.channels = x[1];
  p.in_spatial.assign(x.begin() + 2, x.end());
  p.kernel = ctx.GetInts("kernel_shape", {});
  if (p.kernel.size() != n) {
    return Invalid(ctx, absl::StrCat("attribute 'kernel_shape' has ", p.kernel.size(),
                                     " values, expected ", n, " for X ", ShapeToString(x)));
  }
  for (int64_t k : p.kernel) {
    if (k < 1) {
      return Invalid(ctx, absl::StrCat("attribute 'kernel_shape' = [",
                                       absl::StrJoin(p.kernel, ", "), "], expected positive"));
    }
  }
  ASSIGN_OR_RETURN(p.strides, SpatialAttr(ctx, "strides", n, 1, 1));
  ASSIGN_OR_RETURN(p.dilations, SpatialAttr(ctx, "dilations", n, 1, 1));
  p.count_include_pad = ctx.GetInt("count_include_pad", 0) != 0;
  const bool ceil_mode = ctx.GetInt("ceil_mode", 0) != 0;
  RETURN_IF_ERROR(ForwardGeometry(ctx, p.in_spatial, p.kernel, p.strides, p.dilations, ceil_mode,
                                  &p.pads_begin, &p.pads_end, &p.out_spatial));
  RETURN_IF_ERROR(CheckOutputSize(ctx, p.OutputShape()));
  return p;
}

absl::StatusOr<MatMulPlan> PlanMatMul(const KernelContext& ctx, const Shape& a_in,
                                      const Shape& b_in) {
  if (a_in.empty() || b_in.empty()) {
    return Invalid(ctx, absl::StrCat("MatMul operands ", ShapeToString(a_in), " and ",
                                     ShapeToString(b_in), ": expected rank >= 1"));
  }
  Shape a = a_in, b = b_in;
  const bool a_vec = a.size() == 1, b_vec = b.size() == 1;
  if (a_vec) a.insert(a.begin(), 1);
  if (b_vec) b.push_back(1);
  MatMulPlan p;
  p.m = a[a.size() - 2];
  p.k = a[a.size() - 1];
  p.n = b[b.size() - 1];
  if (b[b.size() - 2] != p.k) {
    return Invalid(ctx, absl::StrCat("MatMul A ", ShapeToString(a_in), " and B ",
                                     ShapeToString(b_in), ": inner dims ", p.k, " and ",
                                     b[b.size() - 2], " differ"));
  }
  Shape a_batch(a.begin(), a.end() - 2), b_batch(b.begin(), b.end() - 2);
  absl::StatusOr<Shape> batch_or = BroadcastShapes({a_batch, b_batch});
  if (!batch_or.ok()) {
    return Invalid(ctx, absl::StrCat("MatMul A ", ShapeToString(a_in), " and B ",
                                     ShapeToString(b_in), ": batch dims do not broadcast"));
  }
  const Shape batch = *batch_or;
  p.out_shape = batch;
  if (!a_vec) p.out_shape.push_back(p.m);
  if (!b_vec) p.out_shape.push_back(p.n);
  RETURN_IF_ERROR(CheckOutputSize(ctx, p.out_shape));
  const int64_t count = Product(batch);
  p.a_batch.resize(count);
  p.b_batch.resize(count);
  const size_t r = batch.size();
  std::vector<int64_t> idx(r, 0);
  for (int64_t i = 0; i < count; ++i) {
    int64_t ao = 0, bo = 0;
    for (size_t d = 0; d < r; ++d) {
      const size_t ad = d + a_batch.size();  // index into a_batch when >= r
      if (ad >= r) {
        const int64_t dim = a_batch[ad - r];
        ao = ao * dim + (dim == 1 ? 0 : idx[d]);
      }
      const size_t bd = d + b_batch.size();
      if (bd >= r) {
        const int64_t dim = b_batch[bd - r];
        bo = bo * dim + (dim == 1 ? 0 : idx[d]);
      }
    }
    p.a_batch[i] = ao;
    p.b_batch[i] = bo;
    for (int d = static_cast<int>(r) - 1; d >= 0; --d) {
      if (++idx[d] < batch[d]) break;
      idx[d] = 0;
    }
  }
  return p;
}

absl::StatusOr<GemmParams> ResolveGemm(const KernelContext& ctx, const Shape& a, const Shape& b,
                                       const Tensor* c) {
  if (a.size() != 2 || b.size() != 2) {
    return Invalid(ctx, absl::StrCat("Gemm A ", ShapeToString(a), ", B ", ShapeToString(b),
                                     ": expected 2-D operands"));
  }
  GemmParams p;
  p.trans_a = ctx.GetInt("transA", 0) != 0;
  p.trans_b = ctx.GetInt("transB", 0) != 0;
  p.alpha = ctx.GetFloat("alpha", 1.0f);
  p.beta = ctx.GetFloat("beta", 1.0f);
  p.m = p.trans_a ? a[1] : a[0];
  p.k = p.trans_a ? a[0] : a[1];
  const int64_t kb = p.trans_b ? b[1] : b[0];
  p.n = p.trans_b ? b[0] : b[1];
  if (kb != p.k) {
    return Invalid(ctx, absl::StrCat("Gemm A ", ShapeToString(a), " (transA ", p.trans_a, "), B ",
                                     ShapeToString(b), " (transB ", p.trans_b,
                                     "): inner dims ", p.k, " and ", kb, " differ"));
  }
  if (c != nullptr) {
    const Shape& cs = c->shape();
    Shape c2 = cs;
    if (c2.size() > 2) {
      return Invalid(ctx, absl::StrCat("Gemm C ", ShapeToString(cs), ": expected rank <= 2"));
    }
    while (c2.size() < 2) c2.insert(c2.begin(), 1);
    if ((c2[0] != 1 && c2[0] != p.m) || (c2[1] != 1 && c2[1] != p.n)) {
      return Invalid(ctx, absl::StrCat("Gemm C ", ShapeToString(cs),
                                       " does not broadcast to [", p.m, ", ", p.n, "]"));
    }
    p.has_c = true;
    p.c_row_stride = c2[0] == 1 ? 0 : c2[1];
    p.c_col_stride = c2[1] == 1 ? 0 : 1;
  }
  return p;
}

double RnnActivation::Apply(double x) const {
  switch (kind) {
    case kSigmoid: return 1.0 / (1.0 + std::exp(-x));
    case kTanh: return std::tanh(x);
    case kRelu: return x > 0 ? x : 0;
    case kHardSigmoid: return std::max(0.0, std::min(1.0, alpha * x + beta));
    case kAffine: return alpha * x + beta;
    case kLeakyRelu: return x >= 0 ? x : alpha * x;
    case kThresholdedRelu: return x > alpha ? x : 0;
    case kScaledTanh: return alpha * std::tanh(beta * x);
    case kElu: return x >= 0 ? x : alpha * (std::exp(x) - 1);
    case kSoftsign: return x / (1 + std::fabs(x));
    case kSoftplus: return std::log1p(std::exp(x));
  }
  return x;
}

float RnnActivation::Apply(float x) const {
  switch (kind) {
    case kSigmoid: return 1.0f / (1.0f + std::exp(-x));
    case kTanh: return std::tanh(x);
    case kRelu: return x > 0 ? x : 0;
    default: return static_cast<float>(Apply(static_cast<double>(x)));
  }
}

namespace {

absl::StatusOr<RnnActivation> MakeActivation(const KernelContext& ctx, const std::string& name,
                                             const std::vector<float>& alphas, size_t* ai,
                                             const std::vector<float>& betas, size_t* bi) {
  struct Info {
    const char* name;
    RnnActivation::Kind kind;
    int num_alpha, num_beta;
    double def_alpha, def_beta;
  };
  static const Info kInfos[] = {
      {"sigmoid", RnnActivation::kSigmoid, 0, 0, 0, 0},
      {"tanh", RnnActivation::kTanh, 0, 0, 0, 0},
      {"relu", RnnActivation::kRelu, 0, 0, 0, 0},
      {"hardsigmoid", RnnActivation::kHardSigmoid, 1, 1, 0.2, 0.5},
      {"affine", RnnActivation::kAffine, 1, 1, 1.0, 0.0},
      {"leakyrelu", RnnActivation::kLeakyRelu, 1, 0, 0.01, 0},
      {"thresholdedrelu", RnnActivation::kThresholdedRelu, 1, 0, 1.0, 0},
      {"scaledtanh", RnnActivation::kScaledTanh, 1, 1, 1.0, 1.0},
      {"elu", RnnActivation::kElu, 1, 0, 1.0, 0},
      {"softsign", RnnActivation::kSoftsign, 0, 0, 0, 0},
      {"softplus", RnnActivation::kSoftplus, 0, 0, 0, 0},
  };
  const std::string lower = absl::AsciiStrToLower(name);
  for (const Info& info : kInfos) {
    if (lower != info.name) continue;
    RnnActivation a;
    a.kind = info.kind;
    a.alpha = info.def_alpha;
    a.beta = info.def_beta;
    if (info.num_alpha && *ai < alphas.size()) a.alpha = alphas[(*ai)++];
    if (info.num_beta && *bi < betas.size()) a.beta = betas[(*bi)++];
    return a;
  }
  return ctx.Error(absl::StatusCode::kUnimplemented,
                   absl::StrCat("activation \"", name, "\" is not supported; expected one of "
                                "Sigmoid, Tanh, Relu, HardSigmoid, Affine, LeakyRelu, "
                                "ThresholdedRelu, ScaledTanh, Elu, Softsign, Softplus"));
}

}  // namespace

Shape RnnParams::YShape() const {
  if (layout == 0) return {seq_len, num_directions, batch, hidden};
  return {batch, seq_len, num_directions, hidden};
}
Shape RnnParams::YhShape() const {
  if (layout == 0) return {num_directions, batch, hidden};
  return {batch, num_directions, hidden};
}
int64_t RnnParams::XOffset(int64_t t, int64_t b) const {
  return layout == 0 ? (t * batch + b) * input_size : (b * seq_len + t) * input_size;
}
int64_t RnnParams::YOffset(int64_t t, int d, int64_t b) const {
  return layout == 0 ? ((t * num_directions + d) * batch + b) * hidden
                     : ((b * seq_len + t) * num_directions + d) * hidden;
}
int64_t RnnParams::HOffset(int d, int64_t b) const {
  return layout == 0 ? (d * batch + b) * hidden : (b * num_directions + d) * hidden;
}

absl::StatusOr<RnnParams> ResolveRnn(const KernelContext& ctx, bool is_lstm) {
  RnnParams p;
  p.num_gates = is_lstm ? 4 : 3;
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* w, ctx.Input(1));
  ASSIGN_OR_RETURN(const Tensor* r, ctx.Input(2));
  p.layout = ctx.GetInt("layout", 0);
  if (p.layout != 0 && p.layout != 1) {
    return Invalid(ctx, absl::StrCat("attribute 'layout' = ", p.layout, ", expected 0 or 1"));
  }
  if (x->rank() != 3) {
    return Invalid(ctx, absl::StrCat("input X has shape ", ShapeToString(x->shape()),
                                     ", expected rank 3"));
  }
  p.seq_len = p.layout == 0 ? x->shape()[0] : x->shape()[1];
  p.batch = p.layout == 0 ? x->shape()[1] : x->shape()[0];
  p.input_size = x->shape()[2];
  const std::string direction = ctx.GetString("direction", "forward");
  if (direction == "forward") {
    p.forward = true;
  } else if (direction == "reverse") {
    p.forward = false;
  } else if (direction == "bidirectional") {
    p.bidirectional = true;
    p.num_directions = 2;
  } else {
    return Invalid(ctx, absl::StrCat("attribute 'direction' is \"", direction,
                                     "\", expected forward, reverse or bidirectional"));
  }
  const int64_t dirs = p.num_directions;
  if (w->rank() != 3 || w->shape()[0] != dirs || w->shape()[1] % p.num_gates != 0 ||
      w->shape()[2] != p.input_size) {
    return Invalid(ctx, absl::StrCat("input W has shape ", ShapeToString(w->shape()),
                                     ", expected [", dirs, ", ", p.num_gates, "*hidden, ",
                                     p.input_size, "]"));
  }
  p.hidden = w->shape()[1] / p.num_gates;
  const int64_t hs = ctx.GetInt("hidden_size", p.hidden);
  if (hs != p.hidden) {
    return Invalid(ctx, absl::StrCat("attribute 'hidden_size' = ", hs, ", W ",
                                     ShapeToString(w->shape()), " implies ", p.hidden));
  }
  const Shape r_want = {dirs, p.num_gates * p.hidden, p.hidden};
  if (r->shape() != r_want) {
    return Invalid(ctx, absl::StrCat("input R has shape ", ShapeToString(r->shape()),
                                     ", expected ", ShapeToString(r_want)));
  }
  if (const Tensor* b = ctx.OptionalInput(3)) {
    const Shape want = {dirs, 2 * p.num_gates * p.hidden};
    if (b->shape() != want) {
      return Invalid(ctx, absl::StrCat("input B has shape ", ShapeToString(b->shape()),
                                       ", expected ", ShapeToString(want)));
    }
  }
  p.lengths.assign(p.batch, p.seq_len);
  if (const Tensor* sl = ctx.OptionalInput(4)) {
    if (sl->shape() != Shape{p.batch}) {
      return Invalid(ctx, absl::StrCat("input sequence_lens has shape ",
                                       ShapeToString(sl->shape()), ", expected [", p.batch, "]"));
    }
    ASSIGN_OR_RETURN(std::vector<double> lens, ToDoubleVector(*sl));
    for (int64_t b = 0; b < p.batch; ++b) {
      if (lens[b] < 0 || lens[b] > p.seq_len) {
        return Invalid(ctx, absl::StrCat("sequence_lens[", b, "] = ", lens[b],
                                         ", expected 0..", p.seq_len));
      }
      p.lengths[b] = static_cast<int64_t>(lens[b]);
    }
  }
  const Shape h_want = p.YhShape();
  for (int i : {5, 6}) {
    if (i == 6 && !is_lstm) break;
    if (const Tensor* h = ctx.OptionalInput(i)) {
      if (h->shape() != h_want) {
        return Invalid(ctx, absl::StrCat(i == 5 ? "input initial_h" : "input initial_c",
                                         " has shape ", ShapeToString(h->shape()), ", expected ",
                                         ShapeToString(h_want)));
      }
    }
  }
  if (is_lstm) {
    if (const Tensor* pp = ctx.OptionalInput(7)) {
      const Shape want = {dirs, 3 * p.hidden};
      if (pp->shape() != want) {
        return Invalid(ctx, absl::StrCat("input P has shape ", ShapeToString(pp->shape()),
                                         ", expected ", ShapeToString(want)));
      }
    }
    if (ctx.GetInt("input_forget", 0) != 0) {
      return ctx.Error(absl::StatusCode::kUnimplemented, "input_forget=1 is not supported");
    }
  } else {
    p.linear_before_reset = ctx.GetInt("linear_before_reset", 0) != 0;
  }
  p.clip = ctx.GetFloat("clip", 0.0f);
  if (p.clip < 0) {
    return Invalid(ctx, absl::StrCat("attribute 'clip' = ", p.clip, ", expected > 0"));
  }
  const int per_dir = is_lstm ? 3 : 2;
  std::vector<std::string> names;
  if (const onnx::AttributeProto* a = ctx.Attr("activations")) {
    for (const std::string& s : a->strings()) names.push_back(s);
  }
  if (names.empty()) {
    for (int d = 0; d < dirs; ++d) {
      names.push_back("Sigmoid");
      names.push_back("Tanh");
      if (is_lstm) names.push_back("Tanh");
    }
  }
  if (static_cast<int64_t>(names.size()) != per_dir * dirs) {
    return Invalid(ctx, absl::StrCat("attribute 'activations' has ", names.size(),
                                     " names, expected ", per_dir * dirs));
  }
  const std::vector<float> alphas = ctx.GetFloats("activation_alpha", {});
  const std::vector<float> betas = ctx.GetFloats("activation_beta", {});
  size_t ai = 0, bi = 0;
  p.activations.resize(dirs);
  for (int d = 0; d < dirs; ++d) {
    for (int j = 0; j < per_dir; ++j) {
      ASSIGN_OR_RETURN(RnnActivation act,
                       MakeActivation(ctx, names[d * per_dir + j], alphas, &ai, betas, &bi));
      p.activations[d].push_back(act);
    }
  }
  RETURN_IF_ERROR(CheckOutputSize(ctx, p.YShape()));
  return p;
}

absl::StatusOr<EinsumPlan> PlanEinsum(const KernelContext& ctx,
                                      const std::vector<Shape>& shapes) {
  std::string eq = ctx.GetString("equation", "");
  eq.erase(std::remove(eq.begin(), eq.end(), ' '), eq.end());
  if (eq.empty()) return Invalid(ctx, "attribute 'equation' is missing or empty");
  std::string lhs = eq, rhs;
  const bool explicit_out = eq.find("->") != std::string::npos;
  if (explicit_out) {
    lhs = eq.substr(0, eq.find("->"));
    rhs = eq.substr(eq.find("->") + 2);
  }
  std::vector<std::string> terms = absl::StrSplit(lhs, ',');
  if (terms.size() != shapes.size()) {
    return Invalid(ctx, absl::StrCat("equation \"", eq, "\" has ", terms.size(),
                                     " operands, the node has ", shapes.size(), " inputs"));
  }
  auto letter = [](char c) -> int {
    if (c >= 'a' && c <= 'z') return c - 'a';
    if (c >= 'A' && c <= 'Z') return 26 + (c - 'A');
    return -1;
  };
  // Parse terms into letter lists with an ellipsis position.
  struct Term {
    std::vector<int> before, after;
    bool ellipsis = false;
  };
  auto parse = [&](const std::string& s, Term* t) -> absl::Status {
    size_t i = 0;
    while (i < s.size()) {
      if (s.compare(i, 3, "...") == 0) {
        if (t->ellipsis) return Invalid(ctx, absl::StrCat("equation \"", eq, "\": two '...'"));
        t->ellipsis = true;
        i += 3;
        continue;
      }
      const int l = letter(s[i]);
      if (l < 0) {
        return Invalid(ctx, absl::StrCat("equation \"", eq, "\": unexpected character '",
                                         std::string(1, s[i]),
                                         "'"));
      }
      (t->ellipsis ? t->after : t->before).push_back(l);
      ++i;
    }
    return absl::OkStatus();
  };
  std::vector<Term> parsed(terms.size());
  int ell_rank = 0;
  for (size_t o = 0; o < terms.size(); ++o) {
    RETURN_IF_ERROR(parse(terms[o], &parsed[o]));
    const int named = parsed[o].before.size() + parsed[o].after.size();
    const int rank = shapes[o].size();
    if (parsed[o].ellipsis ? rank < named : rank != named) {
      return Invalid(ctx, absl::StrCat("equation \"", eq, "\": operand ", o, " term \"", terms[o],
                                       "\" does not match its shape ",
                                       ShapeToString(shapes[o])));
    }
    if (parsed[o].ellipsis) ell_rank = std::max(ell_rank, rank - named);
  }
  EinsumPlan p;
  p.num_labels = 52 + ell_rank;
  p.label_size.assign(p.num_labels, -1);
  std::vector<int> count(p.num_labels, 0);
  auto bind = [&](int label, int64_t dim, bool broadcastable) -> absl::Status {
    int64_t& s = p.label_size[label];
    if (s == -1 || (broadcastable && s == 1)) {
      s = dim;
    } else if (dim != s && !(broadcastable && dim == 1)) {
      return Invalid(ctx, absl::StrCat("equation \"", eq, "\": dim of size ", dim,
                                       " does not match earlier size ", s));
    }
    return absl::OkStatus();
  };
  p.operand_labels.resize(terms.size());
  for (size_t o = 0; o < terms.size(); ++o) {
    const Term& t = parsed[o];
    const int rank = shapes[o].size();
    const int e = t.ellipsis ? rank - static_cast<int>(t.before.size() + t.after.size()) : 0;
    std::vector<int>& labels = p.operand_labels[o];
    for (int l : t.before) labels.push_back(l);
    for (int j = 0; j < e; ++j) labels.push_back(52 + ell_rank - e + j);
    for (int l : t.after) labels.push_back(l);
    for (int d = 0; d < rank; ++d) {
      RETURN_IF_ERROR(bind(labels[d], shapes[o][d], labels[d] >= 52));
      ++count[labels[d]];
    }
  }
  if (explicit_out) {
    Term out;
    RETURN_IF_ERROR(parse(rhs, &out));
    for (int l : out.before) p.output_labels.push_back(l);
    if (out.ellipsis) {
      for (int j = 0; j < ell_rank; ++j) p.output_labels.push_back(52 + j);
    }
    for (int l : out.after) p.output_labels.push_back(l);
    for (int l : p.output_labels) {
      if (l < 52 && count[l] == 0) {
        return Invalid(ctx, absl::StrCat("equation \"", eq, "\": output label '",
                                         std::string(1, static_cast<char>(
                                                            l < 26 ? 'a' + l : 'A' + l - 26)),
                                         "' appears in no operand"));
      }
    }
  } else {
    for (int j = 0; j < ell_rank; ++j) p.output_labels.push_back(52 + j);
    // Implicit mode: labels used exactly once, in alphabetical order (upper case sorts first).
    for (int l = 26; l < 52; ++l) {
      if (count[l] == 1) p.output_labels.push_back(l);
    }
    for (int l = 0; l < 26; ++l) {
      if (count[l] == 1) p.output_labels.push_back(l);
    }
  }
  std::vector<bool> in_out(p.num_labels, false);
  for (int l : p.output_labels) {
    if (in_out[l]) {
      return Invalid(ctx, absl::StrCat("equation \"", eq, "\": repeated output label"));
    }
    in_out[l] = true;
  }
  for (int l = 0; l < p.num_labels; ++l) {
    if (count[l] > 0 && !in_out[l]) p.summed_labels.push_back(l);
  }
  for (int l : p.output_labels) p.out_shape.push_back(p.label_size[l] < 0 ? 1 : p.label_size[l]);
  RETURN_IF_ERROR(CheckOutputSize(ctx, p.out_shape));
  return p;
}

absl::StatusOr<SoftmaxGeometry> ResolveSoftmax(const KernelContext& ctx, const Shape& x) {
  const int rank = x.size();
  const int64_t def = ctx.opset() >= 13 ? -1 : 1;
  int64_t axis = ctx.GetInt("axis", def);
  if (axis < -rank || axis >= std::max(rank, 1)) {
    return Invalid(ctx, absl::StrCat("attribute 'axis' = ", axis, " is out of range for input ",
                                     ShapeToString(x)));
  }
  if (axis < 0) axis += rank;
  SoftmaxGeometry g;
  if (rank == 0) return g;
  for (int d = 0; d < axis; ++d) g.outer *= x[d];
  if (ctx.opset() >= 13) {
    g.axis = x[axis];
    for (int d = axis + 1; d < rank; ++d) g.inner *= x[d];
  } else {
    g.axis = 1;
    for (int d = axis; d < rank; ++d) g.axis *= x[d];
  }
  return g;
}

absl::Status CheckFloatInput(const KernelContext& ctx, const Tensor& t, absl::string_view what) {
  if (!IsFloating(t.dtype())) {
    return ctx.Error(absl::StatusCode::kUnimplemented,
                     absl::StrCat(what, " has dtype ", DTypeName(t.dtype()),
                                  ", expected f32, f64, f16 or bf16"));
  }
  return absl::OkStatus();
}

}  // namespace rt
}  // namespace tp
