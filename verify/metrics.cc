#include "verify/metrics.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/half.h"
#include "core/status_macros.h"
#include "core/tensor_reader.h"


namespace tp {
namespace verify {
namespace {

constexpr int64_t kChunk = 4096;

// Running sums of one side; values are shifted by the first finite value (`shift`) so the
// variance of a tensor with a large mean keeps its precision.
struct SideAcc {
  bool has_shift = false;
  double shift = 0;
  int64_t finite = 0, nan = 0, inf = 0;
  double sum = 0, sum2 = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
};

struct PairAcc {
  int64_t compared = 0, mismatches = 0, nonfinite_mismatches = 0;
  double sad = 0, sdd = 0, sxx = 0, syy = 0, sxy = 0, max_ad = 0, max_rel = 0;
};

struct ChunkResult {
  PairAcc pair;
  SideAcc x, y;
};

void Merge(SideAcc& into, const SideAcc& c) {
  into.finite += c.finite;
  into.nan += c.nan;
  into.inf += c.inf;
  into.sum += c.sum;
  into.sum2 += c.sum2;
  into.min = std::min(into.min, c.min);
  into.max = std::max(into.max, c.max);
}

void Merge(PairAcc& into, const PairAcc& c) {
  into.compared += c.compared;
  into.mismatches += c.mismatches;
  into.nonfinite_mismatches += c.nonfinite_mismatches;
  into.sad += c.sad;
  into.sdd += c.sdd;
  into.sxx += c.sxx;
  into.syy += c.syy;
  into.sxy += c.sxy;
  into.max_ad = std::max(into.max_ad, c.max_ad);
  into.max_rel = std::max(into.max_rel, c.max_rel);
}

// All-finite chunk: a branch-free loop the compiler vectorizes. Returns false (and leaves `out`
// unusable) when a NaN or Inf is present, so the caller reruns the chunk on the careful path.
bool FastChunk(const double* x, const double* y, int64_t n, double atol, double rtol, double kx,
               double ky, ChunkResult& out) {
  // Non-finite detection on the bits: immune to the reassociation this file is compiled with.
  uint64_t nonfinite = 0;
  double sad = 0, sdd = 0, sxx = 0, syy = 0, sxy = 0, max_ad = 0, max_rel = 0;
  double xs = 0, xs2 = 0, ys = 0, ys2 = 0;
  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin;
  double ymin = xmin, ymax = -xmin;
  int64_t mism = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double a = x[i], b = y[i];
    uint64_t ua, ub;
    std::memcpy(&ua, &a, sizeof(ua));
    std::memcpy(&ub, &b, sizeof(ub));
    nonfinite |= static_cast<uint64_t>(((ua >> 52) & 0x7ff) == 0x7ff) |
                 static_cast<uint64_t>(((ub >> 52) & 0x7ff) == 0x7ff);
    const double d = b - a;
    const double ad = std::fabs(d);
    const double ax = std::fabs(a);
    sad += ad;
    sdd += d * d;
    sxx += a * a;
    syy += b * b;
    sxy += a * b;
    max_ad = ad > max_ad ? ad : max_ad;
    const double rel = ad / (ax + kRelEps);
    max_rel = rel > max_rel ? rel : max_rel;
    mism += ad > atol + rtol * ax ? 1 : 0;
    const double sa = a - kx, sb = b - ky;
    xs += sa;
    xs2 += sa * sa;
    ys += sb;
    ys2 += sb * sb;
    xmin = a < xmin ? a : xmin;
    xmax = a > xmax ? a : xmax;
    ymin = b < ymin ? b : ymin;
    ymax = b > ymax ? b : ymax;
  }
  if (nonfinite != 0) return false;
  out.pair.compared = n;
  out.pair.mismatches = mism;
  out.pair.sad = sad;
  out.pair.sdd = sdd;
  out.pair.sxx = sxx;
  out.pair.syy = syy;
  out.pair.sxy = sxy;
  out.pair.max_ad = max_ad;
  out.pair.max_rel = max_rel;
  out.x.finite = out.y.finite = n;
  out.x.sum = xs;
  out.x.sum2 = xs2;
  out.y.sum = ys;
  out.y.sum2 = ys2;
  out.x.min = xmin;
  out.x.max = xmax;
  out.y.min = ymin;
  out.y.max = ymax;
  return true;
}

void AddSide(double v, double shift, SideAcc& s) {
  if (std::isnan(v)) {
    ++s.nan;
  } else if (std::isinf(v)) {
    ++s.inf;
  } else {
    ++s.finite;
    const double sv = v - shift;
    s.sum += sv;
    s.sum2 += sv * sv;
    s.min = std::min(s.min, v);
    s.max = std::max(s.max, v);
  }
}

void SlowChunk(const double* x, const double* y, int64_t n, double atol, double rtol, double kx,
               double ky, ChunkResult& out) {
  out = ChunkResult();
  for (int64_t i = 0; i < n; ++i) {
    const double a = x[i], b = y[i];
    AddSide(a, kx, out.x);
    AddSide(b, ky, out.y);
    const bool fa = std::isfinite(a), fb = std::isfinite(b);
    if (fa && fb) {
      const double d = b - a, ad = std::fabs(d), ax = std::fabs(a);
      PairAcc& p = out.pair;
      ++p.compared;
      p.sad += ad;
      p.sdd += d * d;
      p.sxx += a * a;
      p.syy += b * b;
      p.sxy += a * b;
      p.max_ad = std::max(p.max_ad, ad);
      p.max_rel = std::max(p.max_rel, ad / (ax + kRelEps));
      if (ad > atol + rtol * ax) ++p.mismatches;
    } else {
      // Both NaN, or the same infinity, agree; anything else is a mismatch.
      const bool agree = (std::isnan(a) && std::isnan(b)) || (std::isinf(a) && a == b);
      if (!agree) {
        ++out.pair.mismatches;
        ++out.pair.nonfinite_mismatches;
      }
    }
  }
}

class Streamer {
 public:
  Streamer(double atol, double rtol) : atol_(atol), rtol_(rtol) {}

  void Add(const double* x, const double* y, int64_t n) {
    for (int64_t off = 0; off < n; off += kChunk) {
      const int64_t len = std::min(kChunk, n - off);
      if (!x_.has_shift || !y_.has_shift) FindShift(x + off, y + off, len);
      ChunkResult c;
      if (!FastChunk(x + off, y + off, len, atol_, rtol_, x_.shift, y_.shift, c)) {
        SlowChunk(x + off, y + off, len, atol_, rtol_, x_.shift, y_.shift, c);
      }
      Merge(pair_, c.pair);
      Merge(x_, c.x);
      Merge(y_, c.y);
    }
  }

  LayerMetrics Finish(int64_t elements) const {
    LayerMetrics m;
    m.elements = elements;
    m.compared = pair_.compared;
    const double n = static_cast<double>(std::max<int64_t>(pair_.compared, 1));
    m.max_abs = pair_.max_ad;
    m.mean_abs = pair_.sad / n;
    m.rmse = std::sqrt(pair_.sdd / n);
    m.max_rel = pair_.max_rel;
    m.ref_rms = std::sqrt(pair_.sxx / n);
    if (pair_.sxx == 0 && pair_.syy == 0) {
      m.cosine = 1;
    } else if (pair_.sxx == 0 || pair_.syy == 0) {
      m.cosine = 0;
    } else {
      m.cosine = pair_.sxy / std::sqrt(pair_.sxx * pair_.syy);
    }
    const double inf = std::numeric_limits<double>::infinity();
    if (pair_.sdd == 0) {
      m.sqnr_db = inf;
      m.nmse = 0;
    } else if (pair_.sxx == 0) {
      m.sqnr_db = -inf;
      m.nmse = inf;
    } else {
      m.sqnr_db = 10 * std::log10(pair_.sxx / pair_.sdd);
      m.nmse = pair_.sdd / pair_.sxx;
    }
    m.mismatches = pair_.mismatches;
    m.nonfinite_mismatches = pair_.nonfinite_mismatches;
    m.mismatch_fraction =
        elements > 0 ? static_cast<double>(pair_.mismatches) / static_cast<double>(elements) : 0;
    m.ref = Side(x_);
    m.cand = Side(y_);
    return m;
  }

 private:
  void FindShift(const double* x, const double* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      if (!x_.has_shift && std::isfinite(x[i])) {
        x_.has_shift = true;
        x_.shift = x[i];
      }
      if (!y_.has_shift && std::isfinite(y[i])) {
        y_.has_shift = true;
        y_.shift = y[i];
      }
    }
  }

  static SideStats Side(const SideAcc& a) {
    SideStats s;
    s.finite = a.finite;
    s.nan = a.nan;
    s.inf = a.inf;
    if (a.finite > 0) {
      const double n = static_cast<double>(a.finite);
      const double mean_shifted = a.sum / n;
      s.mean = a.shift + mean_shifted;
      s.std = std::sqrt(std::max(0.0, a.sum2 / n - mean_shifted * mean_shifted));
      s.min = a.min;
      s.max = a.max;
    }
    return s;
  }

  double atol_, rtol_;
  PairAcc pair_;
  SideAcc x_, y_;
};

// Finite pairs outside the scale-relative band atol + rtol * max(|x|, floor).
int64_t CountOutsideBand(const double* x, const double* y, int64_t n, double atol, double rtol,
                         double floor) {
  int64_t count = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double a = x[i], b = y[i];
    if (!std::isfinite(a) || !std::isfinite(b)) continue;
    count += std::fabs(b - a) > atol + rtol * std::max(std::fabs(a), floor) ? 1 : 0;
  }
  return count;
}

// The streaming pass counts elements outside atol + rtol * |x| (the RMS is not known yet); that
// band is never wider than the final one, so a second pass is needed only when it found some.
bool NeedsBandPass(const LayerMetrics& m) {
  return m.mismatches > m.nonfinite_mismatches && m.ref_rms > 0;
}

// Both tensors widened to double a block at a time (TensorBlockReader: a pread, an inflate or a
// pointer, whatever the storage), handed to `use(x, y, n)` in order.
template <typename Use>
absl::Status ForEachPair(const Tensor& ref, const Tensor& cand, Use&& use) {
  // A multiple of the q8_0 block, so both readers always deliver the same count.
  constexpr int64_t kBlock = 16 * kChunk;
  TensorBlockReader rx(ref), ry(cand);
  std::vector<double> bx, by;
  while (true) {
    ASSIGN_OR_RETURN(TensorBlock a, rx.Next(kBlock));
    ASSIGN_OR_RETURN(TensorBlock b, ry.Next(kBlock));
    if (a.count != b.count) {
      return absl::InternalError("reference and candidate blocks differ in length");
    }
    if (a.count == 0) return absl::OkStatus();
    const double* x;
    const double* y;
    if (ref.dtype() == DType::kF64) {
      x = reinterpret_cast<const double*>(a.data);
    } else {
      bx.resize(a.count);
      DecodeToDouble(ref.dtype(), a.data, a.count, bx.data());
      x = bx.data();
    }
    if (cand.dtype() == DType::kF64) {
      y = reinterpret_cast<const double*>(b.data);
    } else {
      by.resize(b.count);
      DecodeToDouble(cand.dtype(), b.data, b.count, by.data());
      y = by.data();
    }
    use(x, y, a.count);
  }
}

void SetBandCount(LayerMetrics& m, int64_t outside) {
  m.mismatches = outside + m.nonfinite_mismatches;
  m.mismatch_fraction =
      m.elements > 0 ? static_cast<double>(m.mismatches) / static_cast<double>(m.elements) : 0;
}

}  // namespace

LayerMetrics CompareArrays(const double* x, const double* y, int64_t n, double atol, double rtol) {
  Streamer s(atol, rtol);
  s.Add(x, y, n);
  LayerMetrics m = s.Finish(n);
  if (NeedsBandPass(m)) SetBandCount(m, CountOutsideBand(x, y, n, atol, rtol, m.ref_rms));
  return m;
}

absl::StatusOr<LayerMetrics> CompareTensors(const Tensor& ref, const Tensor& cand, double atol,
                                            double rtol) {
  if (ref.num_elements() != cand.num_elements()) {
    return absl::InvalidArgumentError(
        absl::StrCat("reference has ", ref.num_elements(), " elements ",
                     ShapeToString(ref.shape()), ", candidate ", cand.num_elements(), " ",
                     ShapeToString(cand.shape()), "; expected the same count"));
  }
  const int64_t n = ref.num_elements();
  Streamer s(atol, rtol);
  RETURN_IF_ERROR(ForEachPair(ref, cand, [&](const double* x, const double* y, int64_t len) {
    s.Add(x, y, len);
  }));
  LayerMetrics m = s.Finish(n);
  if (!NeedsBandPass(m)) return m;
  // Second pass, only for layers the per-element band flagged: recount against the RMS floor.
  int64_t outside = 0;
  RETURN_IF_ERROR(ForEachPair(ref, cand, [&](const double* x, const double* y, int64_t len) {
    outside += CountOutsideBand(x, y, len, atol, rtol, m.ref_rms);
  }));
  SetBandCount(m, outside);
  return m;
}

Verdict Judge(const LayerMetrics& m, const Tolerance& tol) {
  Verdict v;
  std::vector<std::string> why;
  if (m.nonfinite_mismatches > 0) {
    why.push_back(absl::StrCat(m.nonfinite_mismatches, " NaN/Inf positions disagree"));
  }
  if (m.mismatch_fraction > tol.max_mismatch_fraction) {
    why.push_back(absl::StrFormat("%.3g%% of elements outside atol %g + rtol %g * max(|x|, RMS) (max %.3g%%)",
                                  100 * m.mismatch_fraction, tol.atol, tol.rtol,
                                  100 * tol.max_mismatch_fraction));
  }
  // Relative gates mean nothing when the reference itself is below the absolute tolerance.
  const bool relative = m.ref_rms > tol.atol;
  if (relative && m.compared > 0) {
    if (m.sqnr_db < tol.min_sqnr_db) {
      why.push_back(absl::StrFormat("SQNR %.1f dB < %g dB", m.sqnr_db, tol.min_sqnr_db));
    }
    if (m.cosine < tol.min_cosine) {
      why.push_back(absl::StrFormat("cosine %.9g < %.9g", m.cosine, tol.min_cosine));
    }
  }
  if (!why.empty()) {
    v.pass = false;
    for (size_t i = 0; i < why.size(); ++i) {
      if (i > 0) v.reason += "; ";
      v.reason += why[i];
    }
  }
  return v;
}

std::vector<std::string> HealthCheck(const SideStats& s, const Tolerance& tol) {
  std::vector<std::string> out;
  if (s.nan > 0) out.push_back(absl::StrCat(s.nan, " NaN"));
  if (s.inf > 0) out.push_back(absl::StrCat(s.inf, " Inf"));
  if (!tol.allow_constant && s.finite > 1) {
    const double scale = std::max(std::fabs(s.mean), 1e-30);
    if (s.max == s.min) {
      out.push_back(absl::StrFormat("constant (all %g)", s.min));
    } else if (s.std <= 1e-7 * scale) {
      out.push_back(absl::StrFormat("near-constant (std %.3g around %.6g)", s.std, s.mean));
    }
  }
  if (tol.range_min.has_value() && s.finite > 0 && s.min < *tol.range_min) {
    out.push_back(absl::StrFormat("min %.6g below the expected range [%g, %g]", s.min,
                                  *tol.range_min, tol.range_max.value_or(INFINITY)));
  }
  if (tol.range_max.has_value() && s.finite > 0 && s.max > *tol.range_max) {
    out.push_back(absl::StrFormat("max %.6g above the expected range [%g, %g]", s.max,
                                  tol.range_min.value_or(-INFINITY), *tol.range_max));
  }
  return out;
}

}  // namespace verify
}  // namespace tp
