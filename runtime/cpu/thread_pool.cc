#include "runtime/cpu/thread_pool.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace tp {
namespace rt {
namespace cpu {
namespace {

// Set while a thread runs a ParallelFor range, so nested calls run inline instead of waiting on
// workers that may all be busy with the outer call.
thread_local bool in_parallel_region = false;

class Pool {
 public:
  static Pool& Get() {
    static Pool* pool = new Pool();  // never destroyed: workers may outlive static teardown
    return *pool;
  }

  void EnsureWorkers(int count) {
    std::lock_guard<std::mutex> lock(mu_);
    while (static_cast<int>(workers_.size()) < count) {
      workers_.emplace_back([this] { WorkerLoop(); });
      workers_.back().detach();
    }
  }

  void Submit(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
  }

 private:
  void WorkerLoop() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return !tasks_.empty(); });
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> workers_;
};

}  // namespace

void ParallelFor(int num_threads, int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  const int64_t parts = std::min<int64_t>(std::max(num_threads, 1), n);
  if (parts <= 1 || in_parallel_region) {
    fn(0, n);
    return;
  }
  Pool& pool = Pool::Get();
  pool.EnsureWorkers(static_cast<int>(parts - 1));
  std::mutex done_mu;
  std::condition_variable done_cv;
  int64_t remaining = parts - 1;
  auto range = [&](int64_t p, int64_t* begin, int64_t* end) {
    *begin = n * p / parts;
    *end = n * (p + 1) / parts;
  };
  for (int64_t p = 1; p < parts; ++p) {
    pool.Submit([&, p] {
      int64_t b, e;
      range(p, &b, &e);
      in_parallel_region = true;
      fn(b, e);
      in_parallel_region = false;
      std::lock_guard<std::mutex> lock(done_mu);
      if (--remaining == 0) done_cv.notify_one();
    });
  }
  int64_t b, e;
  range(0, &b, &e);
  in_parallel_region = true;
  fn(b, e);
  in_parallel_region = false;
  std::unique_lock<std::mutex> lock(done_mu);
  done_cv.wait(lock, [&] { return remaining == 0; });
}

}  // namespace cpu
}  // namespace rt
}  // namespace tp
