// Parallel loops for the cpu backend's kernels: ParallelFor splits [0, n) into contiguous ranges,
// one per thread, and runs them on the calling thread and OpenMP's worker threads.
//
// OpenMP, because oneDNN (the convolutions, dnnl_sgemm) is built on it: with our own pool next to
// OpenMP's, the two sets of workers took turns on the cores (oneDNN's spinning briefly after each
// primitive), and the suite's 2-thread times were 5-15 % slower than with one set (measured with
// runtime/benchmarks/bench_runtime.sh, see runtime/cpu/README.md). Nested calls (from inside a
// range, or from inside another OpenMP region) run inline on the calling thread.
//
// Example:
//   ParallelFor(ctx.num_threads(), rows, [&](int64_t begin, int64_t end) {
//     for (int64_t r = begin; r < end; ++r) Process(r);
//   });
#ifndef TENSORPORT_RUNTIME_CPU_THREAD_POOL_H_
#define TENSORPORT_RUNTIME_CPU_THREAD_POOL_H_

#include <cstdint>
#include <functional>

namespace tp {
namespace rt {
namespace cpu {

// Runs fn(begin, end) over a partition of [0, n) into at most `num_threads` ranges (fewer when
// n is small); returns when all ranges are done. num_threads <= 1 runs fn(0, n) inline.
void ParallelFor(int num_threads, int64_t n, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace cpu
}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_CPU_THREAD_POOL_H_
