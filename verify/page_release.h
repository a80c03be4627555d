// Drops already-read pages of read-only file mappings from the process's resident set.
//
// Dumps are read through memory maps; a streaming comparison that touched a 1 GiB layer would
// otherwise keep the whole layer resident. ReleaseReadPages only acts on ranges that lie in a
// read-only, file-backed mapping (checked against /proc/self/maps), where MADV_DONTNEED is safe:
// a later read faults the bytes back in from the file. Heap memory is never touched.
//
// Example:
//   ReleaseReadPages(tensor.data(), tensor.nbytes());
#ifndef TENSORPORT_VERIFY_PAGE_RELEASE_H_
#define TENSORPORT_VERIFY_PAGE_RELEASE_H_

#include <cstddef>

namespace tp {
namespace verify {

// Whole pages inside [data, data + bytes) are released when the range is a read-only file
// mapping; otherwise nothing happens. Returns true when pages were released.
bool ReleaseReadPages(const void* data, size_t bytes);

}  // namespace verify
}  // namespace tp

#endif  // TENSORPORT_VERIFY_PAGE_RELEASE_H_
