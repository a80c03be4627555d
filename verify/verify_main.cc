// verify: find the first layer where a port or a conversion goes wrong.
//
//   verify --layer-diff --reference REF --candidate CAND [--map F] [--layout F] [--tolerances F]
//          [--atol A] [--rtol R] [--min-sqnr-db D] [--min-cosine C] [--max-mismatch F]
//          [--strict-names] [--json F] [--junit F] [--html F] [--color auto|always|never]
//   verify --weights CONVERTED --source ORIGINAL [--map F] [...same tolerance/report flags]
//   verify --weights CONVERTED --source ORIGINAL --schema PRESET|FILE [--select KEY]
//          [--out-type T] [--conv-layout torch|mlx] [--fuse-weight-norm] [--allow-unmapped]
//          (--preset NAME is an alias of --schema NAME)
//   verify --model M.onnx --inputs IN.npz --reference REF [--device reference|cpu|cuda] [--isolate]
//          [--weights CONVERTED --source ORIGINAL [--schema S]] [...same tolerance/report flags]
//
// Exit status: 0 every layer passed, 1 a layer failed, 2 usage or input error.
#include <unistd.h>

#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/cli_flags.h"
#include "formats/zip/zip.h"
#include "verify/verify.h"

// Modes.
ABSL_FLAG(bool, layer_diff, false, "diff activations layer by layer (dumps, or --model runs)");
ABSL_FLAG(std::string, reference, "", "reference dump (.npz, .npy folder, safetensors, GGUF)");
ABSL_FLAG(std::string, candidate, "", "candidate dump to diff against --reference");
ABSL_FLAG(std::string, weights, "", "converted weights (GGUF, safetensors, npz)");
ABSL_FLAG(std::string, source, "", "the checkpoint the converted weights were made from");
ABSL_FLAG(std::string, schema, "", "conversion schema (preset name or textproto file)");
ABSL_FLAG(std::string, preset, "", "alias of --schema NAME");
ABSL_FLAG(std::string, model, "", "ONNX export to run with the project's runtime");
ABSL_FLAG(std::string, inputs, "", "graph inputs (.npz)");
ABSL_FLAG(std::string, device, "", "runtime backend: reference, cpu (default) or cuda");
ABSL_FLAG(bool, isolate, false, "feed every layer the reference's inputs (model mode)");
// Matching and tolerances.
ABSL_FLAG(std::string, map, "", "name map textproto (candidate names -> reference names)");
ABSL_FLAG(std::string, layout, "", "layout rules textproto (axis permutations per layer)");
ABSL_FLAG(std::string, tolerances, "", "per-layer tolerance textproto");
ABSL_FLAG(std::optional<double>, atol, std::nullopt, "absolute tolerance");
ABSL_FLAG(std::optional<double>, rtol, std::nullopt, "relative tolerance");
ABSL_FLAG(std::optional<double>, min_sqnr_db, std::nullopt, "minimum SQNR in dB");
ABSL_FLAG(std::optional<double>, min_cosine, std::nullopt, "minimum cosine similarity");
ABSL_FLAG(std::optional<double>, max_mismatch, std::nullopt,
          "maximum fraction of elements outside the tolerance band");
ABSL_FLAG(bool, align, false,
          "dump vs dump: pair the candidate's entries with the reference's by execution order and "
          "shape (automatic when the names mostly differ)");
ABSL_FLAG(bool, no_align, false, "never align automatically; names (and --map) only");
ABSL_FLAG(std::string, write_map, "", "write the alignment as a map file that --map reads");
ABSL_FLAG(bool, strict_names, false, "extra candidate layers fail the run too");
ABSL_FLAG(std::vector<std::string>, excuse, {},
          "comma-separated RE2 patterns of reference layers that may be missing (excused)");
ABSL_FLAG(std::optional<double>, min_coverage, std::nullopt,
          "excuse missing reference layers as long as this fraction of them was compared "
          "(a port that dumps only some layers)");
ABSL_FLAG(bool, allow_unexercised, false,
          "model mode with --weights: converted tensors the graph does not read do not fail");
ABSL_FLAG(bool, verbose, false, "list every bound graph parameter");
ABSL_FLAG(bool, all, false, "list every layer in the terminal table");
ABSL_FLAG(bool, html_all_images, false,
          "HTML: heat maps for every 2-D layer (default: the first divergence and its neighbours)");
// Weights mode with a schema: the conversion's options (inferred from the file when left out).
ABSL_FLAG(std::string, select, "", "dotted key of the sub-tree that was converted");
ABSL_FLAG(std::optional<tp::OutType>, out_type, std::nullopt,
          "f32, f16, bf16 or q8_0, as given to convert");
ABSL_FLAG(std::optional<tp::ConvLayout>, conv_layout, std::nullopt,
          "torch or mlx, as given to convert");
ABSL_FLAG(std::optional<bool>, fuse_weight_norm, std::nullopt, "as given to convert");
ABSL_FLAG(bool, allow_unmapped, false, "as given to convert");
// Reports.
ABSL_FLAG(std::string, json, "", "write the report as JSON to this file");
ABSL_FLAG(std::string, junit, "", "write a JUnit XML report (one test case per layer)");
ABSL_FLAG(std::string, html, "", "write a self-contained HTML report");
ABSL_FLAG(std::string, color, "auto", "auto, always or never");
ABSL_FLAG(double, max_inflate_ratio, tp::kDefaultMaxInflateRatio,
          "refuse compressed (.npz) entries that declare more inflated bytes per compressed byte "
          "than this (default: deflate's own limit, 1032)");

namespace {

constexpr char kUsage[] =
    "usage:\n"
    "  verify --layer-diff --reference REF --candidate CAND [--map FILE] [--layout FILE]\n"
    "         [--tolerances FILE] [--atol A] [--rtol R] [--min-sqnr-db D] [--min-cosine C]\n"
    "         [--max-mismatch F] [--strict-names] [--json F] [--junit F] [--html F]\n"
    "         [--color auto|always|never]\n"
    "  verify --weights CONVERTED --source ORIGINAL [same tolerance/report flags]\n"
    "  verify --weights CONVERTED --source ORIGINAL --schema PRESET|FILE [--select KEY]\n"
    "         [--out-type f32|f16|bf16|q8_0] [--conv-layout torch|mlx] [--fuse-weight-norm]\n"
    "         [--allow-unmapped]  (as given to convert; inferred from CONVERTED when left out;\n"
    "         --preset NAME = --schema NAME)\n"
    "  verify --model M.onnx --inputs IN.npz --reference REF [--device reference|cpu|cuda]\n"
    "         [--isolate] [--weights CONVERTED --source ORIGINAL [--schema PRESET|FILE]]\n"
    "         [--allow-unexercised] [--verbose]\n"
    "Coverage: [--excuse RE,RE...] [--min-coverage F]; a reference layer neither compared nor\n"
    "excused fails the run.\n"
    "A dump is an .npz, a directory of .npy files (optional manifest.json), a safetensors or a\n"
    "GGUF file. Exit status: 0 all layers pass, 1 a layer fails, 2 usage or input error.\n";

int Usage(const std::string& error) {
  std::cerr << "verify: " << error << "\n" << kUsage;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  absl::StatusOr<std::vector<std::string>> prepared = tp::PrepareFlags(argc, argv);
  if (!prepared.ok()) return Usage(std::string(prepared.status().message()));
  std::vector<char*> argv2 = tp::ArgvPointers(*prepared);
  std::vector<char*> args = absl::ParseCommandLine(static_cast<int>(argv2.size()), argv2.data());
  if (args.size() > 1) return Usage(absl::StrCat("unexpected argument \"", args[1], "\""));
  tp::SetDefaultMaxInflateRatio(absl::GetFlag(FLAGS_max_inflate_ratio));

  tp::verify::VerifyOptions opts;
  opts.layer_diff = absl::GetFlag(FLAGS_layer_diff);
  opts.strict_names = absl::GetFlag(FLAGS_strict_names);
  opts.isolate = absl::GetFlag(FLAGS_isolate);
  opts.reference = absl::GetFlag(FLAGS_reference);
  opts.candidate = absl::GetFlag(FLAGS_candidate);
  opts.map_file = absl::GetFlag(FLAGS_map);
  opts.layout_file = absl::GetFlag(FLAGS_layout);
  opts.tolerance_file = absl::GetFlag(FLAGS_tolerances);
  opts.weights = absl::GetFlag(FLAGS_weights);
  opts.source = absl::GetFlag(FLAGS_source);
  opts.schema = absl::GetFlag(FLAGS_schema);
  if (!absl::GetFlag(FLAGS_preset).empty()) {
    if (!opts.schema.empty()) return Usage("--schema and --preset exclude each other; give one");
    opts.schema = absl::GetFlag(FLAGS_preset);
  }
  opts.conversion.select = absl::GetFlag(FLAGS_select);
  opts.conversion.out_type = absl::GetFlag(FLAGS_out_type);
  opts.conversion.conv_layout = absl::GetFlag(FLAGS_conv_layout);
  opts.conversion.fuse_weight_norm = absl::GetFlag(FLAGS_fuse_weight_norm);
  opts.conversion.allow_unmapped = absl::GetFlag(FLAGS_allow_unmapped);
  opts.excuse = absl::GetFlag(FLAGS_excuse);
  opts.min_coverage = absl::GetFlag(FLAGS_min_coverage);
  opts.allow_unexercised = absl::GetFlag(FLAGS_allow_unexercised);
  opts.verbose = absl::GetFlag(FLAGS_verbose);
  opts.all = absl::GetFlag(FLAGS_all);
  opts.align = absl::GetFlag(FLAGS_align);
  opts.no_align = absl::GetFlag(FLAGS_no_align);
  opts.write_map = absl::GetFlag(FLAGS_write_map);
  opts.html_all_images = absl::GetFlag(FLAGS_html_all_images);
  opts.model = absl::GetFlag(FLAGS_model);
  opts.inputs = absl::GetFlag(FLAGS_inputs);
  opts.device = absl::GetFlag(FLAGS_device);
  opts.json = absl::GetFlag(FLAGS_json);
  opts.junit = absl::GetFlag(FLAGS_junit);
  opts.html = absl::GetFlag(FLAGS_html);
  opts.atol = absl::GetFlag(FLAGS_atol);
  opts.rtol = absl::GetFlag(FLAGS_rtol);
  opts.min_sqnr_db = absl::GetFlag(FLAGS_min_sqnr_db);
  opts.min_cosine = absl::GetFlag(FLAGS_min_cosine);
  opts.max_mismatch = absl::GetFlag(FLAGS_max_mismatch);
  for (const std::optional<double>& v :
       {opts.atol, opts.rtol, opts.min_sqnr_db, opts.min_cosine, opts.max_mismatch}) {
    if (v.has_value() && !(*v == *v)) return Usage("tolerance flags take numbers, not nan");
  }
  const std::string color = absl::GetFlag(FLAGS_color);
  if (color != "auto" && color != "always" && color != "never") {
    return Usage(absl::StrCat("--color \"", color, "\": expected auto, always or never"));
  }
  opts.color = color == "always" || (color == "auto" && ::isatty(1));

  absl::StatusOr<bool> passed = tp::verify::RunVerify(opts, std::cout);
  if (!passed.ok()) {
    std::cerr << "verify: " << passed.status().message() << "\n";
    if (tp::IsUsageError(passed.status())) std::cerr << kUsage;
    return 2;
  }
  return *passed ? 0 : 1;
}
