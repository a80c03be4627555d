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

#include <cstdlib>
#include <iostream>
#include <map>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "verify/verify.h"

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
    "A dump is an .npz, a directory of .npy files (optional manifest.json), a safetensors or a\n"
    "GGUF file. Exit status: 0 all layers pass, 1 a layer fails, 2 usage or input error.\n";

const std::set<std::string> kBoolFlags = {"layer-diff", "strict-names", "isolate", "help",
                                          "fuse-weight-norm", "allow-unmapped"};
const std::set<std::string> kValueFlags = {
    "reference", "candidate", "map",     "layout", "tolerances", "atol",    "rtol",
    "min-sqnr-db", "min-cosine", "max-mismatch", "json", "junit", "html", "color",
    "weights",   "source",    "schema",  "model",  "inputs",     "device",
    "preset",    "select",    "out-type", "conv-layout"};

int Usage(const std::string& error) {
  std::cerr << "verify: " << error << "\n" << kUsage;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) return Usage(absl::StrCat("unexpected argument \"", arg, "\""));
    arg = arg.substr(2);
    std::string value;
    const size_t eq = arg.find('=');
    const bool has_value = eq != std::string::npos;
    if (has_value) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    if (kBoolFlags.count(arg)) {
      if (has_value && value != "true" && value != "false") {
        return Usage(absl::StrCat("--", arg, " takes no value"));
      }
      flags[arg] = has_value ? value : "true";
    } else if (kValueFlags.count(arg)) {
      if (!has_value) {
        if (i + 1 >= argc) return Usage(absl::StrCat("--", arg, " needs a value"));
        value = argv[++i];
      }
      flags[arg] = value;
    } else {
      return Usage(absl::StrCat("unknown flag --", arg));
    }
  }
  if (flags.count("help")) {
    std::cout << kUsage;
    return 0;
  }
  tp::verify::VerifyOptions opts;
  auto get = [&](const char* k) { return flags.count(k) ? flags[k] : std::string(); };
  opts.layer_diff = get("layer-diff") == "true";
  opts.strict_names = get("strict-names") == "true";
  opts.isolate = get("isolate") == "true";
  opts.reference = get("reference");
  opts.candidate = get("candidate");
  opts.map_file = get("map");
  opts.layout_file = get("layout");
  opts.tolerance_file = get("tolerances");
  opts.weights = get("weights");
  opts.source = get("source");
  opts.schema = get("schema");
  if (flags.count("preset")) {
    if (flags.count("schema")) return Usage("--schema and --preset exclude each other; give one");
    opts.schema = get("preset");
  }
  opts.select = get("select");
  opts.out_type = get("out-type");
  if (!opts.out_type.empty() && opts.out_type != "f32" && opts.out_type != "f16" &&
      opts.out_type != "bf16" && opts.out_type != "q8_0") {
    return Usage(absl::StrCat("--out-type \"", opts.out_type, "\": expected f32, f16, bf16 or q8_0"));
  }
  opts.conv_layout = get("conv-layout");
  if (!opts.conv_layout.empty() && opts.conv_layout != "torch" && opts.conv_layout != "mlx") {
    return Usage(absl::StrCat("--conv-layout \"", opts.conv_layout, "\": expected torch or mlx"));
  }
  if (opts.conv_layout == "torch") opts.conv_layout.clear();  // the engine's default
  if (flags.count("fuse-weight-norm")) opts.fuse_weight_norm = get("fuse-weight-norm") == "true";
  opts.allow_unmapped = get("allow-unmapped") == "true";
  opts.model = get("model");
  opts.inputs = get("inputs");
  opts.device = get("device");
  opts.json = get("json");
  opts.junit = get("junit");
  opts.html = get("html");
  for (const auto& [name, target] :
       {std::make_pair("atol", &opts.atol), std::make_pair("rtol", &opts.rtol),
        std::make_pair("min-sqnr-db", &opts.min_sqnr_db),
        std::make_pair("min-cosine", &opts.min_cosine),
        std::make_pair("max-mismatch", &opts.max_mismatch)}) {
    if (!flags.count(name)) continue;
    double v = 0;
    if (!absl::SimpleAtod(flags[name], &v) || !(v == v)) {
      return Usage(absl::StrCat("--", name, " \"", flags[name], "\" is not a number"));
    }
    *target = v;
  }
  const std::string color = get("color").empty() ? "auto" : get("color");
  if (color != "auto" && color != "always" && color != "never") {
    return Usage(absl::StrCat("--color \"", color, "\": expected auto, always or never"));
  }
  opts.color = color == "always" || (color == "auto" && ::isatty(1));

  absl::StatusOr<bool> passed = tp::verify::RunVerify(opts, std::cout);
  if (!passed.ok()) {
    std::cerr << "verify: " << passed.status().message() << "\n";
    if (passed.status().code() == absl::StatusCode::kFailedPrecondition) {
      std::cerr << kUsage;
    }
    return 2;
  }
  return *passed ? 0 : 1;
}
