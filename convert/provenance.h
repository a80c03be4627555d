// What a conversion did, recorded inside its output so that `verify` can check the result
// without guessing: the tool version, the schema (its name, its full text and the SHA-256 of
// that text), the options, the source file, and for every output tensor its source tensors and
// its ordered transforms.
//
// Where it lives: GGUF key/value `tensorport.provenance` (a string), safetensors `__metadata__`
// key `tensorport.provenance`, and for .npz (which has no metadata) the sidecar `OUT.npz.json`
// the npz writer and reader keep metadata in. The value is one JSON document:
//   {"record": "tensorport.provenance", "version": 1, "tool": "tensorport 0.5.0",
//    "source": {"file": "g.pth", "format": "pytorch", "select": "generator"},
//    "schema": {"name": "hifigan", "origin": "preset", "sha256": "...", "text": "..."} | null,
//    "options": {"out_type": "f16", "fuse_weight_norm": false, "conv_layout": "", "arch": "",
//                "allow_unmapped": false},
//    "tensors": [{"name": "ups.0.weight", "dtype": "f16", "shape": [16, 8, 4],
//                 "sources": ["ups.0.weight_g", "ups.0.weight_v"],
//                 "transforms": ["fuse_weight_norm(dim=0)", "f32->f16"]}, ...]}
//
// verify re-plans the recorded schema and options over the source it is given and requires the
// plan to reproduce the record (names, sources, transforms); a mismatch says the source is not
// the one that was converted.
//
// Example:
//   Provenance p = MakeProvenance(plan, info);
//   metadata.emplace_back(kProvenanceKey, MetaValue::String(ProvenanceToJson(p)));
//   ...
//   ASSIGN_OR_RETURN(std::optional<Provenance> r, ReadProvenance(converted));
//   if (r) { ASSIGN_OR_RETURN(ConversionPlan plan, ReplanFromProvenance(*r, source)); }
#ifndef TENSORPORT_CONVERT_PROVENANCE_H_
#define TENSORPORT_CONVERT_PROVENANCE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "convert/schema_engine.h"
#include "core/checkpoint.h"

namespace tp {

// The metadata key of the record: kProvenanceKey, in convert/schema_engine.h (the plan keeps a
// source's own record from colliding with the new one).

struct Provenance {
  std::string tool;
  std::string source_file, source_format, select;
  std::string schema_name, schema_origin;  // origin: "preset", "file" or "" (no schema)
  std::string schema_text, schema_sha256;
  std::optional<OutType> out_type;
  std::optional<ConvLayout> conv_layout;
  std::string arch;
  bool fuse_weight_norm = false;
  bool allow_unmapped = false;
  struct TensorRecord {
    std::string name, dtype;
    Shape shape;
    std::vector<std::string> sources;
    std::vector<std::string> transforms;  // Transform::Describe(), in order
  };
  std::vector<TensorRecord> tensors;

  // "tensorport 0.5.0, preset hifigan (sha256 1a2b3c4d...), out_type f16".
  std::string Summary() const;
  // Output names the schema declares the exported graph does not read (not_in_graph).
  absl::StatusOr<std::vector<std::string>> NotInGraph(const ConversionPlan& plan) const;
};

// What the converter knows beside the plan.
struct ProvenanceInputs {
  std::string source_file, source_format, select;
  std::string schema_name, schema_origin, schema_text;
  EngineOptions engine;
};

Provenance MakeProvenance(const ConversionPlan& plan, const ProvenanceInputs& in);
std::string ProvenanceToJson(const Provenance& p);
// `source` names the input in errors.
absl::StatusOr<Provenance> ProvenanceFromJson(absl::string_view json, absl::string_view source);

// The record in a converted file's metadata; nullopt when it has none.
absl::StatusOr<std::optional<Provenance>> ReadProvenance(const Checkpoint& converted);

// Plans the recorded schema and options over `source` (read with the recorded --select) and checks
// that every recorded tensor is reproduced with the same sources and transforms.
absl::StatusOr<ConversionPlan> ReplanFromProvenance(const Provenance& p, const Checkpoint& source);

}  // namespace tp

#endif  // TENSORPORT_CONVERT_PROVENANCE_H_
