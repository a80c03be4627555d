// Per-layer comparison of a reference tensor x with a candidate tensor y.
//
// CompareTensors makes one streaming pass over both tensors in chunks, widening each chunk to
// double, so a layer that lives in a memory-mapped dump is never copied whole. It yields the error
// metrics (max/mean abs, RMSE, max relative error, cosine, SQNR, NMSE, mismatch fraction against
// atol + rtol * max(|x|, RMS(x))), NaN/Inf counts and summary statistics of both sides. The band
// is floored at the reference's RMS so that it does not depend on the tensor's scale: float32
// rounding is relative to the magnitudes summed, not to each output element, and elements near
// zero of a large tensor carry errors of the tensor's scale (a second pass over a layer counts
// against this band, only when the first pass found elements outside atol + rtol * |x|).
// Judge() turns metrics and a Tolerance into a verdict with the reason; HealthCheck() looks at
// one tensor alone (NaN, Inf, constant, values out of a declared range).
//
// Defaults (numbers from tests/verify_calibrate_tolerances.py and, on realistic-size HiFi-GAN,
// DiT, BiLSTM and SEANet models, tests/verify_calibrate_large.py): the same model in float32
// against float64, or float32 with other op orders, gives SQNR >= 123.5 dB at every depth and
// max |x - y| <= 3.3e-6 RMS(x); exact GELU swapped for its tanh approximation gives 73.6-93.5 dB
// (depending on the MLP's pre-activation scale, RMS 0.6-9) at the first divergent layer. The
// default gate is therefore SQNR >= 100 dB, cosine >= 1 - 1e-6 and at most 0.1% of elements
// outside atol 1e-4 + rtol 1e-3 * max(|x|, RMS); relative gates are skipped when the reference's
// RMS is itself below atol (an all-but-zero tensor is judged by the absolute band alone).
//
// Example:
//   ASSIGN_OR_RETURN(LayerMetrics m, CompareTensors(ref, cand, Tolerance{}));
//   Verdict v = Judge(m, Tolerance{});
//   if (!v.pass) std::cout << v.reason << "\n";
#ifndef TENSORPORT_VERIFY_METRICS_H_
#define TENSORPORT_VERIFY_METRICS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/tensor.h"

namespace tp {
namespace verify {

// Denominator guard of the relative error |x - y| / (|x| + kRelEps).
inline constexpr double kRelEps = 1e-8;

struct Tolerance {
  double atol = 1e-4;
  double rtol = 1e-3;
  double min_cosine = 1 - 1e-6;
  double min_sqnr_db = 100.0;
  double max_mismatch_fraction = 1e-3;
  bool audio = false;
  bool spectrogram = false;
  std::optional<double> range_min, range_max;
  bool skip = false;
  bool allow_constant = false;
};

// Statistics of one side over its finite elements.
struct SideStats {
  int64_t finite = 0;
  int64_t nan = 0;
  int64_t inf = 0;
  double mean = 0, std = 0, min = 0, max = 0;
};

struct LayerMetrics {
  int64_t elements = 0;   // total element count
  int64_t compared = 0;   // positions where both sides are finite
  double max_abs = 0;     // max |x - y|
  double mean_abs = 0;    // mean |x - y|
  double rmse = 0;        // sqrt(mean (x - y)^2)
  double max_rel = 0;     // max |x - y| / (|x| + kRelEps)
  double cosine = 1;      // <x, y> / (||x|| ||y||); 1 when both are zero, 0 when one is
  double sqnr_db = 0;     // 20 log10(||x|| / ||x - y||); +inf when equal
  double nmse = 0;        // ||x - y||^2 / ||x||^2
  double ref_rms = 0;     // ||x|| / sqrt(compared)
  int64_t mismatches = 0;  // |x - y| > atol + rtol max(|x|, ref_rms), plus non-finite disagreements
  double mismatch_fraction = 0;    // mismatches / elements
  int64_t nonfinite_mismatches = 0;  // NaN/Inf in one side where the other differs
  SideStats ref, cand;
};

// Compares element-wise in row-major order; both tensors must hold the same number of elements
// (the caller checks shapes). Any dtype the core can widen to double is accepted, in any storage:
// both tensors are read a block at a time with TensorBlockReader (views into mapped files by
// pread, deflated .npz entries inflated as they go), so memory stays at one block per side
// whatever the layer's size.
absl::StatusOr<LayerMetrics> CompareTensors(const Tensor& ref, const Tensor& cand, double atol,
                                            double rtol);

// The same metrics over two double arrays (the streaming kernel; exposed for tests and hints).
LayerMetrics CompareArrays(const double* x, const double* y, int64_t n, double atol, double rtol);

struct Verdict {
  bool pass = true;
  std::string reason;  // empty on pass: "SQNR 73.1 dB < 100 dB", "3 NaN in candidate", ...
};

// Verdict from the metrics and the layer's tolerance (range checks need HealthCheck as well).
Verdict Judge(const LayerMetrics& m, const Tolerance& tol);

// Reference-free checks on one tensor's statistics; each problem is one short phrase.
std::vector<std::string> HealthCheck(const SideStats& s, const Tolerance& tol);

}  // namespace verify
}  // namespace tp

#endif  // TENSORPORT_VERIFY_METRICS_H_
