#include "verify/hints.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace tp {
namespace verify {
namespace {

bool Matches(const std::vector<double>& x, const std::vector<double>& y, const Tolerance& tol) {
  LayerMetrics m =
      CompareArrays(x.data(), y.data(), static_cast<int64_t>(x.size()), tol.atol, tol.rtol);
  return Judge(m, tol).pass;
}

std::string PermString(absl::Span<const int> p) {
  return absl::StrCat("(", absl::StrJoin(p, ", "), ")");
}

// y[..., t] = x[..., t - k] on the frames both have, for a shift of k frames along the last axis
// (a padding or ConvTranspose output_padding mistake); the frames shifted in are not judged.
std::string ShiftHint(const std::vector<double>& x, const std::vector<double>& y, const Shape& s,
                      const Tolerance& tol) {
  if (s.empty() || s.back() < 8) return "";
  const int64_t time = s.back(), rows = static_cast<int64_t>(x.size()) / time;
  for (int64_t k : {1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6, 7, -7, 8, -8}) {
    if (std::abs(k) * 4 > time) continue;
    std::vector<double> a, b;
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t t = std::max<int64_t>(0, k); t < time + std::min<int64_t>(0, k); ++t) {
        a.push_back(x[r * time + t - k]);
        b.push_back(y[r * time + t]);
      }
    }
    if (Matches(a, b, tol)) {
      return absl::StrFormat(
          "candidate = reference shifted by %d frame%s along the last axis "
          "(%s); check padding / ConvTranspose output_padding",
          static_cast<int>(k), std::abs(k) == 1 ? "" : "s", k > 0 ? "later" : "earlier");
    }
  }
  return "";
}

// Every row (last axis) of the candidate a multiple of the reference's row, the factors close to
// 1 and different from row to row: a normalization with another epsilon (rows of small variance
// differ most).
std::string PerRowScaleHint(const std::vector<double>& x, const std::vector<double>& y,
                            const Shape& s, const Tolerance& tol) {
  if (s.size() < 2 || s.back() < 4) return "";
  const int64_t cols = s.back(), rows = static_cast<int64_t>(x.size()) / cols;
  if (rows < 2) return "";
  std::vector<double> fitted(x.size());
  double kmin = INFINITY, kmax = -INFINITY;
  for (int64_t r = 0; r < rows; ++r) {
    double sxx = 0, sxy = 0;
    for (int64_t c = 0; c < cols; ++c) {
      sxx += x[r * cols + c] * x[r * cols + c];
      sxy += x[r * cols + c] * y[r * cols + c];
    }
    const double k = sxx > 0 ? sxy / sxx : 1.0;
    kmin = std::min(kmin, k);
    kmax = std::max(kmax, k);
    for (int64_t c = 0; c < cols; ++c) fitted[r * cols + c] = k * x[r * cols + c];
  }
  if (kmin < 0.5 || kmax > 2.0 || kmax - kmin < 1e-7 || !Matches(fitted, y, tol)) return "";
  return absl::StrFormat(
      "each row of the candidate is the reference's row scaled by a factor "
      "between %.6g and %.6g: a normalization with another epsilon?",
      kmin, kmax);
}

// Along one axis, every slice of the candidate an affine function of the reference's slice with
// its own scale and offset (not one for all: that is the plain scale or offset above). Along the
// channels: a per-channel affine or modulation that differs (adaLN's x*scale+shift for
// x*(1+scale)+shift, shift and scale chunks swapped, another affine weight); along the frames:
// statistics taken per frame (LayerNorm over C) where the reference normalizes channels and
// frames together (GroupNorm with one group). The data cannot tell which axis is which, so the
// hint names the axis and both readings.
std::string PerAxisAffineHint(const std::vector<double>& x, const std::vector<double>& y,
                              const Shape& s, const Tolerance& tol) {
  const int rank = static_cast<int>(s.size());
  const int64_t total = static_cast<int64_t>(x.size());
  for (int axis = rank - 1; axis >= 0; --axis) {
    // With three or more axes the first is the batch: each item has its own statistics and its
    // own conditioning, so slices are per item.
    const int64_t items = rank >= 3 && axis > 0 ? s[0] : 1;
    const int64_t dim = s[axis] * items;
    if (s[axis] < 2 || total / dim < 4) continue;
    int64_t inner = 1;
    for (int k = axis + 1; k < rank; ++k) inner *= s[k];
    const int64_t per_item = total / items;
    // Element e lies in slice (item, (e / inner) % s[axis]).
    auto slice = [&](int64_t e) { return e / per_item * s[axis] + (e / inner) % s[axis]; };
    std::vector<double> n(dim), sx(dim), sy(dim), sxx(dim), sxy(dim);
    for (int64_t e = 0; e < total; ++e) {
      const int64_t j = slice(e);
      n[j] += 1;
      sx[j] += x[e];
      sy[j] += y[e];
      sxx[j] += x[e] * x[e];
      sxy[j] += x[e] * y[e];
    }
    std::vector<double> a(dim), b(dim);
    double amin = INFINITY, amax = -INFINITY, bmin = INFINITY, bmax = -INFINITY;
    for (int64_t j = 0; j < dim; ++j) {
      const double mx = sx[j] / n[j], my = sy[j] / n[j];
      const double vxx = sxx[j] / n[j] - mx * mx, vxy = sxy[j] / n[j] - mx * my;
      a[j] = vxx > 0 ? vxy / vxx : 0;
      b[j] = my - a[j] * mx;
      amin = std::min(amin, a[j]);
      amax = std::max(amax, a[j]);
      bmin = std::min(bmin, b[j]);
      bmax = std::max(bmax, b[j]);
    }
    const double spread = std::max(amax - amin, bmax - bmin);
    if (!(spread > 1e-3 * std::max({1.0, std::fabs(amax), std::fabs(bmax)}))) continue;
    std::vector<double> fitted(total);
    for (int64_t e = 0; e < total; ++e) {
      const int64_t j = slice(e);
      fitted[e] = a[j] * x[e] + b[j];
    }
    if (!Matches(fitted, y, tol)) continue;
    return absl::StrFormat(
        "each of the %d slices along axis %d%s is the reference's slice scaled and shifted by "
        "its own factors (scales %.4g to %.4g, offsets %.4g to %.4g): if axis %d indexes channels, "
        "a per-channel affine or modulation differs (x*scale+shift for x*(1+scale)+shift, shift "
        "and scale chunks swapped, another affine weight); if it indexes frames, statistics were "
        "taken per frame (LayerNorm over C) where the reference normalizes channels and frames "
        "together (GroupNorm with one group)",
        s[axis], axis, items > 1 ? " (per batch item)" : "", amin, amax, bmin, bmax, axis);
  }
  return "";
}

}  // namespace

std::vector<double> TransposeArray(const std::vector<double>& x, absl::Span<const int64_t> shape,
                                   absl::Span<const int> perm) {
  const int r = static_cast<int>(shape.size());
  std::vector<int64_t> in_strides(r, 1), out_shape(r);
  for (int i = r - 2; i >= 0; --i) in_strides[i] = in_strides[i + 1] * shape[i + 1];
  for (int i = 0; i < r; ++i) out_shape[i] = shape[perm[i]];
  std::vector<double> out(x.size());
  std::vector<int64_t> idx(r, 0);
  for (size_t o = 0; o < out.size(); ++o) {
    int64_t src = 0;
    for (int i = 0; i < r; ++i) src += idx[i] * in_strides[perm[i]];
    out[o] = x[src];
    for (int i = r - 1; i >= 0; --i) {
      if (++idx[i] < out_shape[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}

std::vector<double> ReorderChunks(const std::vector<double>& x, absl::Span<const int64_t> shape,
                                  int axis, absl::Span<const int> order) {
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= shape[i];
  for (size_t i = axis + 1; i < shape.size(); ++i) inner *= shape[i];
  const int64_t dim = shape[axis];
  const int64_t k = static_cast<int64_t>(order.size());
  const int64_t chunk = dim / k * inner;
  std::vector<double> out(x.size());
  for (int64_t o = 0; o < outer; ++o) {
    const double* src = x.data() + o * dim * inner;
    double* dst = out.data() + o * dim * inner;
    for (int64_t j = 0; j < k; ++j) {
      std::copy(src + order[j] * chunk, src + (order[j] + 1) * chunk, dst + j * chunk);
    }
  }
  return out;
}

std::string ExplainDifference(const Tensor& ref, const Tensor& cand, const Tolerance& tol) {
  if (ref.num_elements() != cand.num_elements() || ref.num_elements() == 0 ||
      ref.num_elements() > kMaxHintElements) {
    return "";
  }
  absl::StatusOr<std::vector<double>> xs = ToDoubleVector(ref);
  absl::StatusOr<std::vector<double>> ys = ToDoubleVector(cand);
  if (!xs.ok() || !ys.ok()) return "";
  const std::vector<double>& x = *xs;
  const std::vector<double>& y = *ys;
  const size_t n = x.size();

  bool all_zero = true, constant = true, x_constant = true;
  for (size_t i = 0; i < n; ++i) {
    if (y[i] != 0) all_zero = false;
    if (!(y[i] == y[0])) constant = false;
    if (!(x[i] == x[0])) x_constant = false;
  }
  if (all_zero && !x_constant) return "candidate is all zeros";
  if (constant && !x_constant) return absl::StrFormat("candidate is constant (%g)", y[0]);

  const Shape& rs = ref.shape();
  const Shape& cs = cand.shape();
  const int r = static_cast<int>(rs.size());
  // Transposes: every non-identity permutation mapping the reference's shape onto the candidate's.
  if (r >= 2 && r <= 4 && r == static_cast<int>(cs.size())) {
    std::vector<int> perm(r);
    std::iota(perm.begin(), perm.end(), 0);
    while (std::next_permutation(perm.begin(), perm.end())) {
      bool fits = true;
      for (int i = 0; i < r; ++i) fits &= rs[perm[i]] == cs[i];
      if (!fits) continue;
      if (Matches(TransposeArray(x, rs, perm), y, tol)) {
        std::string what =
            absl::StrCat("candidate = reference transposed with axes ", PermString(perm));
        if (r == 3 && perm == std::vector<int>{0, 2, 1}) {
          absl::StrAppend(&what, " ([B,T,C] vs [B,C,T] layout)");
        }
        return what;
      }
    }
  }
  if (rs != cs) return "";

  // Chunk order along one axis.
  for (int axis = 0; axis < r; ++axis) {
    for (int k : {2, 3}) {
      if (rs[axis] < k || rs[axis] % k != 0) continue;
      std::vector<int> order(k);
      std::iota(order.begin(), order.end(), 0);
      while (std::next_permutation(order.begin(), order.end())) {
        if (Matches(ReorderChunks(x, rs, axis, order), y, tol)) {
          return absl::StrCat("candidate = reference with ", k, " chunks along axis ", axis,
                              " in order ", PermString(order),
                              k == 2 ? " (halves swapped)" : " (chunk order)");
        }
      }
    }
  }

  double sxx = 0, sxy = 0, sd = 0;
  for (size_t i = 0; i < n; ++i) {
    sxx += x[i] * x[i];
    sxy += x[i] * y[i];
    sd += y[i] - x[i];
  }
  std::vector<double> t(n);
  for (size_t i = 0; i < n; ++i) t[i] = -x[i];
  if (Matches(t, y, tol)) return "candidate = -reference (sign flipped)";
  if (sxx > 0) {
    const double k = sxy / sxx;
    for (size_t i = 0; i < n; ++i) t[i] = k * x[i];
    if (Matches(t, y, tol)) {
      return absl::StrFormat("candidate = reference scaled by %.6g (a gain of %+.3g dB)", k,
                             20 * std::log10(std::fabs(k)));
    }
  }
  const double c = sd / static_cast<double>(n);
  for (size_t i = 0; i < n; ++i) t[i] = x[i] + c;
  if (Matches(t, y, tol)) return absl::StrFormat("candidate = reference offset by %.6g", c);
  if (std::string h = ShiftHint(x, y, rs, tol); !h.empty()) return h;
  if (std::string h = PerRowScaleHint(x, y, rs, tol); !h.empty()) return h;
  if (std::string h = PerAxisAffineHint(x, y, rs, tol); !h.empty()) return h;
  return "";
}

}  // namespace verify
}  // namespace tp
