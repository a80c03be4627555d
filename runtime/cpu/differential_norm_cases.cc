// Differential cases of the normalizations: LayerNormalization (axes, broadcast scale, no bias,
// Mean / InvStdDev outputs), InstanceNormalization (1-D to 3-D, long planes) and
// BatchNormalization (inference form; training mode and opset 7's spatial = 0 go to the
// reference kernel, which the cases check too).
#include <cmath>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "runtime/cpu/differential_case.h"

namespace tp {
namespace rt {
namespace {

Tensor Positive(Shape shape, uint32_t seed) {
  Tensor t = Random(shape, seed);
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    t.mutable_data_as<float>()[i] = std::fabs(t.data_as<float>()[i]) + 0.1f;
  }
  return t;
}

void LayerNormCases(const std::string& op, std::vector<Case>* out) {
  out->push_back(Case("ln_last", op)
                     .In(Random({2, 49, 768}, 3000, 3.0f))
                     .In(Random({768}, 3001))
                     .In(Random({768}, 3002))
                     .Outputs(1));
  out->push_back(Case("ln_axis1_stats", op)
                     .In(Random({3, 5, 7}, 3003))
                     .In(Random({5, 7}, 3004))
                     .Outputs(3)
                     .Int("axis", 1)
                     .Float("epsilon", 1e-3f));
  out->push_back(Case("ln_no_bias_offset_mean", op)
                     .In(Random({4, 4000}, 3005, 0.01f))
                     .In(Random({4000}, 3006))
                     .Outputs(1));
  out->push_back(
      Case("ln_scalar_scale", op).In(Random({6, 33}, 3007)).In(TensorFromFloats({1}, {0.5f})).Outputs(1));
  out->push_back(Case("ln_huge", op)
                     .In(Random({1, 600, 1024}, 3008))
                     .In(Random({1024}, 3009))
                     .In(Random({1024}, 3010))
                     .Outputs(1));
  out->push_back(Case("ln_empty", op)
                     .In(Random({0, 8}, 3011))
                     .In(Random({8}, 3012))
                     .Outputs(1));
}

void InstanceNormCases(const std::string& op, std::vector<Case>* out) {
  out->push_back(Case("in_1d", op)
                     .In(Random({2, 16, 3199}, 3100, 2.0f))
                     .In(Random({16}, 3101))
                     .In(Random({16}, 3102))
                     .Outputs(1));
  out->push_back(Case("in_2d", op)
                     .In(Random({1, 8, 17, 19}, 3103))
                     .In(Random({8}, 3104))
                     .In(Random({8}, 3105))
                     .Outputs(1)
                     .Float("epsilon", 1e-3f));
  out->push_back(Case("in_3d_offset", op)
                     .In(Random({1, 3, 4, 5, 6}, 3106, 0.01f))
                     .In(Random({3}, 3107))
                     .In(Random({3}, 3108))
                     .Outputs(1));
  out->push_back(Case("in_huge", op)
                     .In(Random({1, 64, 16000}, 3109))
                     .In(Random({64}, 3110))
                     .In(Random({64}, 3111))
                     .Outputs(1));
}

void BatchNormCases(const std::string& op, std::vector<Case>* out) {
  auto bn = [&](const std::string& name, Shape x, int64_t c, uint32_t seed, int opset = 15) {
    return Case(name, op, opset)
        .In(Random(x, seed))
        .In(Random({c}, seed + 1))
        .In(Random({c}, seed + 2))
        .In(Random({c}, seed + 3))
        .In(Positive({c}, seed + 4));
  };
  out->push_back(bn("bn_2d", {2, 24, 30, 40}, 24, 3200).Outputs(1));
  out->push_back(bn("bn_1d_eps", {1, 16, 777}, 16, 3210).Outputs(1).Float("epsilon", 1e-3f));
  out->push_back(bn("bn_rank2", {5, 7}, 7, 3220).Outputs(1));
  out->push_back(bn("bn_huge", {1, 64, 120, 160}, 64, 3230).Outputs(1));
  out->push_back(bn("bn_opset9", {1, 8, 5, 5}, 8, 3240, 9).Outputs(1));
  out->push_back(bn("bn_training_reference", {2, 4, 6}, 4, 3250)
                     .Outputs(3)
                     .Int("training_mode", 1)
                     .Rtol(1e-5));
}

const CaseRegistration kLayerNorm({"LayerNormalization"}, LayerNormCases);
const CaseRegistration kInstanceNorm({"InstanceNormalization"}, InstanceNormCases);
const CaseRegistration kBatchNorm({"BatchNormalization"}, BatchNormCases);

}  // namespace
}  // namespace rt
}  // namespace tp
