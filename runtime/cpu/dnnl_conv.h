// Convolution and transposed convolution on oneDNN (libdnnl 2.6) for the cpu backend: one
// compiled primitive per node and input shape, weights re-laid-out once into the primitive's
// preferred format, an activation and a residual addition fused into the primitive's epilogue.
//
// Activations come and go either in ONNX's plain layout ([N, C, spatial...]) or in the blocked
// layout of runtime/cpu/blocked.h ([N, C/8, spatial..., 8], what oneDNN calls nChw8c / nCw8c), the
// layout that the session's layout rewrite keeps between consecutive ops. A plain tensor is
// reordered into the primitive's format when that differs (and the result back), so plain callers
// get the blocked kernels too. oneDNN picks its instruction set at run time (JIT), AVX-512 where the
// CPU has it; this file needs no special compile flags.
//
// Example:
//   DnnlConvConfig c;
//   ASSIGN_OR_RETURN(c.p, ResolveConv(ctx, x.shape(), w.shape()));
//   c.act = {Activation::kRelu};
//   ASSIGN_OR_RETURN(auto conv, DnnlConv::Create(c, w.data_as<float>(), bias));
//   RETURN_IF_ERROR(conv->Run(x.data_as<float>(), nullptr, y.mutable_data_as<float>(), threads));
#ifndef TENSORPORT_RUNTIME_CPU_DNNL_CONV_H_
#define TENSORPORT_RUNTIME_CPU_DNNL_CONV_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/cpu/activation.h"
#include "runtime/cpu/blocked.h"
#include "runtime/kernel.h"
#include "runtime/reference/nn/conv_params.h"

namespace tp {
namespace rt {
namespace cpu {

struct DnnlConvConfig {
  bool transpose = false;  // ConvTranspose (p as ResolveConvTranspose gives it)
  ConvParams p;
  Layout src = Layout::kPlain;
  Layout dst = Layout::kPlain;
  // y = post_act(act(conv(x) + bias) + residual); the residual (in dst's layout, blocked only)
  // when `residual` is set.
  Activation act;
  bool residual = false;
  Activation post_act;
  bool operator==(const DnnlConvConfig& o) const;
};

// Whether oneDNN can run this geometry: 1-D or 2-D, paddings that are not negative, and for
// ConvTranspose pads_end >= output_padding (output_padding enlarges the output on that side).
bool DnnlSupports(const DnnlConvConfig& c);

// Whether oneDNN has an implementation other than its reference loops for c (those are far
// slower than the im2col kernels): what the layout rewrite asks before it moves a convolution.
bool DnnlHasFastConv(const DnnlConvConfig& c, bool has_bias);

class DnnlConv : public NodeState {
 public:
  // Compiles the primitive and copies `weights` (ONNX layout: Conv [M, C/group, k...],
  // ConvTranspose [C, M/group, k...]) and `bias` ([M] or null) into its formats.
  static absl::StatusOr<std::shared_ptr<const DnnlConv>> Create(const DnnlConvConfig& c,
                                                                const float* weights,
                                                                const float* bias);
  ~DnnlConv() override;

  const DnnlConvConfig& config() const { return config_; }
  // src, dst (and residual when configured) in the configured layouts.
  absl::Status Run(const float* src, const float* residual, float* dst, int threads) const;

 private:
  friend bool DnnlHasFastConv(const DnnlConvConfig& c, bool has_bias);
  // `probe`: only choose the implementation (no kernel compiled, weights not read).
  static absl::StatusOr<std::shared_ptr<const DnnlConv>> Build(const DnnlConvConfig& c,
                                                               const float* weights,
                                                               const float* bias, bool probe);
  struct Impl;
  explicit DnnlConv(const DnnlConvConfig& c);
  DnnlConvConfig config_;
  std::unique_ptr<Impl> impl_;
};

// The physical shape of the output in config c's dst layout.
Shape DnnlConvOutputShape(const DnnlConvConfig& c);

// A slot's record that T::Create declined a config (so the next run does not ask again).
template <typename T>
struct DeclinedConfig : public NodeState {
  DnnlConvConfig config;
};

// A T (DnnlConv, PhaseDeconv: anything with Create(config, weights, bias) and config()) for this
// node: the one kept in the node's state slot when it was made for the same config and
// `weights_constant` (the weights are an initializer), else a new one (stored in the slot when
// the weights are constant). A config T declined once is declined again without asking.
template <typename T>
absl::StatusOr<std::shared_ptr<const T>> CachedConv(KernelContext& ctx, const DnnlConvConfig& c,
                                                    const float* weights, const float* bias,
                                                    bool weights_constant) {
  NodeStateSlot* slot = ctx.state_slot();
  if (slot != nullptr) {
    std::shared_ptr<NodeState> kept = slot->Load();
    if (auto t = std::dynamic_pointer_cast<const T>(kept);
        t != nullptr && weights_constant && t->config() == c) {
      return t;
    }
    if (auto d = std::dynamic_pointer_cast<const DeclinedConfig<T>>(kept);
        d != nullptr && d->config == c) {
      return absl::UnimplementedError("declined before for this configuration");
    }
  }
  absl::StatusOr<std::shared_ptr<const T>> made = T::Create(c, weights, bias);
  if (slot != nullptr) {
    if (made.ok() && weights_constant) {
      slot->Store(std::const_pointer_cast<T>(*made));
    } else if (!made.ok()) {
      auto d = std::make_shared<DeclinedConfig<T>>();
      d->config = c;
      slot->Store(d);
    }
  }
  return made;
}

}  // namespace cpu
}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_CPU_DNNL_CONV_H_
