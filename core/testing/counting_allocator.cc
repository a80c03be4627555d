// Global operator new / delete that count live heap bytes (for memory budgets in tests; see
// memory_accounting.h). Not linked under sanitizers: ASan provides its own operator new.
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace tp {
namespace testutil {

bool g_counting_allocator_linked = true;

namespace {
std::atomic<int64_t> g_live{0};
std::atomic<int64_t> g_peak{0};

// The block size lives in a 16-byte header in front of the block (keeps 16-byte alignment).
constexpr size_t kHeader = 16;

void* Allocate(size_t n) {
  void* raw = std::malloc(n + kHeader);
  if (raw == nullptr) throw std::bad_alloc();
  *static_cast<size_t*>(raw) = n;
  const int64_t live = g_live.fetch_add(static_cast<int64_t>(n)) + static_cast<int64_t>(n);
  int64_t peak = g_peak.load();
  while (live > peak && !g_peak.compare_exchange_weak(peak, live)) {
  }
  return static_cast<char*>(raw) + kHeader;
}

void Free(void* p) {
  if (p == nullptr) return;
  char* raw = static_cast<char*>(p) - kHeader;
  g_live.fetch_sub(static_cast<int64_t>(*reinterpret_cast<size_t*>(raw)));
  std::free(raw);
}
}  // namespace

int64_t CountingAllocatorNow() { return g_live.load(); }
int64_t CountingAllocatorPeak() { return g_peak.load(); }
void CountingAllocatorResetPeak() { g_peak.store(g_live.load()); }

}  // namespace testutil
}  // namespace tp

void* operator new(size_t n) { return tp::testutil::Allocate(n); }
void* operator new[](size_t n) { return tp::testutil::Allocate(n); }
void operator delete(void* p) noexcept { tp::testutil::Free(p); }
void operator delete[](void* p) noexcept { tp::testutil::Free(p); }
void operator delete(void* p, size_t) noexcept { tp::testutil::Free(p); }
void operator delete[](void* p, size_t) noexcept { tp::testutil::Free(p); }
