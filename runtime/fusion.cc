#include "runtime/fusion.h"

#include <set>

#include "runtime/rewrite/activations.h"
#include "runtime/rewrite/affine_folding.h"
#include "runtime/rewrite/blocked_layout.h"
#include "runtime/rewrite/constant_folding.h"
#include "runtime/rewrite/conv_epilogue.h"
#include "runtime/rewrite/matmul_rewrite.h"
#include "runtime/rewrite/primitive_chains.h"

namespace tp {
namespace rt {

bool FusedGraph::changed() const {
  return folded_constants + folded_affine + matmul_bias + layer_norm + gelu + hard_swish +
             matmul_transpose_scale + convs + blocked_ops + reorders + conv_epilogues >
         0;
}

FusedGraph FuseForCpu(const onnx::GraphProto& graph, const std::vector<int>& order,
                      const std::map<std::string, Tensor>& initializers, int default_opset,
                      const RewriteOptions& options) {
  WorkGraph g(graph, order, initializers, default_opset);
  FusedGraph r;
  if (options.fold_constants) r.folded_constants = FoldConstants(&g);
  if (options.fold_affine) r.folded_affine = FoldAffineOps(&g);
  if (options.primitive_chains) {
    FusionCounts c = FusePrimitiveChains(&g);
    r.matmul_bias = c.matmul_bias;
    r.layer_norm = c.layer_norm;
    r.gelu = c.gelu;
  }
  if (options.hard_swish) r.hard_swish = FuseHardSwish(&g);
  if (options.matmul_transpose_scale) r.matmul_transpose_scale = FuseMatMulTransposeScale(&g);
  if (options.blocked_layout) {
    LayoutCounts c = UseBlockedLayout(&g);
    r.convs = c.convs;
    r.blocked_convs = c.blocked_convs;
    r.blocked_ops = c.blocked_ops;
    r.reorders = c.reorders;
  }
  if (options.conv_epilogues) r.conv_epilogues = FuseConvEpilogues(&g);
  g.RemoveDeadNodes();
  r.nodes = std::move(g.nodes);
  // Only the constants the final graph reads (earlier rewrites' results may have been folded
  // further).
  std::set<std::string> read(g.graph_outputs().begin(), g.graph_outputs().end());
  for (const onnx::NodeProto& n : r.nodes) read.insert(n.input().begin(), n.input().end());
  for (const auto& [name, t] : g.added()) {
    if (read.count(name)) r.constants[name] = t;
  }
  return r;
}

}  // namespace rt
}  // namespace tp
