// Converted tensors brought back to the layout of the source tensors they were made from, so that
// they can stand in for the source in an exported graph (verify/weight_binding.h).
//
// How each converted tensor was made comes, in order of preference, from:
//   1. the provenance record convert wrote into the file (convert/provenance.h): its schema and
//      options, re-planned over the source, give every output's sources and ordered transforms;
//   2. a schema given on the command line, planned over the source with the option combinations
//      a conversion may have used, keeping the plan whose outputs cover the converted file best;
//   3. names: a converted tensor named like a source tensor of the same element count is it.
// Each output's transforms are undone from the last one back (renames, permutations, reshapes and
// casts are inverted; split parts are joined again; an LSTM bias sum stands for bias_ih with a
// zero bias_hh; a fused weight-norm product is kept as the product, in v's layout).
//
// Example:
//   ASSIGN_OR_RETURN(RecoveredSet r, RecoverSourceLayout(converted, source, /*schema=*/""));
//   const RecoveredTensor& w = r.by_source.at("dec.conv.weight");
#ifndef TENSORPORT_VERIFY_RECOVER_H_
#define TENSORPORT_VERIFY_RECOVER_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "convert/schema_engine.h"
#include "core/checkpoint.h"

namespace tp {
namespace verify {

struct RecoveredTensor {
  Tensor tensor;                       // in the source tensor's layout
  std::vector<std::string> converted;  // the converted tensors it comes from
  std::string how;                     // "name", "schema: rename, permute[0,2,1]", ...
};

struct RecoveredSet {
  std::string method;  // "provenance record (schema hifigan)", "schema hifigan", "names"
  std::map<std::string, RecoveredTensor> by_source;
  // "X.weight" -> the converted weight-norm product (the conversion fused g and v), v's layout.
  std::map<std::string, RecoveredTensor> fused_weight_norm;
  // Converted tensors that could not be brought back (a concat of several sources, say).
  std::map<std::string, std::string> unrecoverable;  // converted name -> why
  // Converted tensors the schema declares the exported graph does not read.
  std::set<std::string> not_in_graph;
  // How each converted tensor was made from the source (for the weight diagnosis): the plan's
  // output, or for names the source tensor as is (a fused weight-norm product from its g and v).
  std::map<std::string, PlannedOutput> planned;
};

absl::StatusOr<RecoveredSet> RecoverSourceLayout(const Checkpoint& converted,
                                                 const Checkpoint& source,
                                                 const std::string& schema);

}  // namespace verify
}  // namespace tp

#endif  // TENSORPORT_VERIFY_RECOVER_H_
