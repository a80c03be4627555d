// Metadata of a conversion's output from the schema's rules: literal values, leaves of the source
// checkpoint (`from_checkpoint`) and of a JSON config file (`from_config`), coerced to the
// declared GGUF types.
//
// Example:
//   bool skip = false;
//   ASSIGN_OR_RETURN(MetaValue v, RuleValue(rule, source, config.get(), options, &skip));
#ifndef TENSORPORT_CONVERT_METADATA_RULES_H_
#define TENSORPORT_CONVERT_METADATA_RULES_H_

#include <string>

#include "absl/status/statusor.h"
#include "convert/schema_engine.h"
#include "core/checkpoint.h"
#include "core/metadata.h"
#include "google/protobuf/struct.pb.h"
#include "schemas/conversion.pb.h"

namespace tp {

// The rule's value; *skip when an optional rule finds nothing.
absl::StatusOr<MetaValue> RuleValue(const schema::MetadataRule& m, const Checkpoint& source,
                                    const google::protobuf::Struct* config,
                                    const EngineOptions& options, bool* skip);
// general.file_type for an --out-type (0 f32, 1 f16, 7 q8_0, 32 bf16).
int FileType(OutType out_type);
// A metadata value as text (for formats whose metadata are strings).
MetaValue AsText(const MetaValue& v);

}  // namespace tp

#endif  // TENSORPORT_CONVERT_METADATA_RULES_H_
