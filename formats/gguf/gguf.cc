#include "formats/gguf/gguf.h"

#include <cstring>
#include <limits>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/byte_reader.h"
#include "core/mapped_file.h"
#include "core/output_file.h"
#include "core/status_macros.h"

namespace tp {
namespace {

using VT = MetaValue::Type;

// GGUF value type ids (gguf_type) in id order.
constexpr VT kValueTypes[] = {VT::kU8,  VT::kI8,     VT::kU16,   VT::kI16, VT::kU32,
                              VT::kI32, VT::kF32,    VT::kBool,  VT::kString, VT::kArray,
                              VT::kU64, VT::kI64,    VT::kF64};
constexpr uint32_t kNumValueTypes = 13;
// Smallest encoding of one value of each type (arrays: element type + count).
constexpr uint64_t kMinValueBytes[] = {1, 1, 2, 2, 4, 4, 4, 1, 8, 12, 8, 8, 8};
constexpr int kMaxArrayDepth = 16;

absl::StatusOr<uint32_t> ValueTypeId(VT t) {
  for (uint32_t k = 0; k < kNumValueTypes; ++k) {
    if (kValueTypes[k] == t) return k;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("value type ", MetaTypeName(t), " cannot be stored in GGUF"));
}

struct GgmlTypeName {
  uint32_t id;
  absl::string_view name;
};

// Names for messages (ggml.h's enum ggml_type).
constexpr GgmlTypeName kGgmlNames[] = {
    {0, "F32"},     {1, "F16"},     {2, "Q4_0"},    {3, "Q4_1"},   {6, "Q5_0"},    {7, "Q5_1"},
    {8, "Q8_0"},    {9, "Q8_1"},    {10, "Q2_K"},   {11, "Q3_K"},  {12, "Q4_K"},   {13, "Q5_K"},
    {14, "Q6_K"},   {15, "Q8_K"},   {16, "IQ2_XXS"}, {17, "IQ2_XS"}, {18, "IQ3_XXS"}, {19, "IQ1_S"},
    {20, "IQ4_NL"}, {21, "IQ3_S"},  {22, "IQ2_S"},  {23, "IQ4_XS"}, {24, "I8"},     {25, "I16"},
    {26, "I32"},    {27, "I64"},    {28, "F64"},    {29, "IQ1_M"}, {30, "BF16"},   {34, "TQ1_0"},
    {35, "TQ2_0"},  {39, "MXFP4"},
};

std::string GgmlName(uint32_t id) {
  for (const GgmlTypeName& n : kGgmlNames) {
    if (n.id == id) return absl::StrCat(n.name, " (", id, ")");
  }
  return absl::StrCat("unknown type ", id);
}

uint64_t AlignUp(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

bool IsPowerOfTwo(uint64_t x) { return x != 0 && (x & (x - 1)) == 0; }

class Parser {
 public:
  Parser(absl::string_view bytes, const std::string& source) : r_(bytes, source), source_(source) {}

  // One of `keep_alive` / `file` is set; views made with `file` can release their pages.
  absl::StatusOr<Checkpoint> Parse(std::shared_ptr<const void> keep_alive,
                                   std::shared_ptr<const MappedFile> file,
                                   absl::string_view bytes) {
    ASSIGN_OR_RETURN(uint32_t magic, r_.Read<uint32_t>("magic"));
    if (magic != kGgufMagic) {
      char m[4];
      std::memcpy(m, &magic, 4);
      return absl::InvalidArgumentError(absl::StrCat(
          source_, ": invalid magic '", absl::CHexEscape(absl::string_view(m, 4)), "', expected 'GGUF'"));
    }
    ASSIGN_OR_RETURN(uint32_t version, r_.Read<uint32_t>("version"));
    if (version != 2 && version != 3) {
      return absl::UnimplementedError(
          absl::StrCat(source_, ": GGUF version ", version, ", expected 2 or 3"));
    }
    ASSIGN_OR_RETURN(uint64_t tensor_count, r_.Read<uint64_t>("tensor count"));
    ASSIGN_OR_RETURN(uint64_t kv_count, r_.Read<uint64_t>("metadata count"));
    RETURN_IF_ERROR(r_.CheckCount(kv_count, 13, "metadata key/value"));
    // Tensor infos follow the key/values, so together they must fit what is left.
    RETURN_IF_ERROR(r_.CheckCount(tensor_count, 24, "tensor info"));

    Checkpoint ckpt;
    ckpt.format = "gguf";
    std::set<std::string> keys;
    uint64_t alignment = kGgufDefaultAlignment;
    for (uint64_t k = 0; k < kv_count; ++k) {
      ASSIGN_OR_RETURN(std::string key, ReadString(absl::StrCat("metadata key ", k)));
      const std::string what = absl::StrCat("metadata \"", key, "\"");
      if (!keys.insert(key).second) {
        return absl::InvalidArgumentError(
            absl::StrCat(source_, ": ", what, " appears twice, expected unique keys"));
      }
      ASSIGN_OR_RETURN(uint32_t type, r_.Read<uint32_t>(absl::StrCat(what, " value type")));
      ASSIGN_OR_RETURN(MetaValue value, ReadValue(type, what, 0));
      if (key == "general.alignment") {
        // Integer fields directly: a u64 near 2^64 does not survive a trip through double.
        const bool is_unsigned = value.type == MetaValue::Type::kU8 ||
                                 value.type == MetaValue::Type::kU16 ||
                                 value.type == MetaValue::Type::kU32 ||
                                 value.type == MetaValue::Type::kU64;
        const uint64_t a = !value.is_integer() ? 0
                           : is_unsigned       ? value.u
                           : value.i > 0       ? static_cast<uint64_t>(value.i)
                                               : 0;
        if (a == 0 || !IsPowerOfTwo(a)) {
          return absl::InvalidArgumentError(absl::StrCat(source_, ": general.alignment is ",
                                                         value.ToString(), " (",
                                                         MetaTypeName(value.type),
                                                         "), expected a power of two"));
        }
        alignment = a;
      }
      ckpt.metadata.emplace_back(std::move(key), std::move(value));
    }

    RETURN_IF_ERROR(r_.CheckCount(tensor_count, 24, "tensor info"));
    struct Info {
      DType dtype;
      Shape shape;
      uint64_t offset;
      uint64_t nbytes;
    };
    std::vector<Info> infos;
    std::set<std::string> names;
    for (uint64_t t = 0; t < tensor_count; ++t) {
      ASSIGN_OR_RETURN(std::string name, ReadString(absl::StrCat("tensor ", t, " name")));
      const std::string what = absl::StrCat("tensor \"", name, "\"");
      if (!names.insert(name).second) {
        return absl::InvalidArgumentError(
            absl::StrCat(source_, ": ", what, " appears twice, expected unique names"));
      }
      ASSIGN_OR_RETURN(uint32_t n_dims, r_.Read<uint32_t>(absl::StrCat(what, " n_dims")));
      if (n_dims > kGgufMaxDims) {
        return absl::InvalidArgumentError(absl::StrCat(source_, ": ", what, " has ", n_dims,
                                                       " dimensions, expected at most ",
                                                       kGgufMaxDims));
      }
      Info info;
      info.shape.assign(n_dims, 0);
      uint64_t numel = 1;
      for (uint32_t d = 0; d < n_dims; ++d) {
        ASSIGN_OR_RETURN(uint64_t ne, r_.Read<uint64_t>(absl::StrCat(what, " ne[", d, "]")));
        constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
        if (ne > kMax || (ne != 0 && numel > kMax / ne)) {
          return absl::InvalidArgumentError(absl::StrCat(source_, ": ", what, " ne[", d, "] = ", ne,
                                                         " makes the element count overflow"));
        }
        numel *= ne;
        info.shape[n_dims - 1 - d] = static_cast<int64_t>(ne);  // ggml order is reversed
      }
      ASSIGN_OR_RETURN(uint32_t type, r_.Read<uint32_t>(absl::StrCat(what, " type")));
      ASSIGN_OR_RETURN_CONTEXT(info.dtype, DTypeForGgml(type), absl::StrCat(source_, ": ", what));
      if (info.dtype == DType::kQ8_0 && (n_dims == 0 || info.shape.back() % kQ8_0BlockSize != 0)) {
        return absl::InvalidArgumentError(absl::StrCat(
            source_, ": ", what, " is Q8_0 with shape ", ShapeToString(info.shape),
            ", expected the fastest dimension to be a multiple of ", kQ8_0BlockSize));
      }
      absl::StatusOr<int64_t> nbytes = StorageBytes(info.dtype, static_cast<int64_t>(numel));
      if (!nbytes.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(source_, ": ", what, ": ", nbytes.status().message()));
      }
      info.nbytes = static_cast<uint64_t>(*nbytes);
      ASSIGN_OR_RETURN(info.offset, r_.Read<uint64_t>(absl::StrCat(what, " offset")));
      if (info.offset % alignment != 0) {
        return absl::InvalidArgumentError(absl::StrCat(source_, ": ", what, " offset ", info.offset,
                                                       " is not a multiple of the alignment ",
                                                       alignment));
      }
      infos.push_back(std::move(info));
      ckpt.tensors.push_back({std::move(name), Tensor()});
    }

    const uint64_t data_start = AlignUp(r_.offset(), alignment);
    const uint64_t size = r_.size();
    for (size_t t = 0; t < infos.size(); ++t) {
      const Info& info = infos[t];
      if (data_start > size || info.offset > size - data_start ||
          info.nbytes > size - data_start - info.offset) {
        return absl::OutOfRangeError(absl::StrCat(
            source_, ": tensor \"", ckpt.tensors[t].name, "\" data [", info.offset, ", +",
            info.nbytes, ") from the data section at ", data_start, " runs past the end of the file (",
            size, " bytes; truncated?)"));
      }
      const uint8_t* data =
          reinterpret_cast<const uint8_t*>(bytes.data()) + data_start + info.offset;
      ckpt.tensors[t].tensor = file != nullptr
                                   ? Tensor::View(info.dtype, info.shape, file, data)
                                   : Tensor::View(info.dtype, info.shape, keep_alive, data);
    }
    return ckpt;
  }

 private:
  absl::StatusOr<std::string> ReadString(const std::string& what) {
    ASSIGN_OR_RETURN(uint64_t n, r_.Read<uint64_t>(absl::StrCat(what, " length")));
    ASSIGN_OR_RETURN(absl::string_view s, r_.ReadBytes(n, what));
    return std::string(s);
  }

  absl::StatusOr<MetaValue> ReadValue(uint32_t type, const std::string& what, int depth) {
    if (type >= kNumValueTypes) {
      return absl::InvalidArgumentError(absl::StrCat(source_, ": ", what, " has value type ", type,
                                                     ", expected 0..12"));
    }
    const VT t = kValueTypes[type];
    switch (t) {
      case VT::kU8: { ASSIGN_OR_RETURN(uint8_t v, r_.Read<uint8_t>(what)); return MetaValue::UInt(v, t); }
      case VT::kU16: { ASSIGN_OR_RETURN(uint16_t v, r_.Read<uint16_t>(what)); return MetaValue::UInt(v, t); }
      case VT::kU32: { ASSIGN_OR_RETURN(uint32_t v, r_.Read<uint32_t>(what)); return MetaValue::UInt(v, t); }
      case VT::kU64: { ASSIGN_OR_RETURN(uint64_t v, r_.Read<uint64_t>(what)); return MetaValue::UInt(v, t); }
      case VT::kI8: { ASSIGN_OR_RETURN(int8_t v, r_.Read<int8_t>(what)); return MetaValue::Int(v, t); }
      case VT::kI16: { ASSIGN_OR_RETURN(int16_t v, r_.Read<int16_t>(what)); return MetaValue::Int(v, t); }
      case VT::kI32: { ASSIGN_OR_RETURN(int32_t v, r_.Read<int32_t>(what)); return MetaValue::Int(v, t); }
      case VT::kI64: { ASSIGN_OR_RETURN(int64_t v, r_.Read<int64_t>(what)); return MetaValue::Int(v, t); }
      case VT::kF32: { ASSIGN_OR_RETURN(float v, r_.Read<float>(what)); return MetaValue::Float(v, t); }
      case VT::kF64: { ASSIGN_OR_RETURN(double v, r_.Read<double>(what)); return MetaValue::Float(v, t); }
      case VT::kBool: {
        ASSIGN_OR_RETURN(uint8_t v, r_.Read<uint8_t>(what));
        if (v > 1) {
          return absl::InvalidArgumentError(
              absl::StrCat(source_, ": ", what, " is a bool holding ", v, ", expected 0 or 1"));
        }
        return MetaValue::Bool(v != 0);
      }
      case VT::kString: {
        ASSIGN_OR_RETURN(std::string s, ReadString(what));
        return MetaValue::String(std::move(s));
      }
      case VT::kArray: {
        if (depth >= kMaxArrayDepth) {
          return absl::InvalidArgumentError(absl::StrCat(
              source_, ": ", what, " nests arrays deeper than ", kMaxArrayDepth));
        }
        ASSIGN_OR_RETURN(uint32_t element_type, r_.Read<uint32_t>(absl::StrCat(what, " element type")));
        if (element_type >= kNumValueTypes) {
          return absl::InvalidArgumentError(absl::StrCat(
              source_, ": ", what, " has array element type ", element_type, ", expected 0..12"));
        }
        ASSIGN_OR_RETURN(uint64_t count, r_.Read<uint64_t>(absl::StrCat(what, " array count")));
        RETURN_IF_ERROR(r_.CheckCount(count, kMinValueBytes[element_type], absl::StrCat(what, " array")));
        if (count > array_budget_) {
          return absl::ResourceExhaustedError(absl::StrCat(
              source_, ": ", what, " array of ", count, " elements exceeds the limit of ",
              kGgufMaxArrayElements, " metadata array elements per file"));
        }
        array_budget_ -= count;
        // Grown as elements parse rather than reserved: a MetaValue is ~100 bytes, so reserving
        // from the count would let a small file ask for far more memory than it holds.
        std::vector<MetaValue> items;
        for (uint64_t k = 0; k < count; ++k) {
          ASSIGN_OR_RETURN(MetaValue v, ReadValue(element_type, what, depth + 1));
          items.push_back(std::move(v));
        }
        return MetaValue::Array(std::move(items), kValueTypes[element_type]);
      }
      case VT::kNone:
        break;
    }
    return absl::InternalError("unreachable");
  }

  ByteReader r_;
  std::string source_;
  uint64_t array_budget_ = kGgufMaxArrayElements;
};

// --- writer ---

void PutU32(std::string* out, uint32_t v) { out->append(reinterpret_cast<const char*>(&v), 4); }
void PutU64(std::string* out, uint64_t v) { out->append(reinterpret_cast<const char*>(&v), 8); }
void PutString(std::string* out, absl::string_view s) {
  PutU64(out, s.size());
  out->append(s.data(), s.size());
}
template <typename T>
void PutRaw(std::string* out, T v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof(T));
}

template <typename T>
absl::Status PutChecked(std::string* out, const MetaValue& v, const std::string& what) {
  constexpr bool kSigned = std::numeric_limits<T>::is_signed;
  const bool fits = kSigned ? (v.i >= std::numeric_limits<T>::min() && v.i <= std::numeric_limits<T>::max())
                            : v.u <= static_cast<uint64_t>(std::numeric_limits<T>::max());
  if (!fits) {
    return absl::InvalidArgumentError(absl::StrCat(what, " value ", v.ToString(), " does not fit ",
                                                   MetaTypeName(v.type)));
  }
  PutRaw<T>(out, kSigned ? static_cast<T>(v.i) : static_cast<T>(v.u));
  return absl::OkStatus();
}

absl::Status PutValue(std::string* out, const MetaValue& v, const std::string& what, int depth) {
  switch (v.type) {
    case VT::kU8: return PutChecked<uint8_t>(out, v, what);
    case VT::kI8: return PutChecked<int8_t>(out, v, what);
    case VT::kU16: return PutChecked<uint16_t>(out, v, what);
    case VT::kI16: return PutChecked<int16_t>(out, v, what);
    case VT::kU32: return PutChecked<uint32_t>(out, v, what);
    case VT::kI32: return PutChecked<int32_t>(out, v, what);
    case VT::kU64: return PutChecked<uint64_t>(out, v, what);
    case VT::kI64: return PutChecked<int64_t>(out, v, what);
    case VT::kF32: PutRaw<float>(out, static_cast<float>(v.f)); return absl::OkStatus();
    case VT::kF64: PutRaw<double>(out, v.f); return absl::OkStatus();
    case VT::kBool: PutRaw<uint8_t>(out, v.b ? 1 : 0); return absl::OkStatus();
    case VT::kString: PutString(out, v.s); return absl::OkStatus();
    case VT::kArray: {
      if (depth >= kMaxArrayDepth) {
        return absl::InvalidArgumentError(absl::StrCat(what, " nests arrays deeper than ", kMaxArrayDepth));
      }
      VT element = v.element_type;
      if (element == VT::kNone) element = v.array.empty() ? VT::kU8 : v.array[0].type;
      absl::StatusOr<uint32_t> id = ValueTypeId(element);
      if (!id.ok()) return absl::InvalidArgumentError(absl::StrCat(what, ": ", id.status().message()));
      PutU32(out, *id);
      PutU64(out, v.array.size());
      for (size_t k = 0; k < v.array.size(); ++k) {
        if (v.array[k].type != element) {
          return absl::InvalidArgumentError(absl::StrCat(
              what, " array element ", k, " is ", MetaTypeName(v.array[k].type), ", expected ",
              MetaTypeName(element), " like the rest of the array"));
        }
        RETURN_IF_ERROR(PutValue(out, v.array[k], what, depth + 1));
      }
      return absl::OkStatus();
    }
    case VT::kNone:
      break;
  }
  return absl::InvalidArgumentError(absl::StrCat(what, " has no value (None), which GGUF cannot store"));
}

}  // namespace

absl::StatusOr<uint32_t> GgmlTypeFor(DType dtype) {
  switch (dtype) {
    case DType::kF32: return 0;
    case DType::kF16: return 1;
    case DType::kQ8_0: return 8;
    case DType::kI8: return 24;
    case DType::kI16: return 25;
    case DType::kI32: return 26;
    case DType::kI64: return 27;
    case DType::kF64: return 28;
    case DType::kBF16: return 30;
    default:
      return absl::UnimplementedError(absl::StrCat(
          "dtype ", DTypeName(dtype), " has no ggml type (cast it to i8, i32 or f32 first)"));
  }
}

absl::StatusOr<DType> DTypeForGgml(uint32_t ggml_type) {
  switch (ggml_type) {
    case 0: return DType::kF32;
    case 1: return DType::kF16;
    case 8: return DType::kQ8_0;
    case 24: return DType::kI8;
    case 25: return DType::kI16;
    case 26: return DType::kI32;
    case 27: return DType::kI64;
    case 28: return DType::kF64;
    case 30: return DType::kBF16;
    default:
      return absl::UnimplementedError(absl::StrCat(
          "ggml type ", GgmlName(ggml_type),
          " is not supported, expected F32, F16, BF16, F64, Q8_0, I8, I16, I32 or I64"));
  }
}

absl::StatusOr<Checkpoint> ParseGguf(absl::string_view bytes, std::shared_ptr<const void> keep_alive,
                                     const std::string& source) {
  Parser parser(bytes, source);
  return parser.Parse(std::move(keep_alive), nullptr, bytes);
}

absl::StatusOr<Checkpoint> ReadGguf(const std::string& path, const ReadOptions& options) {
  if (!options.select.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": --select \"", options.select, "\" applies to PyTorch checkpoints, not GGUF"));
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const MappedFile> file, MappedFile::Open(path));
  const absl::string_view bytes = file->bytes();
  Parser parser(bytes, path);
  return parser.Parse(nullptr, std::move(file), bytes);
}

absl::Status WriteGguf(const std::string& path, const Metadata& metadata,
                       const std::vector<TensorSpec>& specs, const TensorProducer& produce,
                       const WriteOptions& options) {
  const uint64_t alignment = options.alignment;
  if (!IsPowerOfTwo(alignment) || alignment > (uint64_t{1} << 30)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": alignment ", alignment,
                                                   ", expected a power of two up to 2^30"));
  }
  const MetaValue* arch = FindMeta(metadata, "general.architecture");
  if (arch == nullptr || arch->type != VT::kString || arch->s.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": general.architecture is ",
        arch == nullptr ? std::string("missing") : absl::StrCat(arch->ToString(), " (", MetaTypeName(arch->type), ")"),
        ", expected a non-empty string naming the model architecture (GGUF readers need it)"));
  }

  // Tensor checks first, so every problem with names is reported in one message.
  std::vector<std::string> long_names;
  std::set<absl::string_view> names;
  std::vector<uint64_t> sizes;
  std::vector<uint32_t> types;
  for (const TensorSpec& spec : specs) {
    if (spec.name.size() > kGgufMaxNameBytes) long_names.push_back(absl::StrCat("\"", spec.name, "\" (", spec.name.size(), ")"));
  }
  if (!long_names.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": ", long_names.size(), " tensor name(s) longer than ", kGgufMaxNameBytes,
        " bytes, which GGUF readers reject (rename them): ", absl::StrJoin(long_names, ", ")));
  }
  for (const TensorSpec& spec : specs) {
    const std::string what = absl::StrCat(path, ": tensor \"", spec.name, "\"");
    if (!names.insert(spec.name).second) {
      return absl::InvalidArgumentError(absl::StrCat(what, " appears twice, expected unique names"));
    }
    if (spec.shape.size() > kGgufMaxDims) {
      return absl::InvalidArgumentError(absl::StrCat(what, " has ", spec.shape.size(),
                                                     " dimensions, expected at most ", kGgufMaxDims));
    }
    ASSIGN_OR_RETURN_CONTEXT(const uint32_t type, GgmlTypeFor(spec.dtype), what);
    if (spec.dtype == DType::kQ8_0 && (spec.shape.empty() || spec.shape.back() % kQ8_0BlockSize != 0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, " is q8_0 with shape ", ShapeToString(spec.shape),
          ", expected the last dimension to be a multiple of ", kQ8_0BlockSize));
    }
    absl::StatusOr<int64_t> numel = NumElements(spec.shape);
    if (!numel.ok()) return absl::InvalidArgumentError(absl::StrCat(what, ": ", numel.status().message()));
    absl::StatusOr<int64_t> nbytes = StorageBytes(spec.dtype, *numel);
    if (!nbytes.ok()) return absl::InvalidArgumentError(absl::StrCat(what, ": ", nbytes.status().message()));
    types.push_back(type);
    sizes.push_back(static_cast<uint64_t>(*nbytes));
  }

  std::string header;
  PutU32(&header, kGgufMagic);
  PutU32(&header, 3);
  PutU64(&header, specs.size());
  std::string kv;
  uint64_t kv_count = 0;
  std::set<absl::string_view> keys;
  for (const auto& [key, value] : metadata) {
    if (key == "general.alignment") continue;  // replaced by options.alignment below
    if (!keys.insert(key).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": metadata \"", key, "\" appears twice, expected unique keys"));
    }
    const std::string what = absl::StrCat(path, ": metadata \"", key, "\"");
    absl::StatusOr<uint32_t> id = ValueTypeId(value.type);
    if (!id.ok()) return absl::InvalidArgumentError(absl::StrCat(what, ": ", id.status().message()));
    PutString(&kv, key);
    PutU32(&kv, *id);
    RETURN_IF_ERROR(PutValue(&kv, value, what, 0));
    ++kv_count;
  }
  if (alignment != kGgufDefaultAlignment) {
    PutString(&kv, "general.alignment");
    PutU32(&kv, 4);  // u32, as ggml requires
    PutU32(&kv, static_cast<uint32_t>(alignment));
    ++kv_count;
  }
  PutU64(&header, kv_count);
  header += kv;
  uint64_t offset = 0;
  for (size_t i = 0; i < specs.size(); ++i) {
    PutString(&header, specs[i].name);
    PutU32(&header, static_cast<uint32_t>(specs[i].shape.size()));
    for (auto it = specs[i].shape.rbegin(); it != specs[i].shape.rend(); ++it) PutU64(&header, *it);
    PutU32(&header, types[i]);
    PutU64(&header, offset);
    offset = AlignUp(offset + sizes[i], alignment);
  }
  header.append(AlignUp(header.size(), alignment) - header.size(), '\0');

  ASSIGN_OR_RETURN(std::unique_ptr<OutputFile> out, OutputFile::Create(path));
  RETURN_IF_ERROR(out->Write(header));
  for (size_t i = 0; i < specs.size(); ++i) {
    ASSIGN_OR_RETURN(Tensor t, produce(i));
    if (t.dtype() != specs[i].dtype || t.shape() != specs[i].shape) {
      return absl::InternalError(absl::StrCat(
          path, ": tensor \"", specs[i].name, "\" was announced as ", DTypeName(specs[i].dtype), " ",
          ShapeToString(specs[i].shape), " but produced as ", DTypeName(t.dtype()), " ",
          ShapeToString(t.shape())));
    }
    RETURN_IF_ERROR(WriteTensorBytes(*out, t));
    RETURN_IF_ERROR(out->WriteZeros(AlignUp(sizes[i], alignment) - sizes[i]));
  }
  return out->Commit();
}

bool LooksLikeGguf(absl::string_view head, uint64_t file_size) {
  return head.size() >= 4 && head.substr(0, 4) == "GGUF";
}

const FormatRegistration kGgufRegistration({
    .id = "gguf",
    .description = "GGUF v2/v3 (ggml, llama.cpp)",
    .extensions = {".gguf"},
    .detect = &LooksLikeGguf,
    .read = &ReadGguf,
    .write = &WriteGguf,
});

}  // namespace tp
