#include "verify/audio.h"

#include <algorithm>
#include <cmath>

namespace tp {
namespace verify {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kMagFloor = 1e-7;

struct Sums {
  double diff2 = 0, ref2 = 0, logabs = 0;
  int64_t bins = 0;
};

// Accumulates one resolution's sums over all rows.
Sums Accumulate(const std::vector<double>& x, const std::vector<double>& y, int64_t rows,
                int64_t time, int n_fft, int hop) {
  Sums s;
  std::vector<double> window(n_fft);
  for (int i = 0; i < n_fft; ++i) window[i] = 0.5 - 0.5 * std::cos(2 * kPi * i / n_fft);
  const int64_t frames = time >= n_fft ? 1 + (time - n_fft) / hop : 1;
  std::vector<std::complex<double>> fx(n_fft), fy(n_fft);
  for (int64_t r = 0; r < rows; ++r) {
    const double* px = x.data() + r * time;
    const double* py = y.data() + r * time;
    for (int64_t f = 0; f < frames; ++f) {
      const int64_t start = f * hop;
      for (int i = 0; i < n_fft; ++i) {
        const bool in = start + i < time;
        fx[i] = in ? px[start + i] * window[i] : 0.0;
        fy[i] = in ? py[start + i] * window[i] : 0.0;
      }
      Fft(fx);
      Fft(fy);
      for (int k = 0; k <= n_fft / 2; ++k) {
        const double mx = std::abs(fx[k]), my = std::abs(fy[k]);
        s.diff2 += (mx - my) * (mx - my);
        s.ref2 += mx * mx;
        s.logabs += std::fabs(std::log(std::max(mx, kMagFloor)) - std::log(std::max(my, kMagFloor)));
        ++s.bins;
      }
    }
  }
  return s;
}

double Convergence(const Sums& s) {
  if (s.ref2 == 0) return s.diff2 == 0 ? 0 : INFINITY;
  return std::sqrt(s.diff2 / s.ref2);
}

}  // namespace

void Fft(std::vector<std::complex<double>>& a) {
  const size_t n = a.size();
  for (size_t i = 1, j = 0; i < n; ++i) {
    size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i], a[j]);
  }
  for (size_t len = 2; len <= n; len <<= 1) {
    const double angle = -2 * kPi / static_cast<double>(len);
    const std::complex<double> w(std::cos(angle), std::sin(angle));
    for (size_t i = 0; i < n; i += len) {
      std::complex<double> wk(1, 0);
      for (size_t k = 0; k < len / 2; ++k) {
        const std::complex<double> u = a[i + k], v = a[i + k + len / 2] * wk;
        a[i + k] = u + v;
        a[i + k + len / 2] = u - v;
        wk *= w;
      }
    }
  }
}

std::vector<std::pair<int, int>> StftResolutions(int64_t time) {
  static const std::pair<int, int> kAll[] = {{2048, 512}, {1024, 256}, {512, 128},
                                             {256, 64},   {128, 32},   {64, 16}};
  std::vector<std::pair<int, int>> out;
  for (const auto& r : kAll) {
    if (r.first <= time && out.size() < 3) out.push_back(r);
  }
  if (out.empty()) out.push_back({64, 16});
  return out;
}

SpectralMetrics CompareSpectra(const std::vector<double>& x, const std::vector<double>& y,
                               int64_t rows, int64_t time) {
  SpectralMetrics m;
  if (rows <= 0 || time <= 0) return m;
  const std::vector<std::pair<int, int>> res = StftResolutions(time);
  double mr = 0;
  for (size_t i = 0; i < res.size(); ++i) {
    const Sums s = Accumulate(x, y, rows, time, res[i].first, res[i].second);
    const double sc = Convergence(s);
    const double lg = s.bins > 0 ? s.logabs / static_cast<double>(s.bins) : 0;
    if (i == 0) {
      m.spectral_convergence = sc;
      m.log_stft_distance = lg;
      m.n_fft = res[i].first;
      m.hop = res[i].second;
    }
    mr += sc + lg;
  }
  m.mr_stft_distance = mr / static_cast<double>(res.size());
  return m;
}

}  // namespace verify
}  // namespace tp
