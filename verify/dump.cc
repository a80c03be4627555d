#include "verify/dump.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/metadata.h"
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
      return absl::InvalidArgumentError(
          absl::StrCat(dir, "/", name, ".npy: holds ", one.tensors.size(), " arrays, expected 1"));
    }
    out.tensors.push_back({name, std::move(one.tensors[0].tensor)});
  }
  return out;
}

// Safetensors writers sort tensors by dtype and name, so a safetensors (or GGUF) dump carries its
// execution order in the metadata key "order": names separated by commas or newlines (or, in
// GGUF, an array of strings). Named entries come first in that order, the rest keep theirs.
absl::Status ApplyMetadataOrder(const std::string& path, Checkpoint& c) {
  const MetaValue* order = FindMeta(c.metadata, "order");
  if (order == nullptr) return absl::OkStatus();
  std::vector<std::string> names;
  if (order->type == MetaValue::Type::kString) {
    for (absl::string_view n :
         absl::StrSplit(order->s, absl::ByAnyChar(",\n"), absl::SkipEmpty())) {
      names.emplace_back(absl::StripAsciiWhitespace(n));
    }
  } else if (order->type == MetaValue::Type::kArray &&
             order->element_type == MetaValue::Type::kString) {
    for (const MetaValue& v : order->array) names.push_back(v.s);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": metadata \"order\" is ", MetaTypeName(order->type),
                     ", expected the layer names in execution order (a comma-separated string)"));
  }
  absl::flat_hash_map<std::string, size_t> index;
  for (size_t i = 0; i < c.tensors.size(); ++i) index[c.tensors[i].name] = i;
  std::vector<bool> placed(c.tensors.size(), false);
  std::vector<NamedTensor> out;
  for (const std::string& n : names) {
    auto it = index.find(n);
    if (it == index.end()) {
      return absl::NotFoundError(absl::StrCat(path, ": metadata \"order\" names \"", n,
                                              "\", which is not a tensor of the file"));
    }
    if (placed[it->second]) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": metadata \"order\" names \"", n, "\" twice"));
    }
    placed[it->second] = true;
    out.push_back(std::move(c.tensors[it->second]));
  }
  for (size_t i = 0; i < c.tensors.size(); ++i) {
    if (!placed[i]) out.push_back(std::move(c.tensors[i]));
  }
  c.tensors = std::move(out);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Checkpoint> LoadDump(const std::string& path) {
  if (IsDirectory(path)) return LoadNpyDirectory(path);
  ASSIGN_OR_RETURN(Checkpoint c, ReadCheckpoint(path));
  // NumPy's npz entry names end in .npy; a dump's layer names do not.
  for (NamedTensor& t : c.tensors) {
    if (absl::EndsWith(t.name, ".npy")) t.name.resize(t.name.size() - 4);
  }
  RETURN_IF_ERROR(ApplyMetadataOrder(path, c));
  return c;
}

struct NameMapping::Rename {
  std::unique_ptr<RE2> re;
  std::string replacement;
};
struct NameMapping::Layout {
  std::unique_ptr<RE2> re;
  std::vector<int> perm;
  Shape reshape;
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
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": rename replacement \"", replacement, "\": ", error));
  }
  renames_.push_back({std::move(re), replacement});
  return absl::OkStatus();
}

void NameMapping::AddPair(const std::string& candidate, const std::string& reference) {
  pairs_[candidate] = reference;
}

absl::Status NameMapping::AddLayout(const std::string& pattern, std::vector<int> perm,
                                    const std::string& source, Shape reshape) {
  auto re = std::make_unique<RE2>(pattern, RE2::Quiet);
  if (!re->ok()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": layout pattern \"", pattern,
                                                   "\" is not a valid RE2: ", re->error()));
  }
  std::vector<int> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (sorted[i] != static_cast<int>(i)) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ": layout for \"", pattern, "\" has perm [", absl::StrJoin(perm, ", "),
          "], expected a permutation of 0..", perm.size() - 1));
    }
  }
  layouts_.push_back({std::move(re), std::move(perm), std::move(reshape)});
  return absl::OkStatus();
}

absl::Status NameMapping::AddFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadText(path));
  NameMap m;
  if (!google::protobuf::TextFormat::ParseFromString(text, &m)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path,
                     ": not a valid NameMap textproto (rename { pattern replacement }, "
                     "layout { pattern perm reshape }, pair { candidate reference })"));
  }
  for (const RenameRule& r : m.rename()) {
    RETURN_IF_ERROR(AddRename(r.pattern(), r.replacement(), path));
  }
  for (const LayoutRule& l : m.layout()) {
    RETURN_IF_ERROR(AddLayout(l.pattern(), {l.perm().begin(), l.perm().end()}, path,
                              Shape(l.reshape().begin(), l.reshape().end())));
  }
  for (const PairRule& p : m.pair()) AddPair(p.candidate(), p.reference());
  return absl::OkStatus();
}

std::string NameMapping::MapName(const std::string& candidate_name) const {
  auto pair = pairs_.find(candidate_name);
  if (pair != pairs_.end()) return pair->second;
  std::string name = candidate_name;
  for (const Rename& r : renames_) RE2::GlobalReplace(&name, *r.re, r.replacement);
  return name;
}

std::optional<NameMapping::LayoutChange> NameMapping::LayoutFor(
    const std::string& reference_name) const {
  for (const Layout& l : layouts_) {
    if (RE2::PartialMatch(reference_name, *l.re)) return LayoutChange{l.reshape, l.perm};
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
