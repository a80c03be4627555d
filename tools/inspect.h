// `inspect`: what a checkpoint or dump file holds.
//
// Detects the format by magic bytes (not the extension), then lists every tensor (name, dtype,
// shape, bytes), optionally with statistics, the metadata, and any warnings the reader raised
// (for example a pickle naming os.system). Output as an aligned table or JSON.
//
// Example:
//   InspectOptions options;
//   options.stats = true;
//   RETURN_IF_ERROR(Inspect("model.pth", options, std::cout));
#ifndef TENSORPORT_TOOLS_INSPECT_H_
#define TENSORPORT_TOOLS_INSPECT_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"

namespace tp {

struct InspectOptions {
  bool stats = false;
  bool json = false;
  std::string format;  // force a format id instead of detecting it
  std::string select;  // dotted sub-tree (PyTorch containers)
  // The table lists at most kTableRows tensors (the first ones, then a line with the rest's
  // count and bytes) unless `all`; --json always lists every tensor.
  bool all = false;
};
inline constexpr size_t kTableRows = 40;

absl::Status Inspect(const std::string& path, const InspectOptions& options, std::ostream& out);

// Resolves a user-given path against the directory `bazel run` was started from.
std::string ResolveUserPath(const std::string& path);

}  // namespace tp

#endif  // TENSORPORT_TOOLS_INSPECT_H_
