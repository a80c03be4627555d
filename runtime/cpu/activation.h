// Element-wise activations that the cpu backend fuses into the epilogue of another kernel (a
// convolution's oneDNN post-op, a blocked-layout kernel's output loop): the kind and its
// parameters as the ONNX op defines them.
//
// Example:
//   Activation a{Activation::kClip, /*alpha=*/0.0f, /*beta=*/6.0f};  // Clip(0, 6)
//   ApplyActivation(a, y, n);
#ifndef TENSORPORT_RUNTIME_CPU_ACTIVATION_H_
#define TENSORPORT_RUNTIME_CPU_ACTIVATION_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace tp {
namespace rt {
namespace cpu {

struct Activation {
  enum Kind {
    kNone,
    kRelu,
    kLeakyRelu,    // alpha: slope below 0
    kClip,         // alpha: min, beta: max
    kHardSigmoid,  // max(0, min(1, alpha * x + beta))
    kHardSwish,    // x * max(0, min(1, x / 6 + 1 / 2))
    kSigmoid,
    kTanh,
    kGeluErf,      // x / 2 * (1 + erf(x / sqrt(2)))
  };
  Kind kind = kNone;
  float alpha = 0.0f;
  float beta = 0.0f;
  bool operator==(const Activation& o) const {
    return kind == o.kind && alpha == o.alpha && beta == o.beta;
  }
};

// The activation's name as the fused nodes' "activation" attribute spells it ("Relu", ...; "" for
// none), and back (false for an unknown name). Inline: the rewrites, compiled without ISA flags,
// use them too.
inline constexpr struct {
  Activation::Kind kind;
  const char* name;
} kActivationNames[] = {
    {Activation::kNone, ""},
    {Activation::kRelu, "Relu"},
    {Activation::kLeakyRelu, "LeakyRelu"},
    {Activation::kClip, "Clip"},
    {Activation::kHardSigmoid, "HardSigmoid"},
    {Activation::kHardSwish, "HardSwish"},
    {Activation::kSigmoid, "Sigmoid"},
    {Activation::kTanh, "Tanh"},
    {Activation::kGeluErf, "GeluErf"},
};
inline const char* ActivationName(Activation::Kind k) {
  for (const auto& n : kActivationNames) {
    if (n.kind == k) return n.name;
  }
  return "";
}
inline bool ActivationFromName(absl::string_view name, Activation::Kind* k) {
  for (const auto& n : kActivationNames) {
    if (name == n.name) {
      *k = n.kind;
      return true;
    }
  }
  return false;
}

// x[i] = act(x[i]) for n floats, vectorized (compiled with AVX2/FMA: call only when the cpu fast
// kernels are enabled).
void ApplyActivation(const Activation& a, float* x, int64_t n);

}  // namespace cpu
}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_CPU_ACTIVATION_H_
