// The conversion engine: plans how a source checkpoint maps onto target tensors under a schema,
// then produces each target tensor on demand.
//
// Planning reads only names, shapes and dtypes (no tensor data), so the whole output inventory,
// the report and every error (unmapped tensors, unpaired weight norm, wrong rank, names too long
// for GGUF, expect mismatches) are known before a byte is written. Produce(i) then builds output
// i from views into the mapped input, so memory stays near the largest tensor.
//
// Each PlannedOutput lists its source tensors and the ordered transforms applied, which is what
// `verify --weights` uses to recompute an output from its source (mode 0) or to map an output
// back onto a source layout (mode 3: invert renames and permutations).
//
// Example:
//   ASSIGN_OR_RETURN(Checkpoint src, ReadCheckpoint("g.pth"));
//   ASSIGN_OR_RETURN(schema::Conversion s, LoadPreset("hifigan"));
//   EngineOptions opts;
//   opts.target_format = "gguf";
//   ASSIGN_OR_RETURN(ConversionPlan plan, Plan(src, &s, opts));
//   for (size_t i = 0; i < plan.outputs().size(); ++i) {
//     ASSIGN_OR_RETURN(Tensor t, plan.Produce(i));
//   }
#ifndef TENSORPORT_CONVERT_SCHEMA_ENGINE_H_
#define TENSORPORT_CONVERT_SCHEMA_ENGINE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "convert/options.h"
#include "convert/transform.h"
#include "core/checkpoint.h"
#include "core/metadata.h"
#include "core/tensor.h"
#include "core/tensor_ops.h"
#include "formats/registry.h"
#include "schemas/conversion.pb.h"

namespace tp {

// The metadata key under which convert records how an output was made (convert/provenance.h).
inline constexpr char kProvenanceKey[] = "tensorport.provenance";

struct PlannedOutput {
  std::string name;
  DType dtype = DType::kF32;
  Shape shape;
  // Original names in the source checkpoint (several for fused, combined or concatenated ones).
  std::vector<std::string> sources;
  DType source_dtype = DType::kF32;  // of the first source
  Shape source_shape;
  int64_t source_bytes = 0;  // all sources together
  int64_t bytes = 0;         // of the output
  std::vector<Transform> transforms;
  std::vector<std::string> notes;  // e.g. a q8_0 -> f16 fallback
};

struct EngineOptions {
  // "gguf", "safetensors", "npz", ... decides GGUF-only checks and metadata handling.
  std::string target_format;
  std::optional<OutType> out_type;  // none: the schema's, else source dtypes kept
  bool fuse_weight_norm = false;
  std::optional<ConvLayout> conv_layout;  // none: the schema's, else torch
  bool allow_unmapped = false;
  std::string arch;                      // general.architecture override
  std::string name;                      // general.name fallback (the input file's stem)
  std::string config_json;               // contents of --config, empty when none
  std::string config_path;               // for messages
  std::string schema_source = "schema";  // for messages
};

class ConversionPlan {
 public:
  const std::vector<PlannedOutput>& outputs() const { return outputs_; }
  const Metadata& metadata() const { return metadata_; }
  // Source tensors dropped on purpose, and passed through unmapped (--allow-unmapped).
  const std::vector<std::string>& dropped() const { return dropped_; }
  const std::vector<std::string>& unmapped() const { return unmapped_; }
  // Notes for the whole plan (undeclared 3-D weights under --conv-layout mlx, ...).
  const std::vector<std::string>& notes() const { return notes_; }

  std::vector<TensorSpec> Specs() const;
  // Builds output i (dtype and shape as planned). Views into the source stay views when no
  // transform needs a copy.
  absl::StatusOr<Tensor> Produce(size_t i) const;
  // The source tensors output i reads (to release their pages after writing).
  const std::vector<Tensor>& SourceTensors(size_t i) const { return source_tensors_[i]; }

 private:
  friend absl::StatusOr<ConversionPlan> Plan(const Checkpoint&, const schema::Conversion*,
                                             const EngineOptions&);
  std::vector<PlannedOutput> outputs_;
  std::vector<std::function<absl::StatusOr<Tensor>()>> producers_;
  std::vector<std::vector<Tensor>> source_tensors_;
  Metadata metadata_;
  std::vector<std::string> dropped_, unmapped_, notes_;
};

// Plans the conversion of `source` under `schema` (nullptr: names kept, no strictness).
absl::StatusOr<ConversionPlan> Plan(const Checkpoint& source, const schema::Conversion* schema,
                                    const EngineOptions& options);

// g * v / ||v||, norm over every axis but `axis` (axis -1: over all), computed in double; the
// result has v's dtype.
absl::StatusOr<Tensor> FuseWeightNorm(const Tensor& g, const Tensor& v, int axis);

// Levenshtein distance (for "nearest rule" hints).
int EditDistance(absl::string_view a, absl::string_view b);

}  // namespace tp

#endif  // TENSORPORT_CONVERT_SCHEMA_ENGINE_H_
