#include "verify/layer_diff.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstring>
#include <map>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/progress.h"
#include "core/status_macros.h"
#include "core/tensor_ops.h"
#include "re2/re2.h"
#include "verify/hints.h"

namespace tp {
namespace verify {
namespace {

// Permutes a tensor (np.transpose semantics) into an owned f64 tensor.
absl::StatusOr<Tensor> Permute(const Tensor& t, const std::vector<int>& perm,
                               const std::string& name) {
  if (static_cast<int>(perm.size()) != t.rank()) {
    return absl::InvalidArgumentError(absl::StrCat("layer \"", name, "\": layout rule has ",
                                                   perm.size(), " axes, the candidate tensor ",
                                                   ShapeToString(t.shape()), " has ", t.rank()));
  }
  ASSIGN_OR_RETURN(std::vector<double> v, ToDoubleVector(t));
  std::vector<double> p = TransposeArray(v, t.shape(), perm);
  Shape shape(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) shape[i] = t.shape()[perm[i]];
  Tensor out = Tensor::Zeros(DType::kF64, shape);
  std::copy(p.begin(), p.end(), out.mutable_data_as<double>());
  return out;
}

// The two trailing non-unit axes of a tensor whose other axes are all 1 (a 2-D layer).
bool TwoD(const Shape& s, int64_t* rows, int64_t* cols) {
  std::vector<int64_t> big;
  for (int64_t d : s) {
    if (d != 1) big.push_back(d);
  }
  if (big.size() != 2 || big[0] < 2 || big[1] < 2) return false;
  *rows = big[0];
  *cols = big[1];
  return true;
}

LayerImage MakeImage(const std::vector<double>& x, const std::vector<double>& y, int64_t rows,
                     int64_t cols) {
  LayerImage img;
  img.rows = static_cast<int>(std::min<int64_t>(rows, 64));
  img.cols = static_cast<int>(std::min<int64_t>(cols, 64));
  img.ref.resize(img.rows * img.cols);
  img.cand.resize(img.rows * img.cols);
  for (int r = 0; r < img.rows; ++r) {
    for (int c = 0; c < img.cols; ++c) {
      const int64_t sr = r * rows / img.rows, sc = c * cols / img.cols;
      img.ref[r * img.cols + c] = static_cast<float>(x[sr * cols + sc]);
      img.cand[r * img.cols + c] = static_cast<float>(y[sr * cols + sc]);
    }
  }
  return img;
}

// Waveform columns and spectrograms of the first row (time samples).
AudioView MakeAudioView(const std::vector<double>& x, const std::vector<double>& y, int64_t time) {
  AudioView v;
  constexpr int kColumns = 600;
  const int64_t cols = std::min<int64_t>(kColumns, time);
  for (int64_t c = 0; c < cols; ++c) {
    const int64_t b = c * time / cols, e = std::max(b + 1, (c + 1) * time / cols);
    float rmin = 1e30f, rmax = -1e30f, cmin = 1e30f, cmax = -1e30f;
    for (int64_t i = b; i < e; ++i) {
      rmin = std::min(rmin, static_cast<float>(x[i]));
      rmax = std::max(rmax, static_cast<float>(x[i]));
      cmin = std::min(cmin, static_cast<float>(y[i]));
      cmax = std::max(cmax, static_cast<float>(y[i]));
    }
    v.ref_min.push_back(rmin);
    v.ref_max.push_back(rmax);
    v.cand_min.push_back(cmin);
    v.cand_max.push_back(cmax);
  }
  // Log-magnitude STFT: Hann window, n_fft 256 (or the largest power of two that fits), at most
  // 160 frames evenly spread over the signal.
  int n_fft = 256;
  while (n_fft > 16 && n_fft > time) n_fft /= 2;
  if (time < n_fft) return v;
  const int64_t frames = std::min<int64_t>(160, (time - n_fft) / (n_fft / 4) + 1);
  v.spec_frames = static_cast<int>(frames);
  v.spec_bins = n_fft / 2 + 1;
  auto spec = [&](const std::vector<double>& s, std::vector<float>& out) {
    std::vector<std::complex<double>> buf(n_fft);
    for (int64_t f = 0; f < frames; ++f) {
      const int64_t start = frames > 1 ? f * (time - n_fft) / (frames - 1) : 0;
      for (int k = 0; k < n_fft; ++k) {
        const double w = 0.5 - 0.5 * std::cos(2 * M_PI * k / n_fft);
        buf[k] = {s[start + k] * w, 0.0};
      }
      Fft(buf);
      for (int b = 0; b < v.spec_bins; ++b) {
        out.push_back(static_cast<float>(std::log10(std::max(std::abs(buf[b]), 1e-7))));
      }
    }
  };
  spec(x, v.ref_spec);
  spec(y, v.cand_spec);
  return v;
}

}  // namespace

bool AudioLike(const Shape& shape) {
  if (shape.empty()) return false;
  int64_t rows = 1;
  for (size_t i = 0; i + 1 < shape.size(); ++i) rows *= shape[i];
  return rows <= 2 && shape.back() >= 256;
}

const char* LayerStatusName(LayerStatus s) {
  switch (s) {
    case LayerStatus::kPass:
      return "pass";
    case LayerStatus::kFail:
      return "fail";
    case LayerStatus::kMissing:
      return "missing";
    case LayerStatus::kExtra:
      return "extra";
    case LayerStatus::kShapeMismatch:
      return "shape-mismatch";
    case LayerStatus::kSkipped:
      return "skipped";
    case LayerStatus::kExcused:
      return "excused";
  }
  return "?";
}

absl::Status CompareLayer(const Tensor& ref_in, const Tensor& cand_in,
                          const LayerDiffOptions& options, LayerResult& r,
                          const std::string& layout_name) {
  r.tolerance = options.tolerances.For(r.name);
  const Tolerance& tol = r.tolerance;
  r.ref_shape = ref_in.shape();
  r.cand_shape = cand_in.shape();
  r.ref_dtype = std::string(DTypeName(ref_in.dtype()));
  r.cand_dtype = std::string(DTypeName(cand_in.dtype()));
  if (tol.skip) {
    r.status = LayerStatus::kSkipped;
    return absl::OkStatus();
  }
  Tensor cand = cand_in;
  if (std::optional<NameMapping::LayoutChange> change =
          options.mapping.LayoutFor(layout_name.empty() ? r.name : layout_name)) {
    if (!change->reshape.empty()) {
      ASSIGN_OR_RETURN(Tensor c, cand.Contiguous());
      absl::StatusOr<Tensor> reshaped = c.Reshaped(change->reshape);
      if (!reshaped.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("layer \"", r.name, "\": layout rule reshapes the candidate ",
                         ShapeToString(cand.shape()), " to ", ShapeToString(change->reshape), ": ",
                         reshaped.status().message()));
      }
      cand = *std::move(reshaped);
    }
    if (!change->perm.empty()) {
      ASSIGN_OR_RETURN(cand, Permute(cand, change->perm, r.name));
    }
  }
  if (ref_in.shape() != cand.shape()) {
    r.status = LayerStatus::kShapeMismatch;
    r.reason = absl::StrCat("candidate shape ", ShapeToString(cand.shape()), ", expected ",
                            ShapeToString(ref_in.shape()));
    r.hint = ExplainDifference(ref_in, cand, tol);
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(r.metrics, CompareTensors(ref_in, cand, tol.atol, tol.rtol));
  r.has_metrics = true;
  Verdict v = Judge(r.metrics, tol);
  r.health = HealthCheck(r.metrics.cand, tol);
  std::vector<std::string> reasons;
  if (!v.pass) reasons.push_back(v.reason);
  for (const std::string& h : r.health) {
    if (h.find("expected range") != std::string::npos) reasons.push_back("candidate " + h);
  }
  r.status = reasons.empty() ? LayerStatus::kPass : LayerStatus::kFail;
  r.reason = absl::StrJoin(reasons, "; ");
  const bool failed = r.status == LayerStatus::kFail;
  int64_t rows = 0, cols = 0;
  const bool two_d = TwoD(ref_in.shape(), &rows, &cols);
  const bool audio = tol.audio || AudioLike(ref_in.shape());
  if (failed) r.hint = ExplainDifference(ref_in, cand, tol);
  if ((audio || (options.images && two_d)) && ref_in.num_elements() <= kMaxHintElements) {
    ASSIGN_OR_RETURN(std::vector<double> x, ToDoubleVector(ref_in));
    ASSIGN_OR_RETURN(std::vector<double> y, ToDoubleVector(cand));
    if (audio && ref_in.rank() >= 1) {
      const int64_t time = ref_in.shape().back();
      const int64_t n_rows = ref_in.num_elements() / std::max<int64_t>(time, 1);
      r.spectral = CompareSpectra(x, y, n_rows, time);
      if (options.images) r.audio = MakeAudioView(x, y, time);
    }
    if (options.images && two_d && !audio) r.image = MakeImage(x, y, rows, cols);
  }
  return absl::OkStatus();
}

absl::Status Summarize(Report& report, const LayerDiffOptions& options) {
  // Coverage first: which missing layers are excused, and whether enough was compared.
  std::vector<std::unique_ptr<RE2>> excuse;
  for (const std::string& p : options.excuse_patterns) {
    excuse.push_back(std::make_unique<RE2>(absl::StrCat("^(?:", p, ")$"), RE2::Quiet));
    if (!excuse.back()->ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--excuse \"", p, "\" is not a valid RE2: ", excuse.back()->error()));
    }
  }
  int compared = 0, reference = 0;
  for (LayerResult& l : report.layers) {
    if (l.status == LayerStatus::kExtra || l.status == LayerStatus::kSkipped) continue;
    ++reference;
    if (l.status == LayerStatus::kPass || l.status == LayerStatus::kFail ||
        l.status == LayerStatus::kShapeMismatch) {
      ++compared;
    }
    if (l.status != LayerStatus::kMissing) continue;
    for (size_t k = 0; k < excuse.size(); ++k) {
      if (RE2::FullMatch(l.name, *excuse[k])) {
        l.status = LayerStatus::kExcused;
        l.reason = absl::StrCat("excused by --excuse \"", options.excuse_patterns[k], "\" (",
                                l.reason, ")");
        break;
      }
    }
  }
  report.reference_count = reference;
  report.coverage_problem.clear();
  if (options.min_coverage.has_value() && reference > 0) {
    const double coverage = static_cast<double>(compared) / reference;
    const std::string rule = absl::StrFormat(
        "%d of %d reference layers compared (%.0f%%), "
        "--min-coverage %g",
        compared, reference, 100 * coverage, *options.min_coverage);
    if (coverage + 1e-12 >= *options.min_coverage) {
      for (LayerResult& l : report.layers) {
        if (l.status != LayerStatus::kMissing) continue;
        l.status = LayerStatus::kExcused;
        l.reason = absl::StrCat("not in the candidate; excused by coverage: ", rule);
      }
    } else {
      report.coverage_problem = absl::StrCat("coverage too low: ", rule);
    }
  }

  report.passed = report.coverage_problem.empty() && report.problems.empty();
  report.first_divergence = report.last_match = -1;
  report.passed_count = report.failed_count = report.missing_count = report.extra_count = 0;
  report.excused_count = 0;
  for (size_t i = 0; i < report.layers.size(); ++i) {
    LayerResult& l = report.layers[i];
    bool bad = false;
    switch (l.status) {
      case LayerStatus::kPass:
        ++report.passed_count;
        break;
      case LayerStatus::kFail:
      case LayerStatus::kShapeMismatch:
        ++report.failed_count;
        bad = true;
        break;
      case LayerStatus::kMissing:
        ++report.missing_count;
        bad = true;
        break;
      case LayerStatus::kExtra:
        ++report.extra_count;
        bad = options.strict_names;
        break;
      case LayerStatus::kExcused:
        ++report.excused_count;
        break;
      case LayerStatus::kSkipped:
        break;
    }
    l.blocking = bad;
    if (bad) {
      report.passed = false;
      if (report.first_divergence < 0) report.first_divergence = static_cast<int>(i);
    }
    if (l.status == LayerStatus::kPass && report.first_divergence < 0) {
      report.last_match = static_cast<int>(i);
    }
  }
  if (report.first_divergence >= 0) {
    LayerResult& first = report.layers[report.first_divergence];
    if (report.last_match >= 0 && first.status != LayerStatus::kMissing &&
        first.status != LayerStatus::kExtra) {
      const std::string where =
          absl::StrCat("earlier layers match (last: ", report.layers[report.last_match].name,
                       "): the defect is in this layer");
      first.hint = first.hint.empty() ? where : absl::StrCat(first.hint, "; ", where);
    }
  }
  if (report.passed_count + report.failed_count == 0) report.passed = false;
  report.health = HealthAtAGlance(report);
  return absl::OkStatus();
}

std::vector<std::string> HealthAtAGlance(const Report& report) {
  std::vector<std::string> out;
  bool nan = false, constant = false, range = false;
  for (const LayerResult& l : report.layers) {
    if (!l.has_metrics) continue;
    const SideStats& x = l.metrics.ref;
    const SideStats& y = l.metrics.cand;
    if (!nan && (y.nan > x.nan || y.inf > x.inf)) {
      nan = true;
      out.push_back(absl::StrCat("NaN/Inf first appears at \"", l.name, "\" (", y.nan, " NaN, ",
                                 y.inf, " Inf; the reference has ", x.nan + x.inf, ")"));
    }
    if (!constant && x.std > 0 && y.finite > 1 && y.std <= 1e-3 * x.std) {
      constant = true;
      out.push_back(
          absl::StrFormat("constant output from \"%s\" on: std %.3g against the "
                          "reference's %.3g",
                          l.name, y.std, x.std));
    }
    const double span = x.max - x.min;
    if (!range && span > 0 && y.finite > 0 &&
        (y.min < x.min - 0.1 * span || y.max > x.max + 0.1 * span)) {
      range = true;
      out.push_back(
          absl::StrFormat("values out of the reference's range from \"%s\" on: "
                          "[%.4g, %.4g] against [%.4g, %.4g]",
                          l.name, y.min, y.max, x.min, x.max));
    }
  }
  return out;
}

// A module that only wraps another (a norm wrapper, an attention block ending in its projection)
// dumps the same tensor twice; a port dumps it once. A missing reference layer whose values are
// byte for byte those of a compared layer a few entries away is compared with that layer's
// candidate: the same comparison, said so in the layer's note.
absl::Status CompareThroughIdenticalNeighbours(const Checkpoint& reference,
                                               const Checkpoint& candidate,
                                               const LayerDiffOptions& options, Report& report) {
  constexpr int kWindow = 4;
  const int n = static_cast<int>(reference.tensors.size());
  // report.layers starts with the reference layers in order.
  std::vector<bool> stand_in(n, false);
  auto compared = [&](int k) {
    const LayerStatus s = report.layers[k].status;
    return (s == LayerStatus::kPass || s == LayerStatus::kFail) && !stand_in[k];
  };
  absl::flat_hash_map<std::string, int> cand_index;
  for (size_t i = 0; i < candidate.tensors.size(); ++i) cand_index[candidate.tensors[i].name] = i;
  for (int i = 0; i < n; ++i) {
    LayerResult& r = report.layers[i];
    if (r.status != LayerStatus::kMissing) continue;
    for (int d = 1; d <= kWindow; ++d) {
      int found = -1;
      for (int k : {i - d, i + d}) {
        if (k < 0 || k >= n || !compared(k)) continue;
        ASSIGN_OR_RETURN(bool same,
                         SameValues(reference.tensors[i].tensor, reference.tensors[k].tensor));
        if (same) {
          found = k;
          break;
        }
      }
      if (found < 0) continue;
      const std::string cand_name = report.layers[found].candidate;
      LayerResult c;
      c.name = r.name;
      c.candidate = cand_name;
      // The candidate is in the layout of the layer it was dumped for.
      RETURN_IF_ERROR(CompareLayer(reference.tensors[i].tensor,
                                   candidate.tensors[cand_index.at(cand_name)].tensor, options, c,
                                   reference.tensors[found].name));
      if (!c.note.empty()) c.note += "; ";
      c.note += absl::StrCat("the reference's values are byte for byte those of \"",
                             reference.tensors[found].name, "\"; compared with its candidate");
      r = std::move(c);
      stand_in[i] = true;
      break;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Report> DiffDumps(const Checkpoint& reference, const Checkpoint& candidate,
                                 const LayerDiffOptions& options) {
  Report report;
  report.mode = "layer-diff";
  absl::flat_hash_map<std::string, size_t> by_ref_name;
  std::vector<bool> used(candidate.tensors.size(), false);
  for (size_t i = 0; i < candidate.tensors.size(); ++i) {
    const std::string mapped = options.mapping.MapName(candidate.tensors[i].name);
    if (!by_ref_name.emplace(mapped, i).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("candidate: layers \"", candidate.tensors[by_ref_name[mapped]].name,
                       "\" and \"", candidate.tensors[i].name, "\" both map to \"", mapped,
                       "\"; expected one candidate per reference layer"));
    }
  }
  int64_t total = 0;
  for (const NamedTensor& ref : reference.tensors) total += ref.tensor.nbytes();
  Progress progress("verify", total, Progress::Unit::kBytes);
  for (const NamedTensor& ref : reference.tensors) {
    progress.Add(ref.tensor.nbytes());
    LayerResult r;
    r.name = ref.name;
    auto it = by_ref_name.find(ref.name);
    if (it == by_ref_name.end()) {
      r.status = LayerStatus::kMissing;
      r.ref_shape = ref.tensor.shape();
      r.ref_dtype = std::string(DTypeName(ref.tensor.dtype()));
      r.reason = "no candidate layer maps to this name";
      report.layers.push_back(std::move(r));
      continue;
    }
    used[it->second] = true;
    const NamedTensor& cand = candidate.tensors[it->second];
    r.candidate = cand.name;
    RETURN_IF_ERROR_CONTEXT(CompareLayer(ref.tensor, cand.tensor, options, r),
                            absl::StrCat("layer \"", ref.name, "\""));
    report.layers.push_back(std::move(r));
  }
  for (size_t i = 0; i < candidate.tensors.size(); ++i) {
    if (used[i]) continue;
    LayerResult r;
    r.name = r.candidate = candidate.tensors[i].name;
    r.status = LayerStatus::kExtra;
    r.cand_shape = candidate.tensors[i].tensor.shape();
    r.cand_dtype = std::string(DTypeName(candidate.tensors[i].tensor.dtype()));
    const std::string mapped = options.mapping.MapName(r.name);
    r.reason = mapped == r.name ? "not in the reference"
                                : absl::StrCat("mapped to \"", mapped, "\", not in the reference");
    report.layers.push_back(std::move(r));
  }
  RETURN_IF_ERROR(CompareThroughIdenticalNeighbours(reference, candidate, options, report));
  RETURN_IF_ERROR(Summarize(report, options));
  if (report.passed_count + report.failed_count == 0 && !reference.tensors.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no layer of the candidate (", candidate.tensors.size(),
                     " tensors) matches a reference layer (", reference.tensors.size(),
                     "); expected common names (use --map to rename)"));
  }
  return report;
}

}  // namespace verify
}  // namespace tp
