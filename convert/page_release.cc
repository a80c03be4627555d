#include "convert/page_release.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace tp {

InputPages InputPages::Find(const std::string& path) {
  InputPages pages;
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved) == nullptr) return pages;
  const std::string want(resolved);
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    std::istringstream in(line);
    std::string range, perms, offset, dev, inode, name;
    in >> range >> perms >> offset >> dev >> inode;
    std::getline(in, name);
    const size_t start = name.find_first_not_of(' ');
    if (start == std::string::npos) continue;
    name = name.substr(start);
    // Only read-only mappings of the input itself.
    if (name != want || perms.empty() || perms[1] == 'w') continue;
    const size_t dash = range.find('-');
    if (dash == std::string::npos) continue;
    const uintptr_t lo = std::strtoull(range.substr(0, dash).c_str(), nullptr, 16);
    const uintptr_t hi = std::strtoull(range.substr(dash + 1).c_str(), nullptr, 16);
    if (hi > lo) pages.ranges_.emplace_back(lo, hi);
  }
  return pages;
}

void InputPages::Release(const Tensor& t) const {
  if (ranges_.empty() || !t.is_view() || !t.is_packed() || t.data() == nullptr) return;
  const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t lo = reinterpret_cast<uintptr_t>(t.data());
  const uintptr_t hi = lo + static_cast<uintptr_t>(t.nbytes());
  for (const auto& [a, b] : ranges_) {
    if (lo < a || hi > b) continue;
    const uintptr_t begin = (lo + page - 1) / page * page;
    const uintptr_t end = hi / page * page;
    if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
    return;
  }
}

}  // namespace tp
