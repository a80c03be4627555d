#include "verify/page_release.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <vector>

namespace tp {
namespace verify {
namespace {

struct Range {
  uintptr_t begin, end;
};

std::vector<Range> ReadOnlyFileMappings() {
  std::vector<Range> out;
  FILE* f = std::fopen("/proc/self/maps", "r");
  if (f == nullptr) return out;
  char line[4096];
  while (std::fgets(line, sizeof(line), f) != nullptr) {
    unsigned long begin = 0, end = 0, offset = 0, inode = 0;
    char perms[8] = {0}, dev[32] = {0};
    if (std::sscanf(line, "%lx-%lx %7s %lx %31s %lu", &begin, &end, perms, &offset, dev,
                    &inode) != 6) {
      continue;
    }
    if (inode != 0 && perms[1] != 'w') out.push_back({begin, end});
  }
  std::fclose(f);
  return out;
}

bool Inside(const std::vector<Range>& ranges, uintptr_t b, uintptr_t e) {
  for (const Range& r : ranges) {
    if (b >= r.begin && e <= r.end) return true;
  }
  return false;
}

}  // namespace

bool ReleaseReadPages(const void* data, size_t bytes) {
  static std::mutex mu;
  static std::vector<Range> cache;
  const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t b = reinterpret_cast<uintptr_t>(data);
  const uintptr_t e = b + bytes;
  const uintptr_t pb = (b + page - 1) / page * page, pe = e / page * page;
  if (data == nullptr || pe <= pb) return false;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (!Inside(cache, b, e)) {
      cache = ReadOnlyFileMappings();
      if (!Inside(cache, b, e)) return false;
    }
  }
  return ::madvise(reinterpret_cast<void*>(pb), pe - pb, MADV_DONTNEED) == 0;
}

}  // namespace verify
}  // namespace tp
