// The `verify` command as a library call: picks the mode from the options, loads the inputs,
// runs the comparison and writes the requested reports.
//
// Modes: --layer-diff with --reference/--candidate (dump vs dump); --weights with --source
// (converted weights vs their source, every tensor accounted for); --model with --inputs and
// --reference (run the ONNX export on the project's runtime and compare every module's output,
// verify/model_mode.h), optionally with --weights/--source/--schema (the converted weights bound
// into the graph first, verify/weight_binding.h) and --isolate.
//
// Example:
//   VerifyOptions o;
//   o.layer_diff = true;
//   o.reference = "ref.npz";
//   o.candidate = "port.npz";
//   ASSIGN_OR_RETURN(bool passed, RunVerify(o, std::cout));
#ifndef TENSORPORT_VERIFY_VERIFY_H_
#define TENSORPORT_VERIFY_VERIFY_H_

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "verify/weights_mode.h"

namespace tp {
namespace verify {

struct VerifyOptions {
  bool layer_diff = false;
  bool strict_names = false;
  bool isolate = false;
  bool color = false;
  std::string reference, candidate, map_file, layout_file, tolerance_file;
  std::string weights, source, schema, model, inputs, device;
  std::string json, junit, html;
  std::optional<double> atol, rtol, min_sqnr_db, min_cosine, max_mismatch;
  // Weights mode with --schema (verify/weights_mode.h) and model mode's --source: the
  // conversion's options; nullopt are inferred from the converted file.
  ConversionGiven conversion;
  // Coverage (what PASS needs besides every compared layer passing).
  std::vector<std::string> excuse;         // reference layers that may be missing (RE2)
  std::optional<double> min_coverage;      // missing layers excused above this fraction
  bool allow_unexercised = false;          // mode 3: converted tensors the graph does not read
  bool verbose = false;                    // list every bound parameter
  bool all = false;                        // every layer in the terminal table
  // Dump vs dump: align the candidate's entries to the reference's by order and shape (always
  // with `align`; automatically when the names mostly differ unless `no_align`).
  bool align = false, no_align = false;
  std::string write_map;                   // write the alignment as a --map file
  bool html_all_images = false;            // heat maps for every 2-D layer, not just around the
                                           // first divergence
};

// True when every layer passed; an error status for usage (FailedPrecondition) or input errors.
absl::StatusOr<bool> RunVerify(const VerifyOptions& options, std::ostream& out);

}  // namespace verify
}  // namespace tp

#endif  // TENSORPORT_VERIFY_VERIFY_H_
