#include "formats/npy/npz.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <cstring>
#include <memory>
#include <set>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/byte_source.h"
#include "formats/json/json.h"
#include "formats/json/json_writer.h"
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

namespace {

// A deflated .npy entry: its header is inflated and parsed now, its data stays compressed and is
// inflated a block at a time by whoever reads the tensor (TensorBlockReader), so listing a 2 GiB
// entry reads a few hundred bytes and a pass over it holds one block.
absl::StatusOr<Tensor> StreamedNpy(const std::shared_ptr<const ZipReader>& zip, const ZipEntry& e,
                                   const std::string& source) {
  ASSIGN_OR_RETURN(std::unique_ptr<ByteStream> stream, zip->OpenStream(e));
  // Magic, version and the length field: 12 bytes at most (10 for version 1.0).
  std::string prefix(static_cast<size_t>(std::min<uint64_t>(12, e.uncompressed_size)), '\0');
  RETURN_IF_ERROR(ReadFully(*stream, reinterpret_cast<uint8_t*>(&prefix[0]), prefix.size(), source));
  ASSIGN_OR_RETURN(uint64_t header_end, NpyHeaderLength(prefix, source));
  if (header_end > e.uncompressed_size) {
    return absl::OutOfRangeError(absl::StrCat(source, ": .npy header of ", header_end,
                                              " bytes is longer than the ", e.uncompressed_size,
                                              "-byte entry"));
  }
  // header_end is bounded by the entry's declared size, which the zip reader held to deflate's
  // expansion limit; the bytes are read (and so exist) before the header is parsed.
  if (header_end > prefix.size()) {
    const size_t have = prefix.size();
    std::string rest;
    constexpr size_t kStep = 1 << 16;
    while (have + rest.size() < header_end) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(kStep, header_end - have - rest.size()));
      const size_t at = rest.size();
      rest.resize(at + n);
      RETURN_IF_ERROR(ReadFully(*stream, reinterpret_cast<uint8_t*>(&rest[at]), n, source));
    }
    prefix += rest;
  }
  ASSIGN_OR_RETURN(NpyHeader h, ParseNpyHeader(prefix, e.uncompressed_size, source));
  if (h.data_offset + h.data_bytes != e.uncompressed_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": shape ", ShapeToString(h.shape), " of '", h.descr, "' needs ", h.data_bytes,
        " data bytes after a ", h.data_offset, "-byte header, the entry declares ",
        e.uncompressed_size, " bytes in all"));
  }
  if (h.fortran_order && h.shape.size() > 1 && h.data_bytes > 0) {
    // Column-major data cannot be read front to back in row-major order: inflate it whole.
    ASSIGN_OR_RETURN(ZipData data, zip->Read(e));
    return ParseNpy(data.bytes(), data.keep_alive(), source);
  }
  return Tensor::Streamed(h.dtype, h.shape, ZipReader::Source(zip, e, h.data_offset), h.order);
}

}  // namespace

absl::StatusOr<Checkpoint> ReadNpzFile(const std::string& path, const NpzReadOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<ZipReader> opened, ZipReader::Open(path));
  if (options.max_inflate_ratio.has_value()) opened->set_max_inflate_ratio(*options.max_inflate_ratio);
  const std::shared_ptr<const ZipReader> zip = std::move(opened);
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
    const std::string source = absl::StrCat(path, ": entry ", Quoted(e.name));
    if (e.method != 0) {
      ASSIGN_OR_RETURN(Tensor t, StreamedNpy(zip, e, source));
      ckpt.tensors.push_back({name, std::move(t)});
      continue;
    }
    // Stored entries are views into the mapping (aligned or not) that can release their pages.
    ASSIGN_OR_RETURN(ZipData data, zip->Read(e));
    ASSIGN_OR_RETURN(Tensor t, ParseNpy(data.bytes(), data.mapped_file(), source));
    ckpt.tensors.push_back({name, std::move(t)});
  }
  return ckpt;
}

std::string NpzMetadataPath(const std::string& path) { return path + ".json"; }

absl::Status WriteNpzMetadata(const std::string& path, const Metadata& metadata) {
  const std::string sidecar = NpzMetadataPath(path);
  if (metadata.empty()) {
    ::unlink(sidecar.c_str());
    return absl::OkStatus();
  }
  JsonWriter w(/*indent=*/1);
  w.BeginObject();
  w.Key("record").String(kNpzMetadataRecord);
  w.Key("metadata").BeginObject();
  for (const auto& [key, value] : metadata) {
    w.Key(key).String(value.type == MetaValue::Type::kString ? value.s : value.ToJson());
  }
  w.EndObject();
  w.EndObject();
  ASSIGN_OR_RETURN(std::unique_ptr<OutputFile> out, OutputFile::Create(sidecar));
  RETURN_IF_ERROR(out->Write(w.Finish()));
  return out->Commit();
}

absl::StatusOr<Metadata> ReadNpzMetadata(const std::string& path) {
  Metadata out;
  const std::string sidecar = NpzMetadataPath(path);
  std::ifstream in(sidecar, std::ios::binary);
  if (!in) return out;
  std::stringstream ss;
  ss << in.rdbuf();
  ASSIGN_OR_RETURN(JsonValue root, ParseJson(ss.str(), sidecar, {.max_depth = 8,
                                                                   .max_values = 1 << 20}));
  const JsonValue* record = root.Find("record");
  if (record == nullptr || !record->is_string() || record->text != kNpzMetadataRecord) {
    return out;  // some other file of that name: not ours
  }
  const JsonValue* meta = root.Find("metadata");
  if (meta == nullptr || !meta->is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(sidecar, ": \"metadata\" is not an object"));
  }
  for (const auto& [key, value] : meta->object) {
    if (!value.is_string()) {
      return absl::InvalidArgumentError(absl::StrCat(sidecar, ": metadata \"", key,
                                                     "\" is ", JsonKindName(value.kind),
                                                     ", expected a string"));
    }
    out.emplace_back(key, MetaValue::String(value.text));
  }
  return out;
}

absl::Status WriteNpzStreaming(const std::string& path, const std::vector<TensorSpec>& specs,
                               const TensorProducer& produce, const NpzWriteOptions& options) {
  // Check every dtype before creating anything.
  std::set<std::string> names;
  for (const TensorSpec& s : specs) {
    RETURN_IF_ERROR_CONTEXT(NpyDescrFor(s.dtype).status(),
                            absl::StrCat(path, ": tensor ", Quoted(s.name)));
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

absl::StatusOr<Checkpoint> ReadNpzCheckpoint(const std::string& path, const ReadOptions& options) {
  ASSIGN_OR_RETURN(Checkpoint c, ReadNpzFile(path, {.max_inflate_ratio = options.max_inflate_ratio}));
  ASSIGN_OR_RETURN(c.metadata, ReadNpzMetadata(path));
  return c;
}

absl::Status WriteNpzCheckpoint(const std::string& path, const Metadata& metadata,
                                const std::vector<TensorSpec>& specs,
                                const TensorProducer& produce, const WriteOptions& options) {
  RETURN_IF_ERROR(WriteNpzStreaming(path, specs, produce, {.compress = options.compress}));
  // .npz has nowhere to keep metadata: a sidecar does, or a stale one is removed.
  return WriteNpzMetadata(path, metadata);
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
