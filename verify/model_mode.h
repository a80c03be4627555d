// Model modes of `verify`: run an ONNX export on the project's runtime, capture the output of
// every module and compare it with a reference dump (mode 2), optionally after replacing the
// graph's initializers by converted weights (mode 3, see verify/weight_binding.h).
//
// Module outputs are found from the exporter's node names. PyTorch 1.13 names a node by its
// module scope, `/model/model.1/block/block.0/Elu`; the module of a scope path is found by
// dropping the op segment, dropping every segment the next one extends (`model` before
// `model.1`), turning a trailing `_k` (the k-th repeated call) into `#k` and joining with dots
// (`model.1.block.0`; `/lrelu_1/LeakyRelu` -> `lrelu#1`). The output of module M is the last value
// produced inside M's scope (any depth) that is consumed outside it or is a graph output. A value
// or graph input whose name equals a reference entry matches it directly (graph inputs and
// outputs: `mel`, `audio`).
//
// With `isolate`, every value that matched a reference entry is replaced, for its consumers, by
// the reference's tensor (RunOptions::overrides), so each module runs on reference inputs and a
// failing module holds the defect itself.
//
// Example:
//   ASSIGN_OR_RETURN(auto session, rt::Session::Load("model.onnx", {"reference"}));
//   ASSIGN_OR_RETURN(Checkpoint inputs, LoadDump("inputs.npz"));
//   ASSIGN_OR_RETURN(Checkpoint ref, LoadDump("reference.npz"));
//   ModelDiffOptions opts;
//   ASSIGN_OR_RETURN(Report report, DiffModel(*session, inputs, ref, opts));
#ifndef TENSORPORT_VERIFY_MODEL_MODE_H_
#define TENSORPORT_VERIFY_MODEL_MODE_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/checkpoint.h"
#include "runtime/session.h"
#include "verify/layer_diff.h"

namespace tp {
namespace verify {

// The module name of a node name such as "/attn/qkv/Gemm" ("attn.qkv"); "" for nodes outside any
// module ("/Add", "Identity_3"). `known` (may be empty) tells whether a dotted name is a real
// module: a literal `_k` segment is kept when the name with it is known.
std::string NodeScopeModule(const std::string& node_name,
                            const std::function<bool(const std::string&)>& known = nullptr);

// The module for the first `depth` scope segments of `segments` (see the header comment).
std::string ScopeSegmentsToModule(const std::vector<std::string>& segments, size_t depth,
                                  const std::function<bool(const std::string&)>& known = nullptr);

// One module and the graph value that carries its output.
struct ModuleOutput {
  std::string module;
  std::string value;
  int position = 0;  // execution position of the producing node
};

// One graph value produced inside a module's scope and consumed outside it (or a graph output).
struct ModuleExit {
  std::string value;
  int position = 0;      // execution position of the producing node
  int output_index = 0;  // which output of that node
  std::string op_type;   // the producing node's op
};

// Every module with nodes in the graph, and all values leaving its scope in execution order
// (several for a module returning a tuple).
std::map<std::string, std::vector<ModuleExit>> FindModuleExits(
    const rt::Session& session, const std::function<bool(const std::string&)>& known = nullptr);

// Every module with nodes in the graph, and its last exit, in execution order of the outputs.
std::vector<ModuleOutput> FindModuleOutputs(
    const rt::Session& session, const std::function<bool(const std::string&)>& known = nullptr);

struct ModelDiffOptions {
  LayerDiffOptions diff;
  bool isolate = false;
};

// For each reference entry, the graph value that stands for it ("" when none).
std::vector<std::string> MatchReferenceEntries(const rt::Session& session,
                                               const Checkpoint& reference);

// Runs `session` on `inputs` (a graph input missing from `inputs` is taken from the reference
// entry of the same name), captures the values that may stand for reference entries and compares
// them. How an entry is observed follows what exporters do to graphs:
//   - a module's output is one of the values leaving its scope: the one of the reference's shape
//     (a tuple-returning module may have several; then the one closest to the reference, noted);
//     a value equal to the reference up to a permutation of axes (a transpose the exporter moved
//     or cancelled) is compared in the reference's layout, with a note;
//   - a module with no nodes whose reference equals an earlier entry bit for bit is an identity
//     in eval mode (Dropout, Identity, stochastic depth): compared with that entry's value;
//   - a module with no nodes right after a Conv / ConvTranspose of the same shape is a
//     BatchNorm folded into it: the convolution's value is compared with this entry, and the
//     convolution's own entry is excused ("folded into X by the exporter"), unless the value
//     matches both (a BatchNorm still at its initialization): then both are compared with it;
//   - a module with no nodes inside a parent that computes its input itself (ConvNeXt's
//     stochastic depth after `layer_scale * block(x)`) is compared with that value of the
//     parent's own nodes;
//   - anything else with no graph value is missing, which fails unless excused
//     (LayerDiffOptions::excuse_patterns / min_coverage).
absl::StatusOr<Report> DiffModel(const rt::Session& session, const Checkpoint& inputs,
                                 const Checkpoint& reference, const ModelDiffOptions& options);

}  // namespace verify
}  // namespace tp

#endif  // TENSORPORT_VERIFY_MODEL_MODE_H_
