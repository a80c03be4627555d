// Layer-by-layer comparison of a candidate dump with a reference dump (and, in weights mode, of
// converted tensors with their sources): the core of `verify`.
//
// Layers are walked in the reference's execution order. Each candidate name is first mapped to a
// reference name (NameMapping), its tensor permuted by a layout rule if one matches, and then
// compared with CompareTensors under the layer's Tolerance. A failing layer gets a hint
// (ExplainDifference). The first failing layer in execution order is the first divergence; the
// last passing layer before it is where the outputs still agreed.
//
// Example:
//   ASSIGN_OR_RETURN(Checkpoint ref, LoadDump("ref.npz"));
//   ASSIGN_OR_RETURN(Checkpoint cand, LoadDump("port.npz"));
//   LayerDiffOptions opts;
//   ASSIGN_OR_RETURN(Report report, DiffDumps(ref, cand, opts));
//   std::cout << FormatTerminal(report, /*color=*/false);
#ifndef TENSORPORT_VERIFY_LAYER_DIFF_H_
#define TENSORPORT_VERIFY_LAYER_DIFF_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/checkpoint.h"
#include "verify/audio.h"
#include "verify/dump.h"
#include "verify/metrics.h"

namespace tp {
namespace verify {

// kExcused: a reference layer that was not compared, for a stated reason that does not fail the
// run (folded into another layer by the exporter; named by --excuse; under --min-coverage).
enum class LayerStatus { kPass, kFail, kMissing, kExtra, kShapeMismatch, kSkipped, kExcused };
// "pass", "fail", "missing", "extra", "shape-mismatch", "skipped", "excused".
const char* LayerStatusName(LayerStatus s);

// A small grayscale rendering of a 2-D layer (rows x cols, downsampled to at most 64 x 64).
struct LayerImage {
  int rows = 0, cols = 0;
  std::vector<float> ref, cand;
};

// Audio-like layers (a long last axis over at most two rows) as the HTML report draws them:
// the waveform as min/max per column and log-magnitude spectrograms, of reference and candidate.
struct AudioView {
  std::vector<float> ref_min, ref_max, cand_min, cand_max;  // waveform columns (first row)
  int spec_frames = 0, spec_bins = 0;
  std::vector<float> ref_spec, cand_spec;  // log10 |STFT|, frames x bins, row-major
};

struct LayerResult {
  std::string name;       // reference name (candidate name for extra layers)
  std::string candidate;  // candidate name it was matched with
  LayerStatus status = LayerStatus::kPass;
  Shape ref_shape, cand_shape;
  std::string ref_dtype, cand_dtype;
  bool has_metrics = false;
  LayerMetrics metrics;
  Tolerance tolerance;
  std::string reason;                // why it failed (or why it was excused)
  std::string hint;                  // what the data suggest
  std::string note;                  // how it was matched, when not simply by name and shape
  bool blocking = false;             // counts against the verdict (set by Summarize)
  std::vector<std::string> health;   // candidate health problems
  std::optional<SpectralMetrics> spectral;
  std::optional<LayerImage> image;
  std::optional<AudioView> audio;
  std::string inputs;   // model mode: the layers feeding this one and their status
  std::string weights;  // mode 3: converted tensors bound into this layer's parameters
};

// A long last axis (>= 256 samples) over at most two rows: a waveform.
bool AudioLike(const Shape& shape);

// A converted tensor whose values a common porting mistake explains (verify/weight_diagnosis.h).
struct WeightFinding {
  std::string tensor;     // the converted tensor
  std::string mistake;    // "permuted", "gate-order", ... (WeightMistakeName)
  std::string diagnosis;  // the mistake and its evidence, one sentence
};

struct Report {
  std::string mode;  // "layer-diff" or "weights"
  std::string reference, candidate;
  std::vector<LayerResult> layers;
  bool passed = true;
  int first_divergence = -1;  // index into layers
  int last_match = -1;        // last passing layer before the first divergence
  int passed_count = 0, failed_count = 0, missing_count = 0, extra_count = 0;
  int excused_count = 0;
  // Reference layers (not extra, not skipped): compared = passed + failed; the rest are excused
  // or missing. PASS needs every reference layer compared or excused.
  int reference_count = 0;
  std::string coverage_problem;  // set when the coverage rule failed the run
  // Health at a glance (filled by Summarize): where NaN/Inf first appears, a constant output,
  // values far outside the reference's range; one phrase each, naming the layer.
  std::vector<std::string> health;
  // Other reasons the run fails besides its layers (converted tensors not exercised, ...).
  std::vector<std::string> problems;
  // Weights mode and mode 3: converted tensors explained by a named porting mistake.
  std::vector<WeightFinding> weight_diagnoses;
};

struct LayerDiffOptions {
  ToleranceSet tolerances;
  NameMapping mapping;
  // Missing and extra layers fail the run (weights mode: every tensor must be accounted for).
  // Without it, extra candidate layers are reported and missing ones still fail unless excused.
  bool strict_names = false;
  bool images = false;  // keep LayerImage for 2-D layers (the HTML report)
  // Coverage: reference layers matching one of these RE2 patterns (whole name) may be missing.
  std::vector<std::string> excuse_patterns;
  // Coverage: when set, missing reference layers are excused as long as at least this fraction
  // of the reference layers was compared (a port that dumps only some layers).
  std::optional<double> min_coverage;
};

// Compares two dumps; errors only for unusable input (no layer in common, bad tensors).
absl::StatusOr<Report> DiffDumps(const Checkpoint& reference, const Checkpoint& candidate,
                                 const LayerDiffOptions& options);

// Shape check, metrics, verdict, health, hint and (audio) spectral metrics of one pair. The
// mapping's layout rule for `layout_name` (default: result.name) brings the candidate into the
// reference layout.
absl::Status CompareLayer(const Tensor& ref, const Tensor& cand, const LayerDiffOptions& options,
                          LayerResult& result, const std::string& layout_name = "");

// The health problems users report first, in execution order (see Report::health).
std::vector<std::string> HealthAtAGlance(const Report& report);

// Applies the coverage rules, then fills passed, counts, blocking, first_divergence and
// last_match from the layers.
absl::Status Summarize(Report& report, const LayerDiffOptions& options);

}  // namespace verify
}  // namespace tp

#endif  // TENSORPORT_VERIFY_LAYER_DIFF_H_
