// Weight-level diagnosis: when a converted tensor differs from what its source implies, the
// common porting mistakes are tried on the weights themselves, and the one that reproduces the
// converted tensor exactly (within the rounding of its dtype, or a given tolerance) is named.
//
// What a converted tensor should hold is its plan replayed over the source checkpoint (its source
// tensors and the ordered transforms of convert/transform.h, as a conversion plan or a provenance
// record lists them). Each hypothesis is a different value entering that replay, or a different
// treatment of the replayed result, rounded to the converted dtype and compared element by
// element. In the order tried:
//   1. weight norm (outputs with a fuse_weight_norm step, from its g and v): the norm of v over
//      other axes than PyTorch's dim (every subset of axes, e.g. np.linalg.norm(v, axis=0) for
//      dim=0, or one norm over the whole tensor), or not fused: v itself, g * v without the
//      division by ||v||, v / ||v|| without g;
//   2. recurrent gate blocks (sources named weight_ih_l<k> / weight_hh_l<k> / bias_*, the gate
//      count from weight_hh's shape) in any other order along the gate axis, named with their
//      conventions (LSTM: PyTorch i,f,g,o; ONNX i,o,f,c. GRU: PyTorch r,z,n; ONNX z,r,h);
//   3. bidirectional directions swapped (the `_reverse` tensor in place of the forward one and
//      vice versa; for an output made of both, its halves swapped);
//   4. the axes permuted: a transpose with the wrong permutation, a missing transpose (the
//      source's layout), a transposed matrix (including the square case where shapes agree);
//   5. the right bytes under the wrong shape: the data of the expected (or of another) layout
//      reinterpreted as the converted shape, where a transpose was needed;
//   6. a scaled copy (converted = k * expected: k and the gain in dB are named).
// The first hypothesis that fits is the diagnosis; when none fits nothing is named. Axes are named
// after the layer kind (Conv1d [O, I, K], ConvTranspose1d [I, O, K], Conv2d [O, I, kH, kW],
// Linear [out, in], LSTM/GRU [gates x H, in]) as declared by a schema or an exported graph, and
// carried through the plan's permutations.
//
// Cost: only for tensors that failed; tensors above kMaxDiagnosisElements are not diagnosed, and
// the permutation searches (axes, gate blocks) are skipped above kMaxSearchElements (the
// diagnosis says so).
//
// Example:
//   WeightCase c;
//   c.name = "conv_pre.weight";
//   c.converted = converted.tensors[i].tensor;  // stored as [32, 7, 8]
//   c.sources = planned.sources;                // {"conv_pre.weight"}, [32, 8, 7] in the source
//   c.transforms = planned.transforms;
//   c.layout = WeightLayout::kConv;
//   WeightDiagnosis d = DiagnoseWeight(c, [&](const std::string& n) { return source.Find(n); });
//   // d.mistake == WeightMistake::kPermuted, d.text == "a Conv1d weight stored as [O, K, I]
//   //   (shape [32, 7, 8]) where [O, I, K] (shape [32, 8, 7]) is expected: the transpose was
//   //   applied with the wrong permutation (converted = expected permuted by (0, 2, 1))"
#ifndef TENSORPORT_VERIFY_WEIGHT_DIAGNOSIS_H_
#define TENSORPORT_VERIFY_WEIGHT_DIAGNOSIS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "convert/transform.h"
#include "core/tensor.h"
#include "verify/derived_params.h"

namespace tp {
namespace verify {

inline constexpr int64_t kMaxDiagnosisElements = int64_t{1} << 24;
inline constexpr int64_t kMaxSearchElements = int64_t{1} << 22;

// The kind of layer a weight belongs to, which names its axes.
enum class WeightLayout { kUnknown, kLinear, kEmbedding, kConv, kConvTranspose };

// The layout of a parameter consumed by an ONNX node of `op_type` (Conv, ConvTranspose, Gemm,
// MatMul, Gather); kUnknown for others.
WeightLayout LayoutOfOp(absl::string_view op_type);

enum class WeightMistake {
  kNone,
  kWeightNormAxes,     // the norm of v over the wrong axes
  kWeightNormUnfused,  // v, g * v or v / ||v|| where g * v / ||v|| is expected
  kGateOrder,          // recurrent gate blocks in another order
  kDirectionsSwapped,  // forward and reverse directions exchanged
  kPermuted,           // axes permuted (wrong or missing transpose, transposed matrix)
  kReinterpreted,      // right bytes, wrong shape (a reshape where a transpose was needed)
  kScaled,             // k * expected
};
// "weight-norm-axes", "weight-norm-unfused", "gate-order", "directions-swapped", "permuted",
// "reinterpreted", "scaled"; "none".
const char* WeightMistakeName(WeightMistake m);

struct WeightDiagnosis {
  WeightMistake mistake = WeightMistake::kNone;
  std::string text;  // the mistake and the evidence, one sentence; "" when nothing was named
  std::string note;  // why nothing could be named where that is worth saying (caps)
};

// A converted tensor and how it was made from the source checkpoint.
struct WeightCase {
  std::string name;                              // the converted tensor's name
  Tensor converted;                              // as stored
  std::vector<std::string> sources;              // source tensors, in the order the plan lists them
  std::vector<Transform> transforms;             // in the order applied
  WeightLayout layout = WeightLayout::kUnknown;  // declared or from the graph; else from names
};

struct DiagnosisOptions {
  // Besides the rounding band (one ulp of the converted dtype plus 16 float32 ulps of
  // computation error, or one q8_0 quantization step), |h - c| <= atol + rtol * |h| also fits.
  double atol = 0, rtol = 0;
  int64_t max_elements = kMaxDiagnosisElements;
  int64_t max_search_elements = kMaxSearchElements;
};

// The mistake that explains the converted tensor exactly; kNone when it matches its source, when
// nothing fits, or when its plan cannot be replayed.
WeightDiagnosis DiagnoseWeight(const WeightCase& c, const TensorGetter& source,
                               const DiagnosisOptions& options = DiagnosisOptions());

// The converted tensor against a tensor given as it is (an exported graph parameter): only the
// hypotheses that need no plan (axes permuted, reinterpreted, scaled).
WeightDiagnosis DiagnoseAgainst(const Tensor& expected, const Tensor& converted,
                                WeightLayout layout,
                                const DiagnosisOptions& options = DiagnosisOptions());

// One unit in the last place of `dtype` at magnitude |x| (0 for integer types and q8_0).
double DTypeUlp(double x, DType dtype);

}  // namespace verify
}  // namespace tp

#endif  // TENSORPORT_VERIFY_WEIGHT_DIAGNOSIS_H_
