// Preset rule files (schemas/presets/*.textproto) compiled into the binary, so --preset works
// wherever the binary is run. The .cc is generated at build time by embed_presets.py.
//
// Example:
//   for (const EmbeddedPreset& p : EmbeddedPresets()) std::cout << p.name << "\n";
#ifndef TENSORPORT_CONVERT_PRESETS_EMBEDDED_H_
#define TENSORPORT_CONVERT_PRESETS_EMBEDDED_H_

#include <vector>

#include "absl/strings/string_view.h"

namespace tp {

struct EmbeddedPreset {
  absl::string_view name;
  absl::string_view text;
};

const std::vector<EmbeddedPreset>& EmbeddedPresets();

}  // namespace tp

#endif  // TENSORPORT_CONVERT_PRESETS_EMBEDDED_H_
