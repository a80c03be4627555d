#include "formats/safetensors/safetensors.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/byte_reader.h"
#include "core/mapped_file.h"
#include "core/output_file.h"
#include "core/status_macros.h"
#include "formats/json/json.h"

namespace tp {
namespace {

struct DTypeName {
  absl::string_view name;
  DType dtype;
};

constexpr DTypeName kDTypes[] = {
    {"F32", DType::kF32}, {"F16", DType::kF16}, {"BF16", DType::kBF16}, {"F64", DType::kF64},
    {"I8", DType::kI8},   {"I16", DType::kI16}, {"I32", DType::kI32},   {"I64", DType::kI64},
    {"U8", DType::kU8},   {"BOOL", DType::kBool},
};

std::string SupportedNames() {
  std::vector<std::string> names;
  for (const DTypeName& d : kDTypes) names.emplace_back(d.name);
  return absl::StrJoin(names, ", ");
}

absl::StatusOr<DType> DTypeFromSafetensors(absl::string_view name) {
  for (const DTypeName& d : kDTypes) {
    if (d.name == name) return d.dtype;
  }
  return absl::UnimplementedError(absl::StrCat("dtype \"", name, "\" is not supported, expected one of ",
                                               SupportedNames()));
}

absl::StatusOr<absl::string_view> SafetensorsDTypeName(DType dtype) {
  for (const DTypeName& d : kDTypes) {
    if (d.dtype == dtype) return d.name;
  }
  return absl::UnimplementedError(absl::StrCat("dtype ", tp::DTypeName(dtype),
                                               " has no safetensors equivalent (supported: ",
                                               SupportedNames(), ")"));
}

struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin;
  uint64_t end;
};

// One header entry {"dtype", "shape", "data_offsets"}, checked against the data section size.
absl::StatusOr<Entry> ParseEntry(const std::string& source, const std::string& name,
                                 const JsonValue& info, uint64_t data_size) {
  const std::string where = absl::StrCat(source, ": tensor \"", name, "\"");
  if (!info.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": entry is a ", JsonKindName(info.kind),
                                                   ", expected an object"));
  }
  if (const std::string* dup = FindDuplicateKey(info)) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": key \"", *dup, "\" appears twice"));
  }
  const JsonValue* dtype = info.Find("dtype");
  const JsonValue* shape = info.Find("shape");
  const JsonValue* offsets = info.Find("data_offsets");
  if (dtype == nullptr || shape == nullptr || offsets == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": entry lacks ", dtype == nullptr ? "\"dtype\"" : shape == nullptr ? "\"shape\"" : "\"data_offsets\"",
        ", expected dtype, shape and data_offsets"));
  }
  Entry e;
  e.name = name;
  if (!dtype->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": dtype is a ", JsonKindName(dtype->kind), ", expected a string"));
  }
  ASSIGN_OR_RETURN_CONTEXT(e.dtype, DTypeFromSafetensors(dtype->text), where);
  if (!shape->is_array()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": shape is a ", JsonKindName(shape->kind), ", expected an array"));
  }
  uint64_t numel = 1;
  for (size_t k = 0; k < shape->array.size(); ++k) {
    absl::StatusOr<uint64_t> d = shape->array[k].AsUint64(absl::StrCat("shape[", k, "]"));
    if (!d.ok()) return absl::InvalidArgumentError(absl::StrCat(where, ": ", d.status().message()));
    if (*d > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
        (*d != 0 && numel > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / *d)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": shape ", ShapeToString(e.shape), " x ", *d, " overflows 64 bits"));
    }
    numel *= *d;
    e.shape.push_back(static_cast<int64_t>(*d));
  }
  if (!offsets->is_array() || offsets->array.size() != 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": data_offsets is ",
        offsets->is_array() ? absl::StrCat("an array of ", offsets->array.size())
                            : std::string(JsonKindName(offsets->kind)),
        ", expected [begin, end]"));
  }
  for (int k = 0; k < 2; ++k) {
    absl::StatusOr<uint64_t> v = offsets->array[k].AsUint64(absl::StrCat("data_offsets[", k, "]"));
    if (!v.ok()) return absl::InvalidArgumentError(absl::StrCat(where, ": ", v.status().message()));
    (k == 0 ? e.begin : e.end) = *v;
  }
  if (e.end < e.begin) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": data_offsets [", e.begin, ", ", e.end,
                                                   "] end before they begin"));
  }
  if (e.end > data_size) {
    return absl::OutOfRangeError(absl::StrCat(where, ": data_offsets [", e.begin, ", ", e.end,
                                              "] run past the data section (", data_size,
                                              " bytes)"));
  }
  const uint64_t size = static_cast<uint64_t>(ElementSize(e.dtype));
  if (numel > std::numeric_limits<uint64_t>::max() / size || numel * size != e.end - e.begin) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": ", dtype->text, " ", ShapeToString(e.shape), " needs ", numel, " x ", size,
        " bytes, data_offsets [", e.begin, ", ", e.end, "] hold ", e.end - e.begin));
  }
  return e;
}

std::string MetadataString(const MetaValue& v) {
  switch (v.type) {
    case MetaValue::Type::kString: return v.s;
    case MetaValue::Type::kF32:
      return std::isfinite(v.f) ? absl::StrFormat("%.9g", v.f) : v.ToString();
    case MetaValue::Type::kF64:
      return std::isfinite(v.f) ? absl::StrFormat("%.17g", v.f) : v.ToString();
    case MetaValue::Type::kArray: return v.ToJson();
    case MetaValue::Type::kNone: return "None";
    default: return v.ToString();
  }
}

// One of `keep_alive` / `file` is set; views made with `file` (ReadSafetensors: the bytes are the
// whole mapping) can release their pages.
absl::StatusOr<Checkpoint> ParseSafetensorsImpl(absl::string_view bytes,
                                                std::shared_ptr<const void> keep_alive,
                                                std::shared_ptr<const MappedFile> file,
                                                const std::string& source) {
  ByteReader r(bytes, source);
  ASSIGN_OR_RETURN(uint64_t header_size, r.Read<uint64_t>("header length"));
  if (header_size > kSafetensorsMaxHeaderBytes) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": header length ", header_size,
                                                   " exceeds the limit of ",
                                                   kSafetensorsMaxHeaderBytes, " bytes"));
  }
  ASSIGN_OR_RETURN(absl::string_view header, r.ReadBytes(header_size, "header"));
  const uint64_t data_start = r.offset();
  const uint64_t data_size = r.remaining();
  if (header.empty() || header[0] != '{') {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": header starts with ",
        header.empty() ? std::string("nothing") : absl::StrFormat("byte 0x%02x", static_cast<unsigned char>(header[0])),
        ", expected '{'"));
  }
  JsonLimits limits;
  limits.max_values = kSafetensorsMaxHeaderValues;
  ASSIGN_OR_RETURN(JsonValue root, ParseJson(header, absl::StrCat(source, ": header"), limits));
  if (!root.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": header is a ",
                                                   JsonKindName(root.kind), ", expected an object"));
  }
  if (const std::string* dup = FindDuplicateKey(root)) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": header names \"", *dup, "\" twice, expected unique names"));
  }

  Checkpoint ckpt;
  ckpt.format = "safetensors";
  std::vector<Entry> entries;
  entries.reserve(root.object.size());
  for (const auto& kv : root.object) {
    if (kv.first == "__metadata__") {
      if (kv.second.is_null()) continue;
      if (!kv.second.is_object()) {
        return absl::InvalidArgumentError(absl::StrCat(source, ": __metadata__ is a ",
                                                       JsonKindName(kv.second.kind),
                                                       ", expected an object of strings"));
      }
      if (const std::string* dup = FindDuplicateKey(kv.second)) {
        return absl::InvalidArgumentError(
            absl::StrCat(source, ": __metadata__ names \"", *dup, "\" twice"));
      }
      for (const auto& m : kv.second.object) {
        if (!m.second.is_string()) {
          return absl::InvalidArgumentError(absl::StrCat(source, ": __metadata__ \"", m.first,
                                                         "\" is a ", JsonKindName(m.second.kind),
                                                         ", expected a string"));
        }
        ckpt.metadata.emplace_back(m.first, MetaValue::String(m.second.text));
      }
      continue;
    }
    ASSIGN_OR_RETURN(Entry e, ParseEntry(source, kv.first, kv.second, data_size));
    entries.push_back(std::move(e));
  }

  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t expected = 0;
  const Entry* previous = nullptr;
  for (const Entry& e : entries) {
    if (e.begin != expected) {
      const std::string after =
          previous ? absl::StrCat("tensor \"", previous->name, "\" ends at ", expected)
                   : std::string("the data section starts at 0");
      return absl::InvalidArgumentError(absl::StrCat(
          source, ": tensor \"", e.name, "\": data_offsets [", e.begin, ", ", e.end, "] ",
          e.begin < expected ? "overlap" : "leave a gap", ": ", after, ", expected begin ",
          expected));
    }
    expected = e.end;
    previous = &e;
  }
  if (expected != data_size) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": tensors cover ", expected,
                                                   " bytes of the data section, which holds ",
                                                   data_size, ", expected them to cover all of it"));
  }

  const uint8_t* base = reinterpret_cast<const uint8_t*>(bytes.data()) + data_start;
  ckpt.tensors.reserve(entries.size());
  for (Entry& e : entries) {
    // Entries sit at any byte offset (the header length is arbitrary): misaligned views are not
    // packed, and Contiguous() copies them when a caller needs typed reads.
    ckpt.tensors.push_back(
        {std::move(e.name),
         file != nullptr ? Tensor::View(e.dtype, std::move(e.shape), file, base + e.begin)
                         : Tensor::View(e.dtype, std::move(e.shape), keep_alive, base + e.begin)});
  }
  return ckpt;
}

}  // namespace

absl::StatusOr<Checkpoint> ParseSafetensors(absl::string_view bytes,
                                            std::shared_ptr<const void> keep_alive,
                                            const std::string& source) {
  return ParseSafetensorsImpl(bytes, std::move(keep_alive), nullptr, source);
}

absl::StatusOr<Checkpoint> ReadSafetensors(const std::string& path, const ReadOptions& options) {
  if (!options.select.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": --select \"", options.select, "\" applies to PyTorch checkpoints, "
                     "a safetensors file is a flat list of tensors"));
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const MappedFile> file, MappedFile::Open(path));
  const absl::string_view bytes = file->bytes();
  return ParseSafetensorsImpl(bytes, nullptr, std::move(file), path);
}

absl::Status WriteSafetensors(const std::string& path, const Metadata& metadata,
                              const std::vector<TensorSpec>& specs, const TensorProducer& produce,
                              const WriteOptions& options) {
  std::string header = "{";
  if (!metadata.empty()) {
    std::set<std::string> keys;
    header += "\"__metadata__\":{";
    for (size_t k = 0; k < metadata.size(); ++k) {
      if (!keys.insert(metadata[k].first).second) {
        return absl::InvalidArgumentError(absl::StrCat(
            path, ": metadata key \"", metadata[k].first, "\" appears twice, expected unique keys"));
      }
      absl::StrAppend(&header, k ? "," : "", JsonQuote(metadata[k].first), ":",
                      JsonQuote(MetadataString(metadata[k].second)));
    }
    header += "}";
  }
  std::set<absl::string_view> names;
  std::vector<uint64_t> sizes;
  uint64_t offset = 0;
  for (const TensorSpec& spec : specs) {
    if (spec.name == "__metadata__" || !names.insert(spec.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": tensor name \"", spec.name, "\" ",
                       spec.name == "__metadata__" ? "is reserved" : "appears twice",
                       ", expected unique tensor names"));
    }
    ASSIGN_OR_RETURN_CONTEXT(const absl::string_view dt, SafetensorsDTypeName(spec.dtype),
                             absl::StrCat(path, ": tensor \"", spec.name, "\""));
    ASSIGN_OR_RETURN(int64_t numel, NumElements(spec.shape));
    ASSIGN_OR_RETURN(int64_t nbytes, StorageBytes(spec.dtype, numel));
    sizes.push_back(static_cast<uint64_t>(nbytes));
    absl::StrAppend(&header, header.size() > 1 ? "," : "", JsonQuote(spec.name), ":{\"dtype\":\"",
                    dt, "\",\"shape\":[", absl::StrJoin(spec.shape, ","),
                    "],\"data_offsets\":[", offset, ",", offset + nbytes, "]}");
    offset += nbytes;
  }
  header += "}";
  // The reference reader requires valid UTF-8; our own strict parser says whether it is.
  absl::StatusOr<JsonValue> check = ParseJson(header, "header");
  if (!check.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": tensor names and metadata must be valid UTF-8 text; ", check.status().message()));
  }
  header.append((8 - header.size() % 8) % 8, ' ');
  if (header.size() > kSafetensorsMaxHeaderBytes) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": header would be ", header.size(),
                                                   " bytes, over the reader limit of ",
                                                   kSafetensorsMaxHeaderBytes));
  }

  ASSIGN_OR_RETURN(std::unique_ptr<OutputFile> out, OutputFile::Create(path));
  const uint64_t header_size = header.size();
  char length[8];
  std::memcpy(length, &header_size, 8);  // little-endian host (x86-64, aarch64)
  RETURN_IF_ERROR(out->Write(length, 8));
  RETURN_IF_ERROR(out->Write(header));
  for (size_t i = 0; i < specs.size(); ++i) {
    ASSIGN_OR_RETURN(Tensor t, produce(i));
    if (t.dtype() != specs[i].dtype || t.shape() != specs[i].shape) {
      return absl::InternalError(absl::StrCat(
          path, ": tensor \"", specs[i].name, "\" was announced as ", tp::DTypeName(specs[i].dtype),
          " ", ShapeToString(specs[i].shape), " but produced as ", tp::DTypeName(t.dtype()), " ",
          ShapeToString(t.shape())));
    }
    RETURN_IF_ERROR(WriteTensorBytes(*out, t));
  }
  return out->Commit();
}

bool LooksLikeSafetensors(absl::string_view head, uint64_t file_size) {
  if (head.size() < 9) return false;
  uint64_t n;
  std::memcpy(&n, head.data(), 8);
  return n >= 2 && n <= kSafetensorsMaxHeaderBytes && n <= file_size - 8 && head[8] == '{';
}

const FormatRegistration kSafetensorsRegistration({
    .id = "safetensors",
    .description = "Hugging Face safetensors (JSON header + raw little-endian data)",
    .extensions = {".safetensors"},
    .detect = &LooksLikeSafetensors,
    .read = &ReadSafetensors,
    .write = &WriteSafetensors,
});

}  // namespace tp
