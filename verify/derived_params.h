// Parameters as exporters bake them into ONNX graphs, computed from a checkpoint's tensors:
//   - the weight-norm product g * v / ||v|| (`X.weight_g` / `X.weight_v`, or
//     `X.parametrizations.weight.original0` / `original1`), which the exporter folds into one
//     constant;
//   - a convolution with the BatchNorm that follows it folded in (W * gamma / sqrt(var + eps) per
//     output channel, and the bias (b - mean) * gamma / sqrt(var + eps) + beta), which PyTorch's
//     exporter does in eval mode;
//   - the blocks of ONNX LSTM / GRU / RNN nodes ([directions, gates x hidden, ...]) with the gates
//     reordered from PyTorch's order (LSTM i,f,g,o -> i,o,f,c; GRU r,z,n -> z,r,h).
//
// The same functions compute these from the source checkpoint (to recognize an initializer by its
// content) and from the converted tensors brought back to the source layout (to bind them into
// the graph), so the two never differ in convention.
//
// Example:
//   TensorGetter get = [&](const std::string& n) { return source.Find(n); };
//   for (const WeightNormPair& p : FindWeightNormPairs(names, get)) {
//     ASSIGN_OR_RETURN(Tensor w, WeightNormProduct(p, get));
//   }
#ifndef TENSORPORT_VERIFY_DERIVED_PARAMS_H_
#define TENSORPORT_VERIFY_DERIVED_PARAMS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/tensor.h"

namespace tp {
namespace verify {

// A tensor by checkpoint name; nullptr when absent.
using TensorGetter = std::function<const Tensor*(const std::string&)>;

struct WeightNormPair {
  std::string base;  // "X.weight": the name of the fused parameter
  std::string g, v;
  int axis = 0;      // the axis g keeps (-1: the norm is taken over the whole tensor)
};
std::vector<WeightNormPair> FindWeightNormPairs(const std::vector<std::string>& names,
                                                const TensorGetter& get);
// g * v / ||v|| in double, as f64.
absl::StatusOr<Tensor> WeightNormProduct(const WeightNormPair& p, const TensorGetter& get);

struct BatchNormParams {
  std::string module;  // "layer1.0.bn1"
  std::string weight, bias, mean, var;
  int64_t channels = 0;
};
// Every module with weight, bias, running_mean and running_var of one length.
std::vector<BatchNormParams> FindBatchNorms(const std::vector<std::string>& names,
                                            const TensorGetter& get);

// W * gamma / sqrt(var + eps) along `axis` (the output-channel axis: 0 for Conv), as f64.
absl::StatusOr<Tensor> FoldBatchNormWeight(const Tensor& weight, const BatchNormParams& bn,
                                           double eps, int axis, const TensorGetter& get);
// (b - mean) * gamma / sqrt(var + eps) + beta, as f64; `bias` may be null (a conv without bias).
absl::StatusOr<Tensor> FoldBatchNormBias(const Tensor* bias, const BatchNormParams& bn,
                                         double eps, const TensorGetter& get);
// The eps with which `folded` = FoldBatchNormWeight(weight, bn, eps, axis): solved per channel
// from the largest weight of the channel, the median over channels. InvalidArgument when the
// shapes do not fit or no channel has a usable weight.
absl::StatusOr<double> EstimateBatchNormEps(const Tensor& weight, const Tensor& folded,
                                            const BatchNormParams& bn, int axis,
                                            const TensorGetter& get);

struct RecurrentBlock {
  std::string key;   // "P.l0.W", "P.l0.R", "P.l0.B" (P the module, l0 the layer)
  std::string op;    // "LSTM", "GRU" or "RNN"
  std::vector<std::string> sources;  // the checkpoint tensors it is made from
};
// The W, R and B blocks of every recurrent layer (`P.weight_ih_l<k>[_reverse]` and friends).
std::vector<RecurrentBlock> FindRecurrentBlocks(const std::vector<std::string>& names,
                                                const TensorGetter& get);
// The block's value as ONNX lays it out, as f64.
absl::StatusOr<Tensor> RecurrentBlockValue(const RecurrentBlock& block, const TensorGetter& get);

}  // namespace verify
}  // namespace tp

#endif  // TENSORPORT_VERIFY_DERIVED_PARAMS_H_
