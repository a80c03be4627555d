// Recognizes the element-wise activation ops that the cpu backend fuses into the epilogue of a
// convolution (runtime/cpu/activation.h), and the opset-13 hard-swish pattern.
//
//   Relu, LeakyRelu, Clip (constant or absent bounds), HardSigmoid, HardSwish, Sigmoid, Tanh and
//   the fused GeluErf  => an Activation
//   Mul(x, HardSigmoid(x; alpha = 1/6, beta = 1/2))  => HardSwish(x) of kFusedDomain
//   (FuseHardSwish; the ONNX op needs opset 14, the pattern is how older opsets write it)
//
// Example:
//   std::optional<cpu::Activation> a = AsActivation(g, node);
#ifndef TENSORPORT_RUNTIME_REWRITE_ACTIVATIONS_H_
#define TENSORPORT_RUNTIME_REWRITE_ACTIVATIONS_H_

#include <optional>

#include "runtime/cpu/activation.h"
#include "runtime/rewrite/work_graph.h"

namespace tp {
namespace rt {

// The activation a single-output node computes on its first input, or nullopt.
std::optional<cpu::Activation> AsActivation(const WorkGraph& g, const onnx::NodeProto& n);

// Rewrites Mul(x, HardSigmoid(x)) with HardSwish's constants into HardSwish(x) when the
// HardSigmoid output has no other reader. Returns the number rewritten.
int FuseHardSwish(WorkGraph* g);

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_REWRITE_ACTIVATIONS_H_
