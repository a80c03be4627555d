// inspect FILE [--stats] [--json] [--format ID] [--select KEY]
// Lists the tensors and metadata of a checkpoint or dump. Exit 0 on success, 2 on bad input.
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "core/cli_flags.h"
#include "formats/zip/zip.h"
#include "tools/inspect.h"

ABSL_FLAG(bool, stats, false, "add min, max, mean, std, NaN and Inf counts per tensor");
ABSL_FLAG(bool, json, false, "write JSON instead of a table");
ABSL_FLAG(bool, all, false, "list every tensor (the table stops at 40 otherwise)");
ABSL_FLAG(std::string, format, "", "read as this format id instead of detecting it");
ABSL_FLAG(std::string, select, "", "dotted key of a sub-tree to keep (e.g. model, state_dict)");

ABSL_FLAG(double, max_inflate_ratio, tp::kDefaultMaxInflateRatio,
          "refuse compressed (.npz) entries that declare more inflated bytes per compressed byte "
          "than this (default: deflate's own limit, 1032)");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "inspect FILE [--stats] [--json] [--all] [--format ID] [--select KEY]\n"
      "Lists the tensors (name, dtype, shape, bytes) and metadata of a checkpoint or dump.");
  absl::StatusOr<std::vector<std::string>> prepared = tp::PrepareFlags(argc, argv);
  if (!prepared.ok()) {
    std::cerr << "inspect: " << prepared.status().message() << "\n";
    return 2;
  }
  std::vector<char*> argv2 = tp::ArgvPointers(*prepared);
  std::vector<char*> args = absl::ParseCommandLine(static_cast<int>(argv2.size()), argv2.data());
  tp::SetDefaultMaxInflateRatio(absl::GetFlag(FLAGS_max_inflate_ratio));
  if (args.size() != 2) {
    std::cerr << "inspect: expected exactly one FILE argument, got " << args.size() - 1
              << " (see --help)\n";
    return 2;
  }
  tp::InspectOptions options;
  options.stats = absl::GetFlag(FLAGS_stats);
  options.json = absl::GetFlag(FLAGS_json);
  options.all = absl::GetFlag(FLAGS_all);
  options.format = absl::GetFlag(FLAGS_format);
  options.select = absl::GetFlag(FLAGS_select);
  absl::Status status = tp::Inspect(tp::ResolveUserPath(args[1]), options, std::cout);
  if (!status.ok()) {
    // Exactly one line, whatever bytes a malformed file put into the message.
    std::string line(status.message());
    for (char& c : line) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    std::cerr << "inspect: " << line << "\n";
    return 2;
  }
  return 0;
}
