#include "formats/npy/npz.h"

#include <cstring>
#include <memory>
#include <set>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/output_file.h"
#include "core/status_macros.h"
#include "formats/npy/npy.h"
#include "formats/zip/zip.h"

namespace tp {
namespace {

constexpr uint32_t kDataAlign = 64;

std::string Quoted(absl::string_view s) { return absl::StrCat("\"", absl::CHexEscape(s), "\""); }

}  // namespace

bool LooksLikeNpz(absl::string_view head) {
  if (head.size() >= 22 && absl::StartsWith(head, "PK\5\6")) return true;  // empty archive
  if (head.size() < 30 || !absl::StartsWith(head, "PK\3\4")) return false;
  uint16_t name_len;
  std::memcpy(&name_len, head.data() + 26, 2);
  if (name_len < 4 || head.size() < 30u + name_len) return false;
  return absl::EndsWith(head.substr(30, name_len), ".npy");
}

absl::StatusOr<Checkpoint> ReadNpzFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<ZipReader> zip, ZipReader::Open(path));
  Checkpoint ckpt;
  ckpt.format = "npz";
  std::set<std::string> seen;
  for (const ZipEntry& e : zip->entries()) {
    if (!absl::EndsWith(e.name, ".npy")) {
      ckpt.warnings.push_back(absl::StrCat(path, ": entry ", Quoted(e.name),
                                           " is not a .npy array; skipped"));
      continue;
    }
    const std::string name = e.name.substr(0, e.name.size() - 4);
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": entry ", Quoted(e.name), " appears twice; expected unique names"));
    }
    ASSIGN_OR_RETURN(ZipData data, zip->Read(e));
    const std::string source = absl::StrCat(path, ": entry ", Quoted(e.name));
    // Stored entries are views into the mapping (aligned or not) that can release their pages;
    // deflated entries were inflated into an owned buffer.
    absl::StatusOr<Tensor> t = data.mapped_file() != nullptr
                                   ? ParseNpy(data.bytes(), data.mapped_file(), source)
                                   : ParseNpy(data.bytes(), data.keep_alive(), source);
    RETURN_IF_ERROR(t.status());
    ckpt.tensors.push_back({name, *std::move(t)});
  }
  return ckpt;
}

absl::Status WriteNpzStreaming(const std::string& path, const std::vector<TensorSpec>& specs,
                               const TensorProducer& produce, const NpzWriteOptions& options) {
  // Check every dtype before creating anything.
  std::set<std::string> names;
  for (const TensorSpec& s : specs) {
    absl::StatusOr<std::string> descr = NpyDescrFor(s.dtype);
    if (!descr.ok()) {
      return absl::Status(descr.status().code(),
                          absl::StrCat(path, ": tensor ", Quoted(s.name), ": ",
                                       descr.status().message()));
    }
    if (!names.insert(s.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": tensor ", Quoted(s.name), " appears twice; .npz names are unique"));
    }
  }
  ASSIGN_OR_RETURN(std::unique_ptr<OutputFile> out, OutputFile::Create(path));
  ZipWriter zip(out.get());
  for (size_t i = 0; i < specs.size(); ++i) {
    const TensorSpec& spec = specs[i];
    const std::string what = absl::StrCat(path, ": tensor ", Quoted(spec.name));
    ASSIGN_OR_RETURN(Tensor t, produce(i));
    if (t.dtype() != spec.dtype || t.shape() != spec.shape) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, " is ", DTypeName(t.dtype()), " ", ShapeToString(t.shape()), ", expected ",
          DTypeName(spec.dtype), " ", ShapeToString(spec.shape)));
    }
    ASSIGN_OR_RETURN(Tensor packed, t.Contiguous());
    ASSIGN_OR_RETURN(std::string header, NpyHeaderBytes(packed.dtype(), packed.shape(), what));
    const absl::string_view parts[] = {
        header, absl::string_view(reinterpret_cast<const char*>(packed.data()),
                                  static_cast<size_t>(packed.nbytes()))};
    RETURN_IF_ERROR(zip.AddParts(absl::StrCat(spec.name, ".npy"), parts,
                                 options.compress ? 8 : 0, kDataAlign));
  }
  RETURN_IF_ERROR(zip.Finish());
  return out->Commit();
}

absl::Status WriteNpzFile(const std::string& path, const std::vector<NamedTensor>& tensors,
                          const NpzWriteOptions& options) {
  std::vector<TensorSpec> specs;
  specs.reserve(tensors.size());
  for (const NamedTensor& t : tensors) specs.push_back({t.name, t.tensor.dtype(), t.tensor.shape()});
  return WriteNpzStreaming(
      path, specs, [&](size_t i) -> absl::StatusOr<Tensor> { return tensors[i].tensor; },
      options);
}

namespace {

absl::StatusOr<Checkpoint> ReadNpzCheckpoint(const std::string& path, const ReadOptions&) {
  return ReadNpzFile(path);
}

absl::Status WriteNpzCheckpoint(const std::string& path, const Metadata& metadata,
                                const std::vector<TensorSpec>& specs,
                                const TensorProducer& produce, const WriteOptions& options) {
  (void)metadata;  // .npz has nowhere to keep metadata
  return WriteNpzStreaming(path, specs, produce, {.compress = options.compress});
}

const FormatRegistration kNpzRegistration({
    .id = "npz",
    .description = "NumPy archive of arrays (.npz, np.savez / np.savez_compressed)",
    .extensions = {".npz"},
    .detect = [](absl::string_view head, uint64_t) { return LooksLikeNpz(head); },
    .read = &ReadNpzCheckpoint,
    .write = &WriteNpzCheckpoint,
});

}  // namespace
}  // namespace tp
