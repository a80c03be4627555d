// FusedConv / FusedConvTranspose: the convolutions the layout rewrite puts on oneDNN
// (runtime/rewrite/blocked_layout.h), with the epilogue runtime/rewrite/conv_epilogue.h folds
// into them. Inputs: X (blocked when src_blocked = 1), W, B (may be absent), residual R (in Y's
// layout, may be absent). Attributes: the ONNX op's, src_blocked, dst_blocked, activation / alpha
// / beta and post_activation / post_alpha / post_beta.
//
// Where oneDNN declines a geometry at run time (the rewrite checked the inferred shapes, a run may
// feed others), the node runs as written: plain Conv kernel, activation, residual, activation.
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "core/tensor.h"
#include "runtime/cpu/activation.h"
#include "runtime/cpu/blocked.h"
#include "runtime/cpu/cpu_util.h"
#include "runtime/cpu/dnnl_conv.h"
#include "runtime/cpu/fused_kernels.h"
#include "runtime/cpu/kernels.h"
#include "runtime/cpu/phase_deconv.h"
#include "runtime/reference/nn/conv_params.h"

namespace tp {
namespace rt {
namespace cpu {
namespace {

absl::StatusOr<Activation> ReadActivation(const KernelContext& ctx, const std::string& prefix) {
  Activation a;
  const std::string name = ctx.GetString(prefix + "activation", "");
  if (!ActivationFromName(name, &a.kind)) {
    return ctx.Invalid(absl::StrCat("unknown ", prefix, "activation \"", name, "\""));
  }
  a.alpha = ctx.GetFloat(prefix + "alpha", 0.0f);
  a.beta = ctx.GetFloat(prefix + "beta", 0.0f);
  return a;
}

Tensor Relayout(const Tensor& t, bool to_blocked, int threads) {
  const Shape logical = to_blocked ? t.shape() : LogicalShape(t.shape());
  int64_t spatial = 1;
  for (size_t d = 2; d < logical.size(); ++d) spatial *= logical[d];
  Tensor y = Tensor::Uninitialized(DType::kF32, to_blocked ? BlockedShape(logical) : logical);
  (to_blocked ? ToBlocked : ToPlain)(t.data_as<float>(), logical[0], logical[1], spatial,
                                     y.mutable_data_as<float>(), threads);
  return y;
}

// The node as written, on plain tensors (the fallback).
absl::Status RunUnfused(KernelContext& ctx, bool transpose, const Tensor& x, const Tensor& w,
                        const Tensor* b, const Tensor* r, const DnnlConvConfig& c) {
  onnx::NodeProto node = ctx.node();
  node.set_domain("");
  node.set_op_type(transpose ? "ConvTranspose" : "Conv");
  node.clear_input();
  node.add_input("x");
  node.add_input("w");
  if (b != nullptr) node.add_input("b");
  const int opset = static_cast<int>(ctx.GetInt("onnx_opset", 17));
  KernelContext inner(node, opset, std::vector<const Tensor*>{&x, &w, b}, ctx.num_threads());
  RETURN_IF_ERROR(ctx.Annotate(transpose ? ConvTransposeKernel(inner) : ConvKernel(inner)));
  Tensor y = inner.outputs()[0];
  ApplyActivation(c.act, y.mutable_data_as<float>(), y.num_elements());
  if (c.dst == Layout::kBlocked8) y = Relayout(y, true, Threads(ctx));
  if (r != nullptr) {
    ASSIGN_OR_RETURN(Tensor rc, r->Contiguous());
    if (rc.shape() != y.shape()) {
      return ctx.Invalid(absl::StrCat("residual has shape ", ShapeToString(rc.shape()),
                                      ", the convolution's output ", ShapeToString(y.shape())));
    }
    float* yp = y.mutable_data_as<float>();
    const float* rp = rc.data_as<float>();
    for (int64_t i = 0; i < y.num_elements(); ++i) yp[i] += rp[i];
  }
  ApplyActivation(c.post_act, y.mutable_data_as<float>(), y.num_elements());
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status FusedConvolution(KernelContext& ctx, bool transpose) {
  for (int i = 0; i < 4; ++i) {
    if (ctx.HasInput(i) && ctx.OptionalInput(i)->dtype() != DType::kF32) {
      return ctx.Invalid(absl::StrCat("input ", i, " is not float32"));
    }
  }
  ASSIGN_OR_RETURN(const Tensor* x_in, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* w_in, ctx.Input(1));
  const Tensor* b_in = ctx.OptionalInput(2);
  const Tensor* r_in = ctx.OptionalInput(3);
  DnnlConvConfig c;
  c.transpose = transpose;
  c.src = ctx.GetInt("src_blocked", 0) ? Layout::kBlocked8 : Layout::kPlain;
  c.dst = ctx.GetInt("dst_blocked", 0) ? Layout::kBlocked8 : Layout::kPlain;
  if (c.src == Layout::kBlocked8 && (x_in->rank() < 4 || x_in->shape().back() != kBlock)) {
    return ctx.Invalid(absl::StrCat("X has shape ", ShapeToString(x_in->shape()),
                                    "; expected a blocked tensor [N, C/8, ..., 8]"));
  }
  const Shape logical = c.src == Layout::kBlocked8 ? LogicalShape(x_in->shape()) : x_in->shape();
  if (transpose) {
    ASSIGN_OR_RETURN(c.p, ResolveConvTranspose(ctx, logical, w_in->shape()));
  } else {
    ASSIGN_OR_RETURN(c.p, ResolveConv(ctx, logical, w_in->shape()));
  }
  RETURN_IF_ERROR(CheckBias(ctx, b_in, c.p.c_out));
  ASSIGN_OR_RETURN(c.act, ReadActivation(ctx, ""));
  ASSIGN_OR_RETURN(c.post_act, ReadActivation(ctx, "post_"));
  c.residual = r_in != nullptr;
  ASSIGN_OR_RETURN(Tensor x, x_in->Contiguous());
  ASSIGN_OR_RETURN(Tensor w, w_in->Contiguous());
  Tensor b;
  if (b_in != nullptr) {
    ASSIGN_OR_RETURN(b, b_in->Contiguous());
  }
  Tensor r;
  if (r_in != nullptr) {
    ASSIGN_OR_RETURN(r, r_in->Contiguous());
  }
  const Shape out_shape = DnnlConvOutputShape(c);
  const bool residual_ok = r_in == nullptr || r.shape() == out_shape;
  if (transpose && residual_ok && PhaseDeconvSupports(c)) {
    const bool constant = ctx.IsConstantInput(1) && (b_in == nullptr || ctx.IsConstantInput(2));
    absl::StatusOr<std::shared_ptr<const PhaseDeconv>> d = CachedConv<PhaseDeconv>(
        ctx, c, w.data_as<float>(), b_in ? b.data_as<float>() : nullptr, constant);
    if (d.ok()) {
      Tensor y = Tensor::Uninitialized(DType::kF32, out_shape);
      RETURN_IF_ERROR(ctx.Annotate((*d)->Run(x.data_as<float>(),
                                             r_in ? r.data_as<float>() : nullptr,
                                             y.mutable_data_as<float>(), Threads(ctx))));
      ctx.SetOutput(0, std::move(y));
      return absl::OkStatus();
    }
  }
  if (!transpose && DnnlSupports(c) && residual_ok) {
    const bool constant = ctx.IsConstantInput(1) && (b_in == nullptr || ctx.IsConstantInput(2));
    absl::StatusOr<std::shared_ptr<const DnnlConv>> conv = CachedConv<DnnlConv>(
        ctx, c, w.data_as<float>(), b_in ? b.data_as<float>() : nullptr, constant);
    if (conv.ok()) {
      Tensor y = Tensor::Uninitialized(DType::kF32, out_shape);
      RETURN_IF_ERROR(ctx.Annotate((*conv)->Run(x.data_as<float>(),
                                                r_in ? r.data_as<float>() : nullptr,
                                                y.mutable_data_as<float>(), Threads(ctx))));
      ctx.SetOutput(0, std::move(y));
      return absl::OkStatus();
    }
  }
  if (c.src == Layout::kBlocked8) x = Relayout(x, false, Threads(ctx));
  return RunUnfused(ctx, transpose, x, w, b_in ? &b : nullptr, r_in ? &r : nullptr, c);
}

}  // namespace

absl::Status FusedConvKernel(KernelContext& ctx) { return FusedConvolution(ctx, false); }
absl::Status FusedConvTransposeKernel(KernelContext& ctx) { return FusedConvolution(ctx, true); }

}  // namespace cpu
}  // namespace rt
}  // namespace tp
