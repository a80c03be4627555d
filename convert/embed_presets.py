"""Writes presets_embedded.cc: every preset textproto as a raw string, for --preset NAME."""
import os
import sys

out = sys.argv[1]
paths = sorted(sys.argv[2:])
lines = ['#include "convert/presets_embedded.h"', "", "namespace tp {", "",
         "const std::vector<EmbeddedPreset>& EmbeddedPresets() {",
         "  static const auto* presets = new std::vector<EmbeddedPreset>{"]
for p in paths:
    name = os.path.basename(p)[: -len(".textproto")]
    text = open(p, encoding="utf-8").read()
    assert ")tp_preset\"" not in text
    lines.append('      {"%s", R"tp_preset(%s)tp_preset"},' % (name, text))
lines += ["  };", "  return *presets;", "}", "", "}  // namespace tp", ""]
open(out, "w", encoding="utf-8").write("\n".join(lines))
