// The working set of a conversion while schema passes run, and the registry of passes.
//
// Plan() (schema_engine.h) starts a Planner with one Node per source tensor and runs the schema's
// passes over it in order; each pass is one registered unit under convert/passes/ (its
// validation, its planning over the nodes, and beside it the tensor transform it records), found
// by the schema's `oneof op` case. Nodes carry only names, shapes and dtypes plus a Producer that
// builds the tensor on demand, so planning reads no tensor data.
//
// Adding a pass: a field in schemas/conversion.proto's Pass, one file in convert/passes/ with a
// PassRegistration (and a TransformRegistration when it records a new kind of step).
//
// Example (a pass file):
//   absl::Status PlanDrop(const schema::Pass& p, int index, Planner& pl) { ... pl.nodes() ... }
//   const PassRegistration kDrop({schema::Pass::kDrop, "drop", &ValidateDrop, &PlanDrop,
//                                 [](const schema::Pass& p) { return Patterns{p.drop().pattern()}; }});
#ifndef TENSORPORT_CONVERT_PLANNER_H_
#define TENSORPORT_CONVERT_PLANNER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "convert/schema_engine.h"
#include "convert/transform.h"
#include "core/checkpoint.h"
#include "re2/re2.h"
#include "schemas/conversion.pb.h"

namespace tp {

using Producer = std::function<absl::StatusOr<Tensor>()>;

// A tensor of the working set while passes run.
struct Node {
  std::string name;
  DType dtype = DType::kF32;
  Shape shape;
  std::vector<std::string> sources;
  DType source_dtype = DType::kF32;
  Shape source_shape;
  int64_t source_bytes = 0;
  std::vector<Transform> transforms;
  std::vector<std::string> notes;
  std::vector<Tensor> source_tensors;
  Producer make;
  bool mapped = false;
};

// A producer that applies the registered transform `t` to what `inputs` produce (the one place
// plans turn recorded steps into tensors).
Producer ApplyingTransform(Transform t, std::vector<Producer> inputs);

// Patterns must match whole names.
std::unique_ptr<RE2> CompilePattern(const std::string& pattern);
bool MatchesName(const RE2& re, absl::string_view name);
// `rewrite` with \1..\9 filled from the match; the name itself when it does not match.
std::string RewriteName(const RE2& re, absl::string_view name, const std::string& rewrite);
// Storage bytes of dtype x shape (0 when the shape is invalid).
int64_t BytesOf(DType t, const Shape& shape);
// The default keep-f32 rule: names with "bias" or "norm".
bool DefaultKeep(absl::string_view name);

class Planner {
 public:
  Planner(const schema::Conversion* schema, const EngineOptions& options)
      : schema_(schema), options_(options) {}

  // One node per source tensor, producing the tensor itself.
  void Init(const Checkpoint& source);
  // "schema.textproto: pass 3" (the schema alone for index < 0), for messages.
  std::string Where(int pass) const;
  // Runs one schema pass through the registry.
  absl::Status RunPass(const schema::Pass& p, int index);

  std::vector<Node>& nodes() { return nodes_; }
  std::vector<std::string>& dropped() { return dropped_; }
  const EngineOptions& options() const { return options_; }

  // Drops the nodes marked in `remove` and puts replace[i] in place of node i, keeping order.
  void RebuildNodes(const std::vector<bool>& remove, std::map<int, Node>* replace);
  // Records a rename (no-op when the name is unchanged).
  static void Rename(Node& n, const std::string& to);
  // Appends a cast to `to` (computed lazily as the output is written).
  static void CastNode(Node& n, DType to);
  // Splits `n` along `axis` into parts of `sizes`, named `names`.
  static absl::StatusOr<std::vector<Node>> SplitNode(const Node& n, int axis,
                                                     const std::vector<int64_t>& sizes,
                                                     const std::vector<std::string>& names);

  // "nearest rule: rename \"...\"" for an unmapped source tensor.
  std::string Nearest(const std::string& name) const;

 private:
  const schema::Conversion* schema_;
  const EngineOptions& options_;
  std::vector<Node> nodes_;
  std::vector<std::string> dropped_;
};

// ---- the pass registry ------------------------------------------------------------------------

struct PassDef {
  schema::Pass::OpCase op_case = schema::Pass::OP_NOT_SET;
  std::string id;  // the Pass oneof field name
  // Checks the pass's fields when a schema is loaded; `source` and `index` name it in errors.
  std::function<absl::Status(const schema::Pass&, absl::string_view source, int index)> validate;
  std::function<absl::Status(const schema::Pass&, int index, Planner&)> plan;
  // Its name patterns, for "nearest rule" hints.
  std::function<std::vector<std::string>(const schema::Pass&)> patterns;
};

class PassRegistration {
 public:
  explicit PassRegistration(PassDef def);
};

const PassDef* FindPass(schema::Pass::OpCase op_case);

// Shared checks for pass validation.
absl::Status CheckPattern(const std::string& pattern, absl::string_view source, int pass,
                          absl::string_view field, bool required);
absl::Status CheckCastType(const std::string& t, absl::string_view source, absl::string_view what);

// Planning steps the engine also takes outside the schema's passes (--fuse-weight-norm,
// --conv-layout mlx, --out-type), defined in their pass files.
absl::Status PlanFuseWeightNorm(Planner& pl, const schema::FuseWeightNorm& f, int index);
absl::Status PlanPermute(Planner& pl, const std::string& pattern, const std::vector<int>& perm,
                         int rank, int index, bool maps);
absl::Status PlanCast(Planner& pl, const std::string& pattern, const std::string& dtype,
                      const std::vector<std::string>& keep_patterns, bool default_keep);

}  // namespace tp

#endif  // TENSORPORT_CONVERT_PLANNER_H_
