#include "core/cli_flags.h"

#include <algorithm>
#include <optional>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tp {
namespace {

// Abseil's usage flags are handled by ParseCommandLine itself.
bool IsUsageFlag(const std::string& name) {
  for (const char* k : {"help", "helpfull", "helpshort", "helppackage", "version",
                        "only_check_args", "flagfile", "fromenv", "tryfromenv", "undefok"}) {
    if (name == k) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> PrepareFlags(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  for (size_t i = 1; i < args.size(); ++i) {
    std::string& a = args[i];
    if (a == "--") break;
    if (a.size() < 2 || a[0] != '-' || a == "-") continue;  // positional (or stdin "-")
    const size_t dashes = a[1] == '-' ? 2 : 1;
    const size_t eq = a.find('=');
    std::string name = a.substr(dashes, eq == std::string::npos ? std::string::npos : eq - dashes);
    std::replace(name.begin(), name.end(), '-', '_');
    const bool has_value = eq != std::string::npos;
    a = absl::StrCat("--", name, has_value ? a.substr(eq) : "");
    if (IsUsageFlag(name)) continue;

    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr && absl::StartsWith(name, "no")) {
      absl::CommandLineFlag* negated = absl::FindCommandLineFlag(name.substr(2));
      if (negated != nullptr && negated->IsOfType<bool>() && !has_value) continue;
    }
    if (flag == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name, " (see --help)"));
    }
    std::string value;
    if (has_value) {
      value = a.substr(a.find('=') + 1);
    } else if (flag->IsOfType<bool>()) {
      continue;  // --flag alone sets a bool
    } else if (flag->IsOfType<std::optional<bool>>()) {
      a = absl::StrCat("--", name, "=true");  // --flag alone sets an optional bool too
      value = "true";
    } else if (i + 1 < args.size()) {
      value = args[i + 1];  // --flag VALUE
    } else {
      return absl::InvalidArgumentError(absl::StrCat("flag --", name, " needs a value"));
    }
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat("flag --", name, ": \"", value, "\" is not valid: ", error));
    }
  }
  return args;
}

namespace {
constexpr char kUsagePayload[] = "tensorport/usage";
}  // namespace

absl::Status UsageError(absl::string_view message) {
  absl::Status s = absl::InvalidArgumentError(message);
  s.SetPayload(kUsagePayload, absl::Cord("1"));
  return s;
}

bool IsUsageError(const absl::Status& status) {
  return status.GetPayload(kUsagePayload).has_value();
}

std::vector<char*> ArgvPointers(std::vector<std::string>& args) {
  std::vector<char*> out;
  out.reserve(args.size());
  for (std::string& a : args) out.push_back(a.data());
  return out;
}

}  // namespace tp
