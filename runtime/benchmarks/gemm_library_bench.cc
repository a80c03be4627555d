// One-off measurement behind the cpu backend's choice of GEMM library (see runtime/cpu/README.md):
// a 512x512x512 SGEMM and the im2col GEMM of a vocoder-sized Conv1d (128 -> 128 channels, k=7,
// 5512 frames), with Eigen and with OpenBLAS. Built by hand, not by Bazel, because OpenBLAS is not
// a project dependency:
//   g++ -O2 -std=c++17 [-mavx2 -mfma] -DWITH_OPENBLAS runtime/benchmarks/gemm_library_bench.cc \
//       -I/usr/include/x86_64-linux-gnu -lopenblas -o /tmp/gemm_bench && /tmp/gemm_bench
#include <chrono>
#include <cstdio>
#include <functional>
#include <random>
#include <vector>

#include <eigen3/Eigen/Dense>
#ifdef WITH_OPENBLAS
#include <cblas.h>
extern "C" void openblas_set_num_threads(int);
#endif

namespace {

using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

double BestSeconds(const std::function<void()>& fn, int reps) {
  fn();  // warm up
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
  }
  return best;
}

void Run(const char* label, int m, int k, int n) {
  std::mt19937 gen(1);
  std::normal_distribution<float> dist;
  std::vector<float> a(size_t(m) * k), b(size_t(k) * n), c(size_t(m) * n);
  for (float& v : a) v = dist(gen);
  for (float& v : b) v = dist(gen);
  const double gflop = 2.0 * m * k * n / 1e9;
  Eigen::Map<const RowMajor> am(a.data(), m, k), bm(b.data(), k, n);
  Eigen::Map<RowMajor> cm(c.data(), m, n);
  double te = BestSeconds([&] { cm.noalias() = am * bm; }, 5);
  std::printf("%-28s eigen 1t   %8.2f ms  %6.1f GFLOP/s\n", label, te * 1e3, gflop / te);
#ifdef WITH_OPENBLAS
  for (int threads : {1, 2}) {
    openblas_set_num_threads(threads);
    double tb = BestSeconds(
        [&] {
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a.data(), k,
                      b.data(), n, 0.0f, c.data(), n);
        },
        5);
    std::printf("%-28s openblas %dt %8.2f ms  %6.1f GFLOP/s\n", label, threads, tb * 1e3,
                gflop / tb);
  }
#endif
}

}  // namespace

int main() {
  Run("gemm 512x512x512", 512, 512, 512);
  Run("conv1d 128->128 k7 L5512", 128, 128 * 7, 5512);
  Run("conv1d 512->256 k7 L344", 256, 512 * 7, 344);
  return 0;
}
