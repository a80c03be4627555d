#include "verify/dump.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"
#include "formats/json/json.h"
#include "formats/registry.h"
#include "google/protobuf/text_format.h"
#include "re2/re2.h"
#include "verify/tolerance.pb.h"

namespace tp {
namespace verify {
namespace {

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

absl::StatusOr<std::string> ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open the file"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<std::vector<std::string>> ManifestOrder(const std::string& dir) {
  const std::string path = dir + "/manifest.json";
  std::vector<std::string> names;
  std::ifstream probe(path);
  if (!probe) return names;
  ASSIGN_OR_RETURN(std::string text, ReadText(path));
  ASSIGN_OR_RETURN(JsonValue root, ParseJson(text, path));
  if (const JsonValue* order = root.Find("order"); order != nullptr && order->is_array()) {
    for (const JsonValue& v : order->array) {
      if (!v.is_string()) {
        return absl::InvalidArgumentError(absl::StrCat(
            path, ": \"order\" holds a ", JsonKindName(v.kind), ", expected layer name strings"));
      }
      names.push_back(v.text);
    }
  } else if (const JsonValue* entries = root.Find("entries");
             entries != nullptr && entries->is_array()) {
    for (const JsonValue& v : entries->array) {
      const JsonValue* n = v.Find("name");
      if (n == nullptr || !n->is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": an \"entries\" item has no \"name\" string"));
      }
      names.push_back(n->text);
    }
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": no \"order\" array or \"entries\" array; expected the dump's layer order"));
  }
  return names;
}

absl::StatusOr<Checkpoint> LoadNpyDirectory(const std::string& dir) {
  std::vector<std::string> files;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return absl::NotFoundError(absl::StrCat(dir, ": cannot list the directory"));
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (absl::EndsWith(n, ".npy")) files.push_back(n.substr(0, n.size() - 4));
  }
  ::closedir(d);
  std::sort(files.begin(), files.end());
  ASSIGN_OR_RETURN(std::vector<std::string> order, ManifestOrder(dir));
  if (!order.empty()) {
    // Manifest order first; files the manifest does not name follow in sorted order.
    std::vector<std::string> rest;
    for (const std::string& f : files) {
      if (std::find(order.begin(), order.end(), f) == order.end()) rest.push_back(f);
    }
    for (const std::string& n : order) {
      if (!std::binary_search(files.begin(), files.end(), n)) {
        return absl::NotFoundError(absl::StrCat(dir, "/manifest.json: layer \"", n,
                                                "\" has no file ", n, ".npy in the directory"));
      }
    }
    order.insert(order.end(), rest.begin(), rest.end());
    files = order;
  }
  if (files.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(dir, ": no .npy files; expected a dump"));
  }
  Checkpoint out;
  out.format = "npy-dir";
  for (const std::string& name : files) {
    ASSIGN_OR_RETURN(Checkpoint one, ReadCheckpoint(dir + "/" + name + ".npy", "npy"));
    if (one.tensors.size() != 1) {
      return absl::InvalidArgumentError(absl::StrCat(dir, "/", name, ".npy: holds ",
                                                     one.tensors.size(), " arrays, expected 1"));
    }
    out.tensors.push_back({name, std::move(one.tensors[0].tensor)});
  }
  return out;
}

}  // namespace

absl::StatusOr<Checkpoint> LoadDump(const std::string& path) {
  if (IsDirectory(path)) return LoadNpyDirectory(path);
  ASSIGN_OR_RETURN(Checkpoint c, ReadCheckpoint(path));
  // NumPy's npz entry names end in .npy; a dump's layer names do not.
  for (NamedTensor& t : c.tensors) {
    if (absl::EndsWith(t.name, ".npy")) t.name.resize(t.name.size() - 4);
  }
  return c;
}

struct NameMapping::Rename {
  std::unique_ptr<RE2> re;
  std::string replacement;
};
struct NameMapping::Layout {
  std::unique_ptr<RE2> re;
  std::vector<int> perm;
};

NameMapping::NameMapping() = default;
NameMapping::~NameMapping() = default;
NameMapping::NameMapping(NameMapping&&) = default;
NameMapping& NameMapping::operator=(NameMapping&&) = default;

absl::Status NameMapping::AddRename(const std::string& pattern, const std::string& replacement,
                                    const std::string& source) {
  auto re = std::make_unique<RE2>(pattern, RE2::Quiet);
  if (!re->ok()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": rename pattern \"", pattern,
                                                   "\" is not a valid RE2: ", re->error()));
  }
  std::string error;
  if (!re->CheckRewriteString(replacement, &error)) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": rename replacement \"", replacement,
                                                   "\": ", error));
  }
  renames_.push_back({std::move(re), replacement});
  return absl::OkStatus();
}

absl::Status NameMapping::AddLayout(const std::string& pattern, std::vector<int> perm,
                                    const std::string& source) {
  auto re = std::make_unique<RE2>(pattern, RE2::Quiet);
  if (!re->ok()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": layout pattern \"", pattern,
                                                   "\" is not a valid RE2: ", re->error()));
  }
  std::vector<int> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (sorted[i] != static_cast<int>(i)) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": layout for \"", pattern, "\" has perm [",
                       absl::StrJoin(perm, ", "), "], expected a permutation of 0..",
                       perm.size() - 1));
    }
  }
  layouts_.push_back({std::move(re), std::move(perm)});
  return absl::OkStatus();
}

absl::Status NameMapping::AddFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadText(path));
  NameMap m;
  if (!google::protobuf::TextFormat::ParseFromString(text, &m)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a valid NameMap textproto (rename { pattern replacement }, "
                           "layout { pattern perm })"));
  }
  for (const RenameRule& r : m.rename()) {
    RETURN_IF_ERROR(AddRename(r.pattern(), r.replacement(), path));
  }
  for (const LayoutRule& l : m.layout()) {
    RETURN_IF_ERROR(AddLayout(l.pattern(), {l.perm().begin(), l.perm().end()}, path));
  }
  return absl::OkStatus();
}

std::string NameMapping::MapName(const std::string& candidate_name) const {
  std::string name = candidate_name;
  for (const Rename& r : renames_) RE2::GlobalReplace(&name, *r.re, r.replacement);
  return name;
}

std::optional<std::vector<int>> NameMapping::LayoutFor(const std::string& reference_name) const {
  for (const Layout& l : layouts_) {
    if (RE2::PartialMatch(reference_name, *l.re)) return l.perm;
  }
  return std::nullopt;
}

struct ToleranceSet::Rule {
  std::unique_ptr<RE2> re;
  ToleranceRule proto;
};

ToleranceSet::ToleranceSet() = default;
ToleranceSet::~ToleranceSet() = default;
ToleranceSet::ToleranceSet(ToleranceSet&&) = default;
ToleranceSet& ToleranceSet::operator=(ToleranceSet&&) = default;

absl::Status ToleranceSet::AddFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadText(path));
  return AddText(text, path);
}

absl::Status ToleranceSet::AddText(const std::string& textproto, const std::string& source) {
  ToleranceConfig config;
  if (!google::protobuf::TextFormat::ParseFromString(textproto, &config)) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": not a valid ToleranceConfig textproto (rule { pattern: \"...\" atol: ... })"));
  }
  for (const ToleranceRule& r : config.rule()) {
    auto re = std::make_unique<RE2>(r.pattern(), RE2::Quiet);
    if (!r.has_pattern() || !re->ok()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": rule pattern \"", r.pattern(),
                                                     "\" is missing or not a valid RE2"));
    }
    rules_.push_back({std::move(re), r});
  }
  return absl::OkStatus();
}

Tolerance ToleranceSet::For(const std::string& reference_name) const {
  Tolerance t = defaults_;
  // Later rules first, so the first matching rule wins each field it sets.
  for (auto it = rules_.rbegin(); it != rules_.rend(); ++it) {
    if (!RE2::PartialMatch(reference_name, *it->re)) continue;
    const ToleranceRule& r = it->proto;
    if (r.has_atol()) t.atol = r.atol();
    if (r.has_rtol()) t.rtol = r.rtol();
    if (r.has_min_cosine()) t.min_cosine = r.min_cosine();
    if (r.has_min_sqnr_db()) t.min_sqnr_db = r.min_sqnr_db();
    if (r.has_max_mismatch_fraction()) t.max_mismatch_fraction = r.max_mismatch_fraction();
    if (r.has_audio()) t.audio = r.audio();
    if (r.has_spectrogram()) t.spectrogram = r.spectrogram();
    if (r.has_range_min()) t.range_min = r.range_min();
    if (r.has_range_max()) t.range_max = r.range_max();
    if (r.has_skip()) t.skip = r.skip();
    if (r.has_allow_constant()) t.allow_constant = r.allow_constant();
  }
  return t;
}

}  // namespace verify
}  // namespace tp
