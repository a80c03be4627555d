#include "runtime/reference/rnn/rnn_params.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/status_macros.h"
#include "runtime/reference/util.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
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

absl::StatusOr<RnnParams> ResolveRnn(const KernelContext& ctx, RnnKind kind) {
  const bool is_lstm = kind == RnnKind::kLstm;
  RnnParams p;
  p.kind = kind;
  p.num_gates = kind == RnnKind::kLstm ? 4 : (kind == RnnKind::kGru ? 3 : 1);
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* w, ctx.Input(1));
  ASSIGN_OR_RETURN(const Tensor* r, ctx.Input(2));
  p.layout = ctx.GetInt("layout", 0);
  if (p.layout != 0 && p.layout != 1) {
    return ctx.Invalid(absl::StrCat("attribute 'layout' = ", p.layout, ", expected 0 or 1"));
  }
  if (x->rank() != 3) {
    return ctx.Invalid(absl::StrCat("input X has shape ", ShapeToString(x->shape()),
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
    return ctx.Invalid(absl::StrCat("attribute 'direction' is \"", direction,
                                     "\", expected forward, reverse or bidirectional"));
  }
  const int64_t dirs = p.num_directions;
  if (w->rank() != 3 || w->shape()[0] != dirs || w->shape()[1] % p.num_gates != 0 ||
      w->shape()[2] != p.input_size) {
    return ctx.Invalid(absl::StrCat("input W has shape ", ShapeToString(w->shape()),
                                     ", expected [", dirs, ", ", p.num_gates, "*hidden, ",
                                     p.input_size, "]"));
  }
  p.hidden = w->shape()[1] / p.num_gates;
  const int64_t hs = ctx.GetInt("hidden_size", p.hidden);
  if (hs != p.hidden) {
    return ctx.Invalid(absl::StrCat("attribute 'hidden_size' = ", hs, ", W ",
                                     ShapeToString(w->shape()), " implies ", p.hidden));
  }
  const Shape r_want = {dirs, p.num_gates * p.hidden, p.hidden};
  if (r->shape() != r_want) {
    return ctx.Invalid(absl::StrCat("input R has shape ", ShapeToString(r->shape()),
                                     ", expected ", ShapeToString(r_want)));
  }
  if (const Tensor* b = ctx.OptionalInput(3)) {
    const Shape want = {dirs, 2 * p.num_gates * p.hidden};
    if (b->shape() != want) {
      return ctx.Invalid(absl::StrCat("input B has shape ", ShapeToString(b->shape()),
                                       ", expected ", ShapeToString(want)));
    }
  }
  p.lengths.assign(p.batch, p.seq_len);
  if (const Tensor* sl = ctx.OptionalInput(4)) {
    if (sl->shape() != Shape{p.batch}) {
      return ctx.Invalid(absl::StrCat("input sequence_lens has shape ",
                                       ShapeToString(sl->shape()), ", expected [", p.batch, "]"));
    }
    ASSIGN_OR_RETURN(std::vector<double> lens, ToDoubleVector(*sl));
    for (int64_t b = 0; b < p.batch; ++b) {
      if (lens[b] < 0 || lens[b] > p.seq_len) {
        return ctx.Invalid(absl::StrCat("sequence_lens[", b, "] = ", lens[b],
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
        return ctx.Invalid(absl::StrCat(i == 5 ? "input initial_h" : "input initial_c",
                                         " has shape ", ShapeToString(h->shape()), ", expected ",
                                         ShapeToString(h_want)));
      }
    }
  }
  if (is_lstm) {
    if (const Tensor* pp = ctx.OptionalInput(7)) {
      const Shape want = {dirs, 3 * p.hidden};
      if (pp->shape() != want) {
        return ctx.Invalid(absl::StrCat("input P has shape ", ShapeToString(pp->shape()),
                                         ", expected ", ShapeToString(want)));
      }
    }
    if (ctx.GetInt("input_forget", 0) != 0) {
      return ctx.Error(absl::StatusCode::kUnimplemented, "input_forget=1 is not supported");
    }
  } else if (kind == RnnKind::kGru) {
    p.linear_before_reset = ctx.GetInt("linear_before_reset", 0) != 0;
  }
  p.clip = ctx.GetFloat("clip", 0.0f);
  if (p.clip < 0) {
    return ctx.Invalid(absl::StrCat("attribute 'clip' = ", p.clip, ", expected > 0"));
  }
  const int per_dir = is_lstm ? 3 : (kind == RnnKind::kGru ? 2 : 1);
  std::vector<std::string> names;
  if (const onnx::AttributeProto* a = ctx.Attr("activations")) {
    for (const std::string& s : a->strings()) names.push_back(s);
  }
  if (names.empty()) {
    for (int d = 0; d < dirs; ++d) {
      if (kind != RnnKind::kRnn) names.push_back("Sigmoid");
      names.push_back("Tanh");
      if (is_lstm) names.push_back("Tanh");
    }
  }
  if (static_cast<int64_t>(names.size()) != per_dir * dirs) {
    return ctx.Invalid(absl::StrCat("attribute 'activations' has ", names.size(),
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

}  // namespace rt
}  // namespace tp
