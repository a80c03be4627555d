// Mode 0 of `verify` with a conversion schema: every converted tensor is recomputed from the
// source checkpoint by the conversion engine (convert/schema_engine.h: Plan + Produce, so weight
// norm is fused, layouts permuted and dtypes cast exactly as `convert` did) and compared with it,
// and every source tensor must be accounted for.
//
// The engine options a conversion used (--out-type, --conv-layout, --fuse-weight-norm) are taken
// from the options when given; the ones left open are inferred by planning every combination and
// keeping the plan whose outputs match the most converted tensors by name, shape and dtype.
//
// Per tensor, the converted tensor must equal the planned output after the same cast, element by
// element within one unit in the last place of the converted dtype (q8_0: one quantization step
// of the block, plus the f16 rounding of its scale); with `exact` false the usual metric gate of
// the layer's Tolerance decides instead. The error the cast itself introduced (the planned output
// before the --out-type cast against the converted tensor) is reported separately, per tensor in
// the layer's hint and summed up per cast in `notes`.
//
// Failures: a planned tensor missing from the converted file (missing), a converted tensor no
// planned output explains (extra), a source tensor the schema neither maps nor drops (unmapped,
// unless allow_unmapped), a dtype or shape other than planned, values outside the band.
//
// Example:
//   WeightsModeOptions w;
//   w.converted = "vocoder.gguf";
//   w.source = "checkpoint.pt";
//   w.schema = "hifigan";
//   LayerDiffOptions d;
//   ASSIGN_OR_RETURN(WeightsResult r, VerifyWeights(w, d));
//   for (const std::string& n : r.notes) std::cout << n << "\n";
//   std::cout << FormatTerminal(r.report, false);
#ifndef TENSORPORT_VERIFY_WEIGHTS_MODE_H_
#define TENSORPORT_VERIFY_WEIGHTS_MODE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "convert/options.h"
#include "core/tensor.h"
#include "verify/layer_diff.h"

namespace tp {
namespace verify {

// The options a conversion was run with, as the user states them to verify; nullopt: inferred
// from the converted file.
struct ConversionGiven {
  std::string select;  // sub-tree of the source (as convert --select)
  std::optional<OutType> out_type;
  std::optional<ConvLayout> conv_layout;
  std::optional<bool> fuse_weight_norm;
  bool allow_unmapped = false;
};

struct WeightsModeOptions {
  std::string converted, source;
  std::string schema;  // a preset name or a schema textproto file (required)
  ConversionGiven given;
  // true: converted == planned within 1 ulp of the converted dtype; false: the Tolerance gate.
  bool exact = true;
};

struct WeightsResult {
  Report report;
  // The engine options used (given or inferred) and the cast error summaries, one line each.
  std::vector<std::string> notes;
};

absl::StatusOr<WeightsResult> VerifyWeights(const WeightsModeOptions& options,
                                            const LayerDiffOptions& diff);

// Elements of `actual` farther than one ulp of `actual.dtype()` from `expected` (same shape and
// dtype; both widened to double). For q8_0 the step is the block's largest |expected| / 127.
// `detail` gets the first offending element ("index 3: 0.5 vs 0.50390625").
absl::StatusOr<int64_t> CountBeyondOneUlp(const Tensor& expected, const Tensor& actual,
                                          std::string* detail);

}  // namespace verify
}  // namespace tp

#endif  // TENSORPORT_VERIFY_WEIGHTS_MODE_H_
