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
  LayerMetrics m = CompareArrays(x.data(), y.data(), static_cast<int64_t>(x.size()), tol.atol,
                                 tol.rtol);
  return Judge(m, tol).pass;
}

std::string PermString(absl::Span<const int> p) {
  return absl::StrCat("(", absl::StrJoin(p, ", "), ")");
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
        std::string what = absl::StrCat("candidate = reference transposed with axes ",
                                        PermString(perm));
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
    if (Matches(t, y, tol)) return absl::StrFormat("candidate = reference scaled by %.6g", k);
  }
  const double c = sd / static_cast<double>(n);
  for (size_t i = 0; i < n; ++i) t[i] = x[i] + c;
  if (Matches(t, y, tol)) return absl::StrFormat("candidate = reference offset by %.6g", c);
  return "";
}

}  // namespace verify
}  // namespace tp
