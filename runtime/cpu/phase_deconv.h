// ConvTranspose as stride-1 convolutions, one per output phase, on oneDNN (dnnl_conv.h).
//
// With stride s and dilation 1, output position o' = i * s + k (before cropping by the begin
// pads) receives only the kernel taps k = r, r + s, r + 2s, ... of its phase r = o' mod s. So the
// outputs of phase r are an ordinary stride-1 convolution of x with those taps (reversed), padded
// by (taps - 1) on both sides, and the ConvTranspose output is the phases' outputs interleaved
// (2-D: one convolution per (row phase, column phase)). Every output is written once, no
// scatter-add, and each phase runs on oneDNN's direct kernels, blocked layouts included; oneDNN's
// own deconvolution is several times slower on the shapes that matter here (a 2x2 stride-2
// upsampling deconvolution: 87 ms against about 1 ms; see runtime/cpu/README.md).
//
// Positions no phase reaches (output_padding, or phases without taps) hold the bias; the
// activation, residual and second activation of the config are applied after the interleave.
//
// Example:
//   if (PhaseDeconvSupports(c)) {
//     ASSIGN_OR_RETURN(auto d, PhaseDeconv::Create(c, w, b));
//     RETURN_IF_ERROR(d->Run(x, residual, y, threads));
//   }
#ifndef TENSORPORT_RUNTIME_CPU_PHASE_DECONV_H_
#define TENSORPORT_RUNTIME_CPU_PHASE_DECONV_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/cpu/dnnl_conv.h"
#include "runtime/kernel.h"

namespace tp {
namespace rt {
namespace cpu {

// c.transpose with 1-D or 2-D, dilation 1, and every phase convolution fast on oneDNN.
bool PhaseDeconvSupports(const DnnlConvConfig& c);

class PhaseDeconv : public NodeState {
 public:
  // weights: ONNX ConvTranspose layout [C, M/group, k...]; bias [M] or null.
  static absl::StatusOr<std::shared_ptr<const PhaseDeconv>> Create(const DnnlConvConfig& c,
                                                                   const float* weights,
                                                                   const float* bias);
  const DnnlConvConfig& config() const { return config_; }
  // src, dst, residual in the config's layouts (DnnlConvOutputShape(config) for dst).
  absl::Status Run(const float* src, const float* residual, float* dst, int threads) const;

 private:
  struct Phase {
    std::vector<int64_t> r;     // phase per spatial dim
    std::vector<int64_t> taps;  // taps per spatial dim (0: no tap, bias only)
    std::vector<int64_t> out;   // the phase convolution's output extent
    std::shared_ptr<const DnnlConv> conv;
  };
  explicit PhaseDeconv(const DnnlConvConfig& c) : config_(c) {}
  DnnlConvConfig config_;
  std::vector<Phase> phases_;
  std::vector<float> bias_;  // [M], zeros when absent
};


}  // namespace cpu
}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_CPU_PHASE_DECONV_H_
