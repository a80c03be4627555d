// Mode 3 of `verify`: put converted weights into an ONNX export before running it, so that the
// model run shows what the conversion did to every layer, and account for every converted tensor.
//
// The converted tensors are first brought back to the source checkpoint's layout
// (verify/recover.h: through the conversion's provenance record, a schema, or names). Then every
// float parameter of the graph (initializers and Constant nodes) is bound, consumer by consumer,
// to the converted tensors it is made of, the way exporters make parameters:
//   1. by name (an initializer named after a source tensor);
//   2. by content against the source: the source tensor as stored, reshaped or transposed, or a
//      parameter derived from several (verify/derived_params.h): a weight-norm product, a
//      convolution with its BatchNorm folded in, the gate-reordered blocks of LSTM / GRU / RNN.
// When several source tensors hold the same values (tied weights, identical initial values the
// exporter de-duplicated into one initializer), each consumer takes the one of its own module
// (the node's scope), and consumers that take different converted tensors get their own copy of
// the parameter. The binding is applied to the ModelProto, which the caller then loads.
//
// Every converted tensor must be exercised by some bound parameter, or be declared unused by the
// schema (not_in_graph); integer tensors (BatchNorm's num_batches_tracked) are checked against
// the source instead. The result lists what was bound, how, and what was not exercised, each with
// its nearest graph parameter.
//
// Example:
//   onnx::ModelProto model = ...;
//   BindOptions opts;
//   ASSIGN_OR_RETURN(BindResult r, BindConvertedWeights(model, "/models", converted, source, opts));
//   ASSIGN_OR_RETURN(auto session, rt::Session::FromModel(std::move(model), "m.onnx", "/models"));
//   std::cout << FormatBindResult(r, /*verbose=*/false);
#ifndef TENSORPORT_VERIFY_WEIGHT_BINDING_H_
#define TENSORPORT_VERIFY_WEIGHT_BINDING_H_

#include <map>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "absl/status/statusor.h"
#include "convert/schema_engine.h"
#include "core/checkpoint.h"

namespace tp {
namespace verify {

struct BindOptions {
  std::string schema;  // preset name or schema file; "" = from the provenance record or names
  // Content match of a parameter with a source-derived tensor: |a - b| <= atol + rtol * |b|.
  double atol = 1e-6, rtol = 1e-4;
};

struct BoundParameter {
  std::string parameter;             // graph initializer (or Constant output) name
  std::string consumers;             // "" for every consumer, else the consuming module(s)
  std::vector<std::string> converted;  // converted tensors it was made from
  std::string how;                   // "name", "content: ...", "folded BatchNorm ...", ...
  bool copy = false;                 // a per-consumer copy made for `consumers`
};

// A graph parameter as the exporter wrote it, and the op of its first consumer.
struct SuggestedParameter {
  std::string name, op;
  Tensor value;
};

struct Unexercised {
  std::string converted;
  std::string nearest;  // the nearest graph parameter, for the user to look at
  // The parameters its name or size suggests (the nearest by name first, then others of its
  // element count), for the weight diagnosis.
  std::vector<SuggestedParameter> suggested;
  std::string diagnosis;  // a porting mistake that explains it (verify/bound_diagnosis.h)
};

struct BindResult {
  std::string recovery;  // how converted tensors were brought to the source layout
  std::vector<BoundParameter> bound;
  std::vector<std::string> left_as_exported;  // float parameters that matched no source tensor
  std::vector<Unexercised> unexercised;       // converted tensors no parameter took
  std::vector<std::string> declared_unused;   // not_in_graph in the schema
  std::vector<std::string> integers_checked;  // integer tensors equal to their source
  std::vector<std::string> integers_differ;   // integer tensors that differ (a failure)
  // Module -> converted tensors bound into parameters its nodes read (for reports).
  std::map<std::string, std::vector<std::string>> module_weights;
  int converted_float = 0;  // converted float tensors in all
  // For the weight diagnosis: how each converted tensor was made (verify/recover.h), and the op
  // of the node reading the parameter each source tensor was bound into ("Conv", "LSTM", ...).
  std::map<std::string, PlannedOutput> planned;
  std::map<std::string, std::string> source_ops;
};

absl::StatusOr<BindResult> BindConvertedWeights(onnx::ModelProto& model,
                                                const std::string& base_dir,
                                                const Checkpoint& converted,
                                                const Checkpoint& source,
                                                const BindOptions& options);

// One summary line (and, with `verbose`, one line per bound parameter and every list).
std::string FormatBindResult(const BindResult& result, bool verbose);

// The gate's problems with the binding: "N converted tensors were not exercised: ..." and
// integer tensors that differ from their source; empty when every tensor is accounted for.
std::vector<std::string> BindProblems(const BindResult& result);

}  // namespace verify
}  // namespace tp

#endif  // TENSORPORT_VERIFY_WEIGHT_BINDING_H_
