// The `convert` command as a library: read a checkpoint, plan it under a schema (or none), print
// the report, and stream the outputs into the target format.
//
// Everything is decided before the output is opened (names, shapes, dtypes, metadata, every error
// the schema can raise); then one output tensor at a time is produced from the mapped input and
// handed to the format's streaming writer, which writes atomically (no partial OUT on error).
//
// Example:
//   ConvertOptions o;
//   o.input = "g_02500000";
//   o.output = "hifigan.gguf";
//   o.preset = "hifigan";
//   o.select = "generator";
//   o.engine.out_type = OutType::kF16;
//   RETURN_IF_ERROR(RunConvert(o, std::cout));
#ifndef TENSORPORT_CONVERT_CONVERTER_H_
#define TENSORPORT_CONVERT_CONVERTER_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "convert/schema_engine.h"

namespace tp {

struct ConvertOptions {
  std::string input, output;
  std::string from, to;  // format ids; empty: magic bytes / output extension decide
  std::string schema_path, preset;
  std::string select;
  // out_type, conv_layout, fuse_weight_norm, allow_unmapped, arch and config_path as given;
  // RunConvert fills in the target format, the name and the config's contents.
  EngineOptions engine;
  std::string report_path;  // JSON report
  bool dry_run = false;
  bool quiet = false;  // no table on `out`
  bool all = false;    // one table row per tensor even for long plans
};

// Runs one conversion; the report table goes to `out`, progress to stderr when it is a terminal.
absl::Status RunConvert(const ConvertOptions& options, std::ostream& out);

// Report renderings (exposed for tests).
// One row per output tensor; a plan of more than 40 outputs is summarized by kind of treatment
// unless `all`.
std::string ReportTable(const ConversionPlan& plan, bool all = false);
std::string ReportJson(const ConversionPlan& plan, const ConvertOptions& options,
                       const std::string& from, const std::string& to);

}  // namespace tp

#endif  // TENSORPORT_CONVERT_CONVERTER_H_
