// Automatic alignment of a port's dump with the reference dump, when their names do not match.
//
// A Rust/candle, MLX or ggml port names its layers its own way, dumps only some of them and keeps
// conv activations as [N, L, C] where PyTorch has [N, C, L] (or flattens to [N*L, C]). Both dumps
// list layers in execution order, so the candidate's entries are aligned to the reference's by a
// sequence alignment over the two ordered lists (dynamic programming, not greedy): a pair is
// allowed when the shapes agree up to a permutation of axes and a reshape that keeps the element
// count, pairs keep their order, entries may be left out on either side. Pairs score first by how
// directly the shapes agree (same name > same shape > same shape without size-1 axes > permuted >
// reshaped then permuted > same element count); within a class, how well the names fit (words
// that abbreviate each other: "attn" / "attention") and content similarity (a layout-free
// fingerprint: quantiles of the values) break ties, so a buggy layer still aligns by position and
// shape. Consecutive reference entries with the same bytes (a wrapper and the module it wraps)
// are one step. Entries that do not align are reported, never forced.
//
// The result converts into a NameMapping (exact pairs plus layout rules) that DiffDumps uses, and
// into a map file (`--write-map`) that `--map` reads back.
//
// Example:
//   ASSIGN_OR_RETURN(Alignment a, AlignDumps(reference, candidate, mapping));
//   std::cout << FormatAlignment(a, reference, candidate);
//   NameMapping aligned = a.ToMapping(reference, candidate);
#ifndef TENSORPORT_VERIFY_ALIGN_H_
#define TENSORPORT_VERIFY_ALIGN_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/checkpoint.h"
#include "verify/dump.h"
#include "verify/layer_diff.h"

namespace tp {
namespace verify {

struct AlignedPair {
  int ref = -1, cand = -1;  // entry indices
  std::string how;          // "name", "shape", "squeezed", "permuted", "reshaped+permuted", "count"
  Shape reshape;            // applied to the candidate first (empty: none)
  std::vector<int> perm;    // then this permutation (empty: none)
  double confidence = 0;    // 0..1: content similarity, lowered when the layout was ambiguous
};

struct Alignment {
  std::vector<AlignedPair> pairs;
  std::vector<int> unaligned_ref, unaligned_cand;

  // Exact pairs and layout rules that DiffDumps applies.
  NameMapping ToMapping(const Checkpoint& reference, const Checkpoint& candidate) const;
  // The same as a NameMap textproto (verify/tolerance.proto) for --map.
  std::string ToMapText(const Checkpoint& reference, const Checkpoint& candidate) const;
};

// `mapping` (the user's --map, may be empty) is applied to candidate names first: an entry whose
// mapped name is a reference name pairs with it at the highest score.
absl::StatusOr<Alignment> AlignDumps(const Checkpoint& reference, const Checkpoint& candidate,
                                     const NameMapping& mapping);

// One line per pair: "ref <- cand  [layout]  conf 0.97", then what did not align.
std::string FormatAlignment(const Alignment& a, const Checkpoint& reference,
                            const Checkpoint& candidate);

// Notes on the report's layers how each was paired ("aligned by order and shape, candidate
// [1, 64, 8] permuted [0,2,1], confidence 0.97").
void AnnotateAlignment(const Alignment& a, const Checkpoint& reference, const Checkpoint& candidate,
                       Report& report);

// True when the names mostly do not match (fewer than half of the candidate's mapped names are
// reference names): the case for aligning automatically.
bool NamesMostlyDiffer(const Checkpoint& reference, const Checkpoint& candidate,
                       const NameMapping& mapping);

}  // namespace verify
}  // namespace tp

#endif  // TENSORPORT_VERIFY_ALIGN_H_
