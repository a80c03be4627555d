// Renderings of a verify Report: terminal text, JSON, JUnit XML and a self-contained HTML page.
//
// Terminal: one line per layer in execution order (name, shape, max abs, cosine, SQNR, verdict),
// failures in red when `color`, then the first divergence with the last matching layer and the
// hint, the weight diagnoses, and a summary line. JSON: {"passed", "first_divergence",
// "last_match", "summary", "problems", "weight_diagnoses": [{"tensor", "mistake", "diagnosis"}],
// "layers": [{"name", "status", "shape", "max_abs", "mean_abs", "rmse", "max_rel", "cosine",
// "sqnr_db", "mismatch_fraction", "nan", "inf", "hint", ...}]}; non-finite numbers are written as
// the strings "inf", "-inf", "nan". JUnit: one testcase per layer. HTML: an inline SVG plot of
// the error per layer (log scale) and, for 2-D layers, reference / candidate / difference images.
// Files are written atomically (core/output_file.h).
//
// Example:
//   std::cout << FormatTerminal(report, isatty(1));
//   RETURN_IF_ERROR(WriteJsonReport(report, "report.json"));
#ifndef TENSORPORT_VERIFY_REPORT_H_
#define TENSORPORT_VERIFY_REPORT_H_

#include <string>

#include "absl/status/status.h"
#include "verify/layer_diff.h"

namespace tp {
namespace verify {

// `all`: every layer; otherwise the rows up to the first divergence and a few after it, long runs
// of passing rows shown by their ends, and one line for the rest.
std::string FormatTerminal(const Report& report, bool color, bool all = false);
std::string ReportJson(const Report& report);
std::string ReportJunit(const Report& report);
// Self-contained HTML: health, the first divergence with its inputs and weights, the error-per-
// layer plot (first divergence marked), heat maps (PNG) and, for audio-like layers, log-magnitude
// spectrograms and waveform overlays of the layers around the first divergence (every layer with
// `all_images`), the module tree (collapsible, open down to the first divergence) and every layer
// in a table.
std::string ReportHtml(const Report& report, bool all_images = false);

absl::Status WriteJsonReport(const Report& report, const std::string& path);
absl::Status WriteJunitReport(const Report& report, const std::string& path);
absl::Status WriteHtmlReport(const Report& report, const std::string& path,
                             bool all_images = false);

}  // namespace verify
}  // namespace tp

#endif  // TENSORPORT_VERIFY_REPORT_H_
