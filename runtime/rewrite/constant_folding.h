// Rewrite: constant folding. A default-domain node whose inputs are all constants (initializers,
// Constant nodes, values folded before it) is computed once, when the rewritten graph is made,
// with the cpu backend's own kernels, and its outputs become constants of the rewritten graph:
// weight transposes, reshapes of constant shape tensors, Constant nodes, arithmetic on constants.
//
// Not folded: nodes with graph attributes, the random generators, outputs larger than
// kMaxFoldedBytes (a folded copy would sit next to the original initializer), and nodes whose
// kernel fails (the error then surfaces when the graph runs, naming the node).
//
// Example:
//   int folded = FoldConstants(&work_graph);
#ifndef TENSORPORT_RUNTIME_REWRITE_CONSTANT_FOLDING_H_
#define TENSORPORT_RUNTIME_REWRITE_CONSTANT_FOLDING_H_

#include <cstdint>

#include "runtime/rewrite/work_graph.h"

namespace tp {
namespace rt {

inline constexpr int64_t kMaxFoldedBytes = int64_t{16} << 20;

// Returns the number of nodes folded.
int FoldConstants(WorkGraph* g);

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_REWRITE_CONSTANT_FOLDING_H_
