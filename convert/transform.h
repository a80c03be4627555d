// Tensor transforms: what the conversion does to each tensor, one registered unit per kind.
//
// A Transform is one recorded step of a planned output (plan reports, provenance records, verify);
// a TransformDef is what a kind of step means: how to describe it, how to apply it to its input
// tensors, and how to undo it on its output where a single tensor can be undone. Each kind lives
// in one file under convert/passes/ beside the schema pass that plans it, and registers itself
// with one TransformRegistration there, so convert (apply) and verify (invert) share one
// definition.
//
// Example:
//   Transform t;
//   t.op = "permute";
//   t.perm = {0, 2, 1};
//   ASSIGN_OR_RETURN(Tensor mlx, ApplyTransform(t, {torch_layout}));
//   ASSIGN_OR_RETURN(std::optional<Tensor> back, InvertTransform(t, mlx));  // torch layout again
#ifndef TENSORPORT_CONVERT_TRANSFORM_H_
#define TENSORPORT_CONVERT_TRANSFORM_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/tensor.h"

namespace tp {

// One step applied to a tensor, in the order applied. Which fields matter depends on `op`.
struct Transform {
  // Registered id: "rename", "fuse_weight_norm", "permute", "reshape", "split", "concat", "cast",
  // "add_bias".
  std::string op = "rename";
  std::string from_name, to_name;
  std::vector<int> perm;
  Shape shape_before, shape_after;
  DType dtype_before = DType::kF32, dtype_after = DType::kF32;
  int axis = 0;
  int64_t offset = 0, size = 0;
  std::vector<int64_t> sizes;

  // Short text for reports and records: "rename", "fuse_weight_norm(dim=0)", "permute[0,2,1]",
  // "f32->f16" (the registered kind's describe).
  std::string Describe() const;
};

struct TransformDef {
  std::string op;
  std::function<std::string(const Transform&)> describe;
  // The output from the inputs, in the order the plan lists the output's sources (one tensor for
  // most kinds; g and v for fuse_weight_norm; bias_ih and bias_hh for add_bias; the parts for
  // concat).
  std::function<absl::StatusOr<Tensor>(const std::vector<Tensor>&, const Transform&)> apply;
  // The single input from the output, for kinds that can be undone one tensor at a time; null
  // otherwise.
  std::function<absl::StatusOr<Tensor>(const Tensor&, const Transform&)> invert;
  // How many inputs `apply` combines into its one output: 1 for most kinds, 2 for
  // fuse_weight_norm (g, v) and add_bias (bias_ih, bias_hh), 0 for any number (concat's parts).
  // Replaying a plan (verify's weight diagnosis) applies the steps before a combining one to
  // each input alike.
  int arity = 1;
};

class TransformRegistration {
 public:
  explicit TransformRegistration(TransformDef def);
};

// nullptr for an unknown op.
const TransformDef* FindTransform(absl::string_view op);
std::vector<std::string> TransformOps();

absl::StatusOr<Tensor> ApplyTransform(const Transform& t, const std::vector<Tensor>& inputs);
// nullopt when `t` cannot be undone on its own (split, concat, fusions).
absl::StatusOr<std::optional<Tensor>> InvertTransform(const Transform& t, const Tensor& output);

}  // namespace tp

#endif  // TENSORPORT_CONVERT_TRANSFORM_H_
