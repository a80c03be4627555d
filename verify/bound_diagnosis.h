// The weight diagnosis (verify/weight_diagnosis.h) in mode 3, where converted weights are bound
// into an exported graph (verify/weight_binding.h): which porting mistake explains a converted
// tensor that the graph does not exercise, or one bound into a layer that fails.
//
// A converted tensor is judged against its plan replayed over the source (the provenance record's
// plan, a schema's, or for names the source tensor itself); the axes are named after the op that
// reads the parameter its source was bound into (Conv, ConvTranspose, Gemm, ...). A tensor no
// plan explains is compared with the graph parameters its name or size suggests, as exported.
// Tensors that equal what their source implies are never named.
//
// Example:
//   ASSIGN_OR_RETURN(BindResult bound, BindConvertedWeights(model, dir, converted, source, bo));
//   std::vector<WeightFinding> f = DiagnoseUnexercised(converted, source, bound);
//   // ... run the model; the converted tensors bound into its failing layers:
//   std::vector<std::string> suspects = {"lstm.weight_ih_l0"};
//   std::vector<WeightFinding> g = DiagnoseConverted(converted, source, bound, suspects);
#ifndef TENSORPORT_VERIFY_BOUND_DIAGNOSIS_H_
#define TENSORPORT_VERIFY_BOUND_DIAGNOSIS_H_

#include <string>
#include <vector>

#include "core/checkpoint.h"
#include "verify/layer_diff.h"
#include "verify/weight_binding.h"

namespace tp {
namespace verify {

// Every converted tensor the graph does not exercise; sets each one's `diagnosis` when a mistake
// explains it.
std::vector<WeightFinding> DiagnoseUnexercised(const Checkpoint& converted,
                                               const Checkpoint& source, BindResult& bound);

// The named converted tensors that differ from what their plan gives over the source.
std::vector<WeightFinding> DiagnoseConverted(const Checkpoint& converted, const Checkpoint& source,
                                             const BindResult& bound,
                                             const std::vector<std::string>& names);

}  // namespace verify
}  // namespace tp

#endif  // TENSORPORT_VERIFY_BOUND_DIAGNOSIS_H_
