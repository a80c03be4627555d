// Mode 3 of `verify`: put converted weights into an ONNX export before running it, so that the
// model run shows what the conversion did to every layer.
//
// Each float initializer of the graph is bound to a converted tensor:
//   1. through the conversion schema (convert/schema_engine.h): the planned output made from a
//      source tensor of the initializer's name is mapped back to the source layout (inverse
//      permutations and reshapes, cast to the initializer's type); without a schema, a converted
//      tensor of the same name and shape;
//   2. for initializers the exporter renamed (`onnx::Conv_353`, `onnx::MatMul_152`): by content,
//      against --source: the source tensor whose values equal the initializer within tolerance,
//      as stored, reshaped (`onnx::Mul_437`, an unsqueezed Snake alpha) or transposed (a Linear
//      weight), or the weight-norm fusion g * v / ||v|| of an `X.weight_g` / `X.weight_v` pair;
//      the converted tensors made from that source replace it the same way (fused again from the
//      converted g and v when the conversion kept them apart).
// Initializers that match nothing (exporter constants, LSTM weights re-laid out gate by gate)
// stay as exported and are listed.
//
// Example:
//   ASSIGN_OR_RETURN(auto session, rt::Session::Load("model.onnx"));
//   BindOptions opts;
//   opts.schema = "hifigan";  // a preset name or a schema file
//   ASSIGN_OR_RETURN(BindResult r, BindConvertedWeights(*session, converted, source, opts));
//   std::cout << FormatBindResult(r);
#ifndef TENSORPORT_VERIFY_WEIGHT_BINDING_H_
#define TENSORPORT_VERIFY_WEIGHT_BINDING_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/checkpoint.h"
#include "runtime/session.h"

namespace tp {
namespace verify {

struct BindOptions {
  std::string schema;  // preset name or schema file; "" = converted names are source names
  // Content match of an initializer with a source tensor: |a - b| <= atol + rtol * |b|.
  double atol = 1e-6, rtol = 1e-4;
  bool require_all = false;  // every float initializer must be bound
};

struct BoundInitializer {
  std::string initializer;
  std::string converted;  // converted tensor name(s)
  std::string how;        // "name", "schema", "content: fused weight norm of ...", ...
};

struct BindResult {
  std::vector<BoundInitializer> bound;
  std::vector<std::string> unbound;           // float initializers left as exported
  std::vector<std::string> unused_converted;  // converted tensors that no initializer took
};

absl::StatusOr<BindResult> BindConvertedWeights(rt::Session& session, const Checkpoint& converted,
                                                const Checkpoint& source,
                                                const BindOptions& options);

// A few lines: counts, how each initializer was bound, what stayed as exported.
std::string FormatBindResult(const BindResult& result);

}  // namespace verify
}  // namespace tp

#endif  // TENSORPORT_VERIFY_WEIGHT_BINDING_H_
