// convert: turn a checkpoint into GGUF, safetensors or npz under a declared schema.
//   convert --from pytorch --to gguf --preset hifigan --select generator --out-type f16 g.pth g.gguf
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "convert/converter.h"
#include "core/cli_flags.h"
#include "formats/zip/zip.h"

ABSL_FLAG(std::string, from, "", "input format id (default: detected from magic bytes)");
ABSL_FLAG(std::string, to, "", "output format id: gguf, safetensors, npz (default: OUT's extension)");
ABSL_FLAG(std::string, schema, "", "conversion schema textproto (schemas/conversion.proto)");
ABSL_FLAG(std::string, preset, "", "built-in schema: hifigan, encodec, kokoro, mlx");
ABSL_FLAG(std::string, select, "", "dotted key of the sub-tree to convert (model, generator, ...)");
ABSL_FLAG(std::string, arch, "", "general.architecture for GGUF");
ABSL_FLAG(std::optional<tp::OutType>, out_type, std::nullopt,
          "f32, f16, bf16 or q8_0 (norms, biases and 1-D stay f32)");
ABSL_FLAG(bool, fuse_weight_norm, false, "fuse weight_g/weight_v pairs into weight");
ABSL_FLAG(std::optional<tp::ConvLayout>, conv_layout, std::nullopt,
          "torch (default) or mlx (needs declared conv weights)");
ABSL_FLAG(bool, dry_run, false, "print the report without writing OUT");
ABSL_FLAG(std::string, report, "", "write the report as JSON to this file");
ABSL_FLAG(bool, allow_unmapped, false, "pass tensors no schema rule maps through unchanged");
ABSL_FLAG(std::string, config, "", "JSON config file for schema metadata rules (from_config)");
ABSL_FLAG(bool, quiet, false, "no report table");
ABSL_FLAG(bool, all, false, "one report row per tensor, however many");

ABSL_FLAG(double, max_inflate_ratio, tp::kDefaultMaxInflateRatio,
          "refuse compressed (.npz) entries that declare more inflated bytes per compressed byte "
          "than this (default: deflate's own limit, 1032)");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "convert [--from F] [--to T] [--schema FILE | --preset NAME] [--select KEY] [--arch NAME]\n"
      "        [--out-type f32|f16|bf16|q8_0] [--fuse-weight-norm] [--conv-layout torch|mlx]\n"
      "        [--dry-run] [--report FILE.json] [--allow-unmapped] [--config config.json] IN OUT");
  // Accept --out-type as well as --out_type, and make an unknown flag or a malformed value a
  // usage error (exit 2) rather than Abseil's exit 1.
  absl::StatusOr<std::vector<std::string>> prepared = tp::PrepareFlags(argc, argv);
  if (!prepared.ok()) {
    std::fprintf(stderr, "convert: %s\n", std::string(prepared.status().message()).c_str());
    return 2;
  }
  std::vector<char*> fixed = tp::ArgvPointers(*prepared);
  std::vector<char*> args = absl::ParseCommandLine(static_cast<int>(fixed.size()), fixed.data());
  tp::SetDefaultMaxInflateRatio(absl::GetFlag(FLAGS_max_inflate_ratio));
  if (args.size() != 3) {
    std::fprintf(stderr, "convert: expected IN and OUT, got %zu positional arguments (see --help)\n",
                 args.size() - 1);
    return 2;
  }
  tp::ConvertOptions o;
  o.input = args[1];
  o.output = args[2];
  o.from = absl::GetFlag(FLAGS_from);
  o.to = absl::GetFlag(FLAGS_to);
  o.schema_path = absl::GetFlag(FLAGS_schema);
  o.preset = absl::GetFlag(FLAGS_preset);
  o.select = absl::GetFlag(FLAGS_select);
  o.engine.arch = absl::GetFlag(FLAGS_arch);
  o.engine.out_type = absl::GetFlag(FLAGS_out_type);
  o.engine.fuse_weight_norm = absl::GetFlag(FLAGS_fuse_weight_norm);
  o.engine.conv_layout = absl::GetFlag(FLAGS_conv_layout);
  o.engine.allow_unmapped = absl::GetFlag(FLAGS_allow_unmapped);
  o.engine.config_path = absl::GetFlag(FLAGS_config);
  o.dry_run = absl::GetFlag(FLAGS_dry_run);
  o.report_path = absl::GetFlag(FLAGS_report);
  o.quiet = absl::GetFlag(FLAGS_quiet);
  o.all = absl::GetFlag(FLAGS_all);
  absl::Status s = tp::RunConvert(o, std::cout);
  if (!s.ok()) {
    std::fprintf(stderr, "convert: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  return 0;
}
