// Drops pages of a memory-mapped input from the resident set once a conversion has used them.
//
// Readers hand out tensors that view the mapped input file, but a Tensor does not expose its
// MappedFile, so the ranges of the input's file mappings are looked up in /proc/self/maps and only
// pages lying inside one of them (read-only file pages, which the kernel re-reads on demand) are
// released. Heap tensors are never touched.
//
// Example:
//   InputPages pages = InputPages::Find("model.pth");
//   ... write the tensor ...
//   pages.Release(tensor);
#ifndef TENSORPORT_CONVERT_PAGE_RELEASE_H_
#define TENSORPORT_CONVERT_PAGE_RELEASE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace tp {

class InputPages {
 public:
  // Ranges currently mapped from `path` (empty when none or /proc is unavailable).
  static InputPages Find(const std::string& path);

  // madvise(MADV_DONTNEED) on the whole pages of `t` that lie in the input's file mappings.
  void Release(const Tensor& t) const;
  size_t num_ranges() const { return ranges_.size(); }

 private:
  std::vector<std::pair<uintptr_t, uintptr_t>> ranges_;
};

}  // namespace tp

#endif  // TENSORPORT_CONVERT_PAGE_RELEASE_H_
