// Rewrite: what follows a FusedConv / FusedConvTranspose (runtime/rewrite/blocked_layout.h) is
// folded into the convolution's oneDNN epilogue:
//   conv -> activation                         => conv(activation)
//   conv [-> activation] -> Add(., r)          => conv(activation, residual r)   blocked output only,
//                                                 r of the output's exact shape
//   conv(residual) -> activation               => conv(..., post_activation)
// (activations as runtime/rewrite/activations.h recognizes them). The convolution's output must
// be read only by the folded node and not be a graph output; the fused node takes the last folded
// node's output and position.
//
// Example:
//   int folded = FuseConvEpilogues(&work_graph);
#ifndef TENSORPORT_RUNTIME_REWRITE_CONV_EPILOGUE_H_
#define TENSORPORT_RUNTIME_REWRITE_CONV_EPILOGUE_H_

#include "runtime/rewrite/work_graph.h"

namespace tp {
namespace rt {

// Returns the number of nodes folded into convolutions.
int FuseConvEpilogues(WorkGraph* g);

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_REWRITE_CONV_EPILOGUE_H_
