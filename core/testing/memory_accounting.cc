#include "core/testing/memory_accounting.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace tp {
namespace testutil {

// Defined by counting_allocator.cc when it is linked in.
extern bool g_counting_allocator_linked __attribute__((weak));
int64_t CountingAllocatorNow() __attribute__((weak));
int64_t CountingAllocatorPeak() __attribute__((weak));
void CountingAllocatorResetPeak() __attribute__((weak));

bool MemoryBudgetsApply() {
#if defined(__SANITIZE_ADDRESS__)
  return false;
#else
  return &g_counting_allocator_linked != nullptr && CountingAllocatorNow != nullptr;
#endif
}

int64_t HeapBytesNow() { return CountingAllocatorNow != nullptr ? CountingAllocatorNow() : 0; }
int64_t HeapPeakSinceReset() {
  return CountingAllocatorPeak != nullptr ? CountingAllocatorPeak() : 0;
}
void ResetHeapPeak() {
  if (CountingAllocatorResetPeak != nullptr) CountingAllocatorResetPeak();
}

int64_t MappingResidentBytes(const void* address) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(address);
  std::ifstream in("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    // A mapping's header is "lo-hi perms offset dev inode [path]" (lowercase hex first); its
    // fields follow as "Name:   value kB" (field names start with a capital letter).
    const bool header = !line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) &&
                        !std::isupper(static_cast<unsigned char>(line[0]));
    if (header) {
      unsigned long lo = 0, hi = 0;
      inside = std::sscanf(line.c_str(), "%lx-%lx", &lo, &hi) == 2 && a >= lo && a < hi;
      continue;
    }
    if (inside && line.compare(0, 4, "Rss:") == 0) return std::atoll(line.c_str() + 4) * 1024;
  }
  return -1;
}

}  // namespace testutil
}  // namespace tp
