// Spectral distances for tensors marked as audio (last axis = time), on the project's own FFT.
//
// Each row of the tensor (all leading axes flattened) is cut into frames of n_fft samples every
// `hop` samples, starting at 0 without padding (a row shorter than n_fft is one zero-padded
// frame), windowed with a periodic Hann window and transformed; |S| is the magnitude of the
// one-sided spectrum (n_fft / 2 + 1 bins).
//   spectral convergence  = || |S_x| - |S_y| ||_F / || |S_x| ||_F
//   log-STFT distance     = mean | log(max(|S_x|, 1e-7)) - log(max(|S_y|, 1e-7)) |
//   multi-resolution STFT = mean over resolutions of (spectral convergence + log-STFT distance)
// The resolutions are the three largest of (2048, 512), (1024, 256), (512, 128), (256, 64),
// (128, 32), (64, 16) whose n_fft fits the row length (64 for shorter rows); the single-resolution
// numbers use the first (largest) of them.
//
// Example:
//   SpectralMetrics s = CompareSpectra(x, y, /*rows=*/2, /*time=*/24000);
#ifndef TENSORPORT_VERIFY_AUDIO_H_
#define TENSORPORT_VERIFY_AUDIO_H_

#include <complex>
#include <cstdint>
#include <utility>
#include <vector>

namespace tp {
namespace verify {

struct SpectralMetrics {
  double spectral_convergence = 0;
  double log_stft_distance = 0;
  double mr_stft_distance = 0;
  int n_fft = 0, hop = 0;  // the single resolution
};

// In-place radix-2 FFT; a.size() must be a power of two.
void Fft(std::vector<std::complex<double>>& a);

// Resolutions used for rows of `time` samples.
std::vector<std::pair<int, int>> StftResolutions(int64_t time);

// x and y hold rows * time values, row-major.
SpectralMetrics CompareSpectra(const std::vector<double>& x, const std::vector<double>& y,
                               int64_t rows, int64_t time);

}  // namespace verify
}  // namespace tp

#endif  // TENSORPORT_VERIFY_AUDIO_H_
