// Command-line flag checks shared by the tools' main()s.
//
// Abseil's ParseCommandLine exits with status 1 on an unknown flag or a malformed value; the
// project's tools exit 2 on usage errors. PrepareFlags checks every flag against Abseil's own
// registry first (and parses its value once, so a bad value is reported the same way), and it
// accepts dashes in flag names (`--out-type` for `--out_type`).
//
// Example:
//   absl::StatusOr<std::vector<std::string>> args = tp::PrepareFlags(argc, argv);
//   if (!args.ok()) { std::cerr << "inspect: " << args.status().message() << "\n"; return 2; }
//   std::vector<char*> argv2 = tp::ArgvPointers(*args);
//   std::vector<char*> positional = absl::ParseCommandLine(argv2.size(), argv2.data());
#ifndef TENSORPORT_CORE_CLI_FLAGS_H_
#define TENSORPORT_CORE_CLI_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tp {

// The arguments with flag names normalized; InvalidArgument naming the first unknown flag or
// malformed value.
absl::StatusOr<std::vector<std::string>> PrepareFlags(int argc, char** argv);

// argv-style pointers into `args` (valid while `args` lives).
std::vector<char*> ArgvPointers(std::vector<std::string>& args);

// A usage error found below main (flags that contradict each other, a mode without its inputs):
// InvalidArgument, marked so that main can print the usage text after the message.
absl::Status UsageError(absl::string_view message);
bool IsUsageError(const absl::Status& status);

}  // namespace tp

#endif  // TENSORPORT_CORE_CLI_FLAGS_H_
