#include "runtime/cpu/thread_pool.h"

#include <omp.h>

#include <algorithm>

namespace tp {
namespace rt {
namespace cpu {

void ParallelFor(int num_threads, int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  const int64_t parts = std::min<int64_t>(std::max(num_threads, 1), n);
  if (parts <= 1 || omp_in_parallel()) {
    fn(0, n);
    return;
  }
#pragma omp parallel num_threads(static_cast<int>(parts))
  {
    const int64_t p = omp_get_thread_num(), count = omp_get_num_threads();
    fn(n * p / count, n * (p + 1) / count);
  }
}

}  // namespace cpu
}  // namespace rt
}  // namespace tp
