// Loading conversion schemas (schemas/conversion.proto) from textproto rule files or presets.
//
// Parse errors carry the file name and line:column of the offending token, and the schema is
// validated (every pattern compiles as RE2, dtypes and metadata types are known) before use, so a
// typo fails at load time rather than half-way through a conversion.
//
// Example:
//   ASSIGN_OR_RETURN(schema::Conversion s, LoadSchemaFile("schemas/presets/hifigan.textproto"));
//   ASSIGN_OR_RETURN(schema::Conversion p, LoadPreset("mlx"));
//   // A --schema flag that takes either (verify): a readable file wins over a preset name.
//   ASSIGN_OR_RETURN(schema::Conversion q, LoadSchemaOrPreset(flag_value));
#ifndef TENSORPORT_CONVERT_SCHEMA_LOADER_H_
#define TENSORPORT_CONVERT_SCHEMA_LOADER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "schemas/conversion.pb.h"

namespace tp {

// Parses textproto `text`; `source` names it in errors ("rules.textproto:12:5: ...").
absl::StatusOr<schema::Conversion> ParseSchema(absl::string_view text, absl::string_view source);
absl::StatusOr<schema::Conversion> LoadSchemaFile(const std::string& path);
// A preset built into the binary (schemas/presets/NAME.textproto); NotFound lists the known ones.
absl::StatusOr<schema::Conversion> LoadPreset(absl::string_view name);
std::vector<std::string> PresetNames();
// The textproto of a built-in preset (what a provenance record keeps); NotFound as LoadPreset.
absl::StatusOr<std::string> PresetText(absl::string_view name);
// A schema file when `name_or_path` can be opened as one, otherwise the preset of that name.
// NotFound when it is neither, naming the argument and listing the known presets.
absl::StatusOr<schema::Conversion> LoadSchemaOrPreset(const std::string& name_or_path);

// Checks patterns, dtypes and metadata types; errors name the source and the pass index.
absl::Status ValidateSchema(const schema::Conversion& s, absl::string_view source);

}  // namespace tp

#endif  // TENSORPORT_CONVERT_SCHEMA_LOADER_H_
