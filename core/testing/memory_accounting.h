// Deterministic memory measurements for tests: what the code under test controls, not process RSS
// (which depends on the allocator, the sanitizer runtime and the kernel's page-cache and folio
// policy, and so differs from one machine to the next).
//
//   - Heap bytes: the :counting_allocator library replaces global operator new / delete with
//     counting versions; HeapBytesNow() and the peak since ResetHeapPeak() are exact.
//   - Pages of one mapping: MappingResidentBytes() reads the Rss line of the /proc/self/smaps
//     entry that contains an address: only that mapping's pages in this process's page tables.
//
// Under AddressSanitizer the sanitizer owns operator new (the counting allocator is not linked
// in) and budgets mean nothing; MemoryBudgetsApply() says whether to assert them. Tests still run
// there, for the memory errors ASan finds.
//
// Example:
//   ResetHeapPeak();
//   ... read and sum a large tensor ...
//   if (MemoryBudgetsApply()) EXPECT_LT(HeapPeakSinceReset() - before, 3 * kTensorBytes);
#ifndef TENSORPORT_CORE_TESTING_MEMORY_ACCOUNTING_H_
#define TENSORPORT_CORE_TESTING_MEMORY_ACCOUNTING_H_

#include <cstdint>

namespace tp {
namespace testutil {

// False under sanitizers (and when the counting allocator is not linked in).
bool MemoryBudgetsApply();
// Live bytes allocated with operator new (0 when not counting).
int64_t HeapBytesNow();
// The largest HeapBytesNow() since the last ResetHeapPeak().
int64_t HeapPeakSinceReset();
void ResetHeapPeak();

// Rss of the mapping that contains `address` (bytes; -1 when /proc/self/smaps has no such entry).
int64_t MappingResidentBytes(const void* address);

}  // namespace testutil
}  // namespace tp

#endif  // TENSORPORT_CORE_TESTING_MEMORY_ACCOUNTING_H_
