#include "formats/registry.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/mapped_file.h"
#include "core/status_macros.h"

namespace tp {
namespace {

std::map<std::string, FormatHandler>& Registry() {
  static auto* registry = new std::map<std::string, FormatHandler>();
  return *registry;
}

std::string KnownIds() {
  std::vector<std::string> ids;
  for (const auto& kv : Registry()) ids.push_back(kv.first);
  return absl::StrJoin(ids, ", ");
}

std::string Printable(absl::string_view head) {
  std::string shown(head.substr(0, 8));
  return absl::CHexEscape(shown);
}

}  // namespace

FormatRegistration::FormatRegistration(FormatHandler handler) {
  std::string id = handler.id;
  Registry()[id] = std::move(handler);
}

std::vector<const FormatHandler*> AllFormats() {
  std::vector<const FormatHandler*> out;
  for (const auto& kv : Registry()) out.push_back(&kv.second);
  return out;
}

absl::StatusOr<const FormatHandler*> FindFormat(absl::string_view id) {
  auto it = Registry().find(std::string(id));
  if (it == Registry().end()) {
    return absl::NotFoundError(
        absl::StrCat("\"", id, "\" is not a known format; known: ", KnownIds()));
  }
  return &it->second;
}

absl::StatusOr<const FormatHandler*> DetectFormat(const std::string& path) {
  ASSIGN_OR_RETURN(std::shared_ptr<const MappedFile> file, MappedFile::Open(path));
  if (file->size() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": file is empty, expected a checkpoint or dump (", KnownIds(), ")"));
  }
  absl::string_view head = file->bytes().substr(0, 4096);
  for (const auto& kv : Registry()) {
    if (kv.second.detect && kv.second.detect(head, file->size())) return &kv.second;
  }
  return absl::InvalidArgumentError(absl::StrCat(path, ": unrecognized format, first bytes \"",
                                                 Printable(head), "\" match none of: ",
                                                 KnownIds()));
}

absl::StatusOr<const FormatHandler*> FormatForExtension(const std::string& path) {
  const std::string lower = absl::AsciiStrToLower(path);
  for (const auto& kv : Registry()) {
    for (const std::string& ext : kv.second.extensions) {
      if (absl::EndsWith(lower, ext) && kv.second.write) return &kv.second;
    }
  }
  std::vector<std::string> writable;
  for (const auto& kv : Registry()) {
    if (kv.second.write) writable.push_back(absl::StrCat(kv.first));
  }
  return absl::InvalidArgumentError(absl::StrCat(path, ": cannot tell the output format from the ",
                                                 "extension; writable formats: ",
                                                 absl::StrJoin(writable, ", ")));
}

absl::StatusOr<Checkpoint> ReadCheckpoint(const std::string& path, absl::string_view format_id,
                                          const ReadOptions& options) {
  const FormatHandler* handler = nullptr;
  if (format_id.empty()) {
    ASSIGN_OR_RETURN(handler, DetectFormat(path));
  } else {
    ASSIGN_OR_RETURN(handler, FindFormat(format_id));
  }
  if (!handler->read) {
    return absl::UnimplementedError(absl::StrCat("format ", handler->id, " cannot be read"));
  }
  ASSIGN_OR_RETURN(Checkpoint ckpt, handler->read(path, options));
  ckpt.format = handler->id;
  return ckpt;
}

absl::Status WriteCheckpoint(const std::string& path, absl::string_view format_id,
                             const Checkpoint& checkpoint, const WriteOptions& options) {
  ASSIGN_OR_RETURN(const FormatHandler* handler, FindFormat(format_id));
  if (!handler->write) {
    return absl::UnimplementedError(absl::StrCat("format ", handler->id, " cannot be written"));
  }
  std::vector<TensorSpec> specs;
  for (const NamedTensor& t : checkpoint.tensors) {
    specs.push_back({t.name, t.tensor.dtype(), t.tensor.shape()});
  }
  return handler->write(path, checkpoint.metadata, specs,
                        [&](size_t i) -> absl::StatusOr<Tensor> {
                          return checkpoint.tensors[i].tensor.Contiguous();
                        },
                        options);
}

}  // namespace tp
