// Loading a dump (named tensors in execution order) and lining up names and layouts.
//
// A dump is an .npz (entry order = execution order), a directory of .npy files (order from an
// optional manifest.json: {"order": ["a", ...]} or {"entries": [{"name": "a"}, ...]}, otherwise
// sorted by name), a safetensors file or a GGUF file (file order). Files are read through the
// format registry, so tensors are views into memory maps and a layer is only paged in when it is
// compared. Modules called several times appear as `name`, `name#1`, `name#2` (the convention of
// tools/dump_reference.py).
//
// Example:
//   ASSIGN_OR_RETURN(Checkpoint ref, LoadDump("ref.npz"));
//   ASSIGN_OR_RETURN(NameMapping map, LoadNameMapping("map.textproto", ""));
//   std::string ref_name = map.MapName("decoder.ups.0");
#ifndef TENSORPORT_VERIFY_DUMP_H_
#define TENSORPORT_VERIFY_DUMP_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/checkpoint.h"
#include "verify/metrics.h"

namespace re2 {
class RE2;
}

namespace tp {
namespace verify {

absl::StatusOr<Checkpoint> LoadDump(const std::string& path);

// Candidate-to-reference renames and per-layer layouts (verify/tolerance.proto: NameMap).
class NameMapping {
 public:
  NameMapping();
  ~NameMapping();
  NameMapping(NameMapping&&);
  NameMapping& operator=(NameMapping&&);

  // Adds the rules of a textproto NameMap file.
  absl::Status AddFile(const std::string& path);
  // `pattern` is RE2; `replacement` may use \1..\9.
  absl::Status AddRename(const std::string& pattern, const std::string& replacement,
                         const std::string& source);
  // `reshape` (may be empty) is applied to the candidate before `perm` (may be empty).
  absl::Status AddLayout(const std::string& pattern, std::vector<int> perm,
                         const std::string& source, Shape reshape = {});
  // One exact candidate -> reference pair (looked up before the renames).
  void AddPair(const std::string& candidate, const std::string& reference);
  bool empty() const { return renames_.empty() && layouts_.empty() && pairs_.empty(); }

  std::string MapName(const std::string& candidate_name) const;
  struct LayoutChange {
    Shape reshape;          // empty: none
    std::vector<int> perm;  // empty: none
  };
  // What brings the candidate's tensor into the reference layout, if any rule matches the
  // reference name.
  std::optional<LayoutChange> LayoutFor(const std::string& reference_name) const;

 private:
  struct Rename;
  struct Layout;
  std::vector<Rename> renames_;
  std::vector<Layout> layouts_;
  std::map<std::string, std::string> pairs_;
};

// Global defaults plus per-layer rules (verify/tolerance.proto: ToleranceConfig).
class ToleranceSet {
 public:
  ToleranceSet();
  ~ToleranceSet();
  ToleranceSet(ToleranceSet&&);
  ToleranceSet& operator=(ToleranceSet&&);

  Tolerance& defaults() { return defaults_; }
  absl::Status AddFile(const std::string& path);
  absl::Status AddText(const std::string& textproto, const std::string& source);
  Tolerance For(const std::string& reference_name) const;

 private:
  struct Rule;
  Tolerance defaults_;
  std::vector<Rule> rules_;
};

}  // namespace verify
}  // namespace tp

#endif  // TENSORPORT_VERIFY_DUMP_H_
