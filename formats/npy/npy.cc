#include "formats/npy/npy.h"

#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/byte_reader.h"
#include "core/mapped_file.h"
#include "core/output_file.h"
#include "core/status_macros.h"
#include "formats/registry.h"

namespace tp {
namespace {

constexpr absl::string_view kMagic("\x93NUMPY", 6);
constexpr size_t kAlign = 64;
constexpr int kMaxRank = 64;

// A recursive-descent reader for the header's Python dict literal. It accepts exactly what
// numpy.lib.format writes (and Python 2's "L" suffixes): string keys, string / True / False /
// tuple-of-int values.
class HeaderParser {
 public:
  HeaderParser(absl::string_view text, const std::string& source)
      : text_(text), source_(source) {}

  absl::Status Parse(NpyHeader* h) {
    SkipSpace();
    RETURN_IF_ERROR(Expect('{'));
    bool have_descr = false, have_fortran = false, have_shape = false;
    while (true) {
      SkipSpace();
      if (Peek() == '}') {
        ++pos_;
        break;
      }
      ASSIGN_OR_RETURN(std::string key, ParseString());
      SkipSpace();
      RETURN_IF_ERROR(Expect(':'));
      SkipSpace();
      if (key == "descr") {
        if (Peek() == '[') {
          return absl::UnimplementedError(
              absl::StrCat(source_, ": header 'descr' is a structured dtype (a list of fields); "
                                    "expected a plain descriptor like '<f4'"));
        }
        ASSIGN_OR_RETURN(h->descr, ParseString());
        have_descr = true;
      } else if (key == "fortran_order") {
        ASSIGN_OR_RETURN(h->fortran_order, ParseBool());
        have_fortran = true;
      } else if (key == "shape") {
        ASSIGN_OR_RETURN(h->shape, ParseShape());
        have_shape = true;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat(source_, ": header has key '", absl::CHexEscape(key),
                         "', expected only 'descr', 'fortran_order' and 'shape'"));
      }
      SkipSpace();
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Peek() == '}') continue;
      return Unexpected("',' or '}' after a header value");
    }
    SkipSpace();
    if (pos_ != text_.size()) return Unexpected("only padding after the header dict");
    if (!have_descr || !have_fortran || !have_shape) {
      return absl::InvalidArgumentError(absl::StrCat(
          source_, ": header lacks ", !have_descr ? "'descr'" : !have_fortran ? "'fortran_order'"
                                                                              : "'shape'",
          "; expected 'descr', 'fortran_order' and 'shape'"));
    }
    return absl::OkStatus();
  }

 private:
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  absl::Status Unexpected(absl::string_view expected) const {
    const std::string found =
        pos_ < text_.size() ? absl::StrCat("'", absl::CHexEscape(text_.substr(pos_, 12)), "'")
                            : "the end of the header";
    return absl::InvalidArgumentError(absl::StrCat(source_, ": header at character ", pos_,
                                                   " has ", found, ", expected ", expected));
  }
  absl::Status Expect(char c) {
    if (Peek() != c) return Unexpected(absl::StrCat("'", std::string(1, c), "'"));
    ++pos_;
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> ParseString() {
    const char quote = Peek();
    if (quote != '\'' && quote != '"') return Unexpected("a quoted string");
    ++pos_;
    const size_t end = text_.find(quote, pos_);
    if (end == absl::string_view::npos) return Unexpected("a closing quote");
    std::string s(text_.substr(pos_, end - pos_));
    if (absl::StrContains(s, '\\')) return Unexpected("a string without escapes");
    pos_ = end + 1;
    return s;
  }
  absl::StatusOr<bool> ParseBool() {
    if (absl::StartsWith(text_.substr(pos_), "True")) {
      pos_ += 4;
      return true;
    }
    if (absl::StartsWith(text_.substr(pos_), "False")) {
      pos_ += 5;
      return false;
    }
    return Unexpected("True or False for 'fortran_order'");
  }
  absl::StatusOr<Shape> ParseShape() {
    RETURN_IF_ERROR(Expect('('));
    Shape shape;
    while (true) {
      SkipSpace();
      if (Peek() == ')') {
        ++pos_;
        return shape;
      }
      if (Peek() < '0' || Peek() > '9') return Unexpected("a non-negative dimension in 'shape'");
      int64_t v = 0;
      while (Peek() >= '0' && Peek() <= '9') {
        const int digit = Peek() - '0';
        if (v > (std::numeric_limits<int64_t>::max() - digit) / 10) {
          return absl::InvalidArgumentError(absl::StrCat(
              source_, ": header 'shape' has a dimension over 2^63-1 at character ", pos_,
              ", expected a 64-bit size"));
        }
        v = v * 10 + digit;
        ++pos_;
      }
      if (Peek() == 'L') ++pos_;
      if (shape.size() >= kMaxRank) {
        return absl::InvalidArgumentError(absl::StrCat(
            source_, ": header 'shape' has more than ", kMaxRank, " dimensions"));
      }
      shape.push_back(v);
      SkipSpace();
      if (Peek() == ',') {
        ++pos_;
      } else if (Peek() != ')') {
        return Unexpected("',' or ')' in 'shape'");
      }
    }
  }

  absl::string_view text_;
  const std::string& source_;
  size_t pos_ = 0;
};

}  // namespace

bool LooksLikeNpy(absl::string_view head) { return absl::StartsWith(head, kMagic); }

absl::StatusOr<DType> DTypeFromNpyDescr(absl::string_view descr, ByteOrder* order) {
  if (descr.size() < 3) {
    return absl::UnimplementedError(absl::StrCat("dtype descriptor '", absl::CHexEscape(descr),
                                                 "' is not supported; expected one like '<f4'"));
  }
  const char bo = descr[0];
  const absl::string_view kind_size = descr.substr(1);
  struct Known {
    absl::string_view code;
    DType dtype;
  };
  static constexpr Known kKnown[] = {
      {"f2", DType::kF16}, {"f4", DType::kF32}, {"f8", DType::kF64}, {"i1", DType::kI8},
      {"i2", DType::kI16}, {"i4", DType::kI32}, {"i8", DType::kI64}, {"u1", DType::kU8},
      {"b1", DType::kBool},
  };
  if (bo == '<' || bo == '>' || bo == '|' || bo == '=') {
    for (const Known& k : kKnown) {
      if (k.code == kind_size) {
        const bool single = ElementSize(k.dtype) == 1;
        if (bo == '|' && !single) break;  // '|' is only for byte-sized types
        *order = bo == '>' && !single ? ByteOrder::kBig : ByteOrder::kLittle;
        return k.dtype;
      }
    }
  }
  return absl::UnimplementedError(absl::StrCat(
      "dtype descriptor '", absl::CHexEscape(descr),
      "' is not supported; expected one of <f2 <f4 <f8 |i1 <i2 <i4 <i8 |u1 |b1 (or '>' forms)"));
}

absl::StatusOr<std::string> NpyDescrFor(DType t) {
  switch (t) {
    case DType::kF16: return std::string("<f2");
    case DType::kF32: return std::string("<f4");
    case DType::kF64: return std::string("<f8");
    case DType::kI8: return std::string("|i1");
    case DType::kI16: return std::string("<i2");
    case DType::kI32: return std::string("<i4");
    case DType::kI64: return std::string("<i8");
    case DType::kU8: return std::string("|u1");
    case DType::kBool: return std::string("|b1");
    default:
      return absl::UnimplementedError(absl::StrCat(
          "dtype ", DTypeName(t), " has no NumPy equivalent; cast it to f32 (or f16) first"));
  }
}

absl::StatusOr<NpyHeader> ParseNpyHeader(absl::string_view bytes, const std::string& source) {
  return ParseNpyHeader(bytes, bytes.size(), source);
}

absl::StatusOr<uint64_t> NpyHeaderLength(absl::string_view prefix, const std::string& source) {
  ByteReader r(prefix, source);
  ASSIGN_OR_RETURN(absl::string_view magic, r.ReadBytes(kMagic.size(), ".npy magic"));
  if (magic != kMagic) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": magic is \"",
                                                   absl::CHexEscape(magic),
                                                   "\", expected \"\\x93NUMPY\""));
  }
  ASSIGN_OR_RETURN(uint8_t major, r.Read<uint8_t>(".npy major version"));
  RETURN_IF_ERROR(r.Skip(1, ".npy minor version"));
  if (major == 1) {
    ASSIGN_OR_RETURN(uint16_t len, r.Read<uint16_t>(".npy header length"));
    return uint64_t{10} + len;
  }
  ASSIGN_OR_RETURN(uint32_t len, r.Read<uint32_t>(".npy header length"));
  return uint64_t{12} + len;
}

absl::StatusOr<NpyHeader> ParseNpyHeader(absl::string_view bytes, uint64_t total_size,
                                         const std::string& source) {
  ByteReader r(bytes, source);
  ASSIGN_OR_RETURN(absl::string_view magic, r.ReadBytes(kMagic.size(), ".npy magic"));
  if (magic != kMagic) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": magic is \"",
                                                   absl::CHexEscape(magic),
                                                   "\", expected \"\\x93NUMPY\""));
  }
  NpyHeader h;
  ASSIGN_OR_RETURN(uint8_t major, r.Read<uint8_t>(".npy major version"));
  ASSIGN_OR_RETURN(uint8_t minor, r.Read<uint8_t>(".npy minor version"));
  h.major = major;
  h.minor = minor;
  if (major < 1 || major > 3 || minor != 0) {
    return absl::UnimplementedError(absl::StrCat(source, ": .npy format version ", major, ".",
                                                 minor, ", expected 1.0, 2.0 or 3.0"));
  }
  uint64_t header_len;
  if (major == 1) {
    ASSIGN_OR_RETURN(uint16_t len, r.Read<uint16_t>(".npy header length"));
    header_len = len;
  } else {
    ASSIGN_OR_RETURN(uint32_t len, r.Read<uint32_t>(".npy header length"));
    header_len = len;
  }
  ASSIGN_OR_RETURN(absl::string_view text,
                   r.ReadBytes(header_len, absl::StrCat(".npy header (", header_len, " bytes)")));
  RETURN_IF_ERROR(HeaderParser(text, source).Parse(&h));
  ASSIGN_OR_RETURN_CONTEXT(h.dtype, DTypeFromNpyDescr(h.descr, &h.order), source);
  absl::StatusOr<int64_t> n = NumElements(h.shape);
  absl::StatusOr<int64_t> nbytes =
      n.ok() ? StorageBytes(h.dtype, *n) : absl::StatusOr<int64_t>(n.status());
  if (!nbytes.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": shape ", ShapeToString(h.shape),
                                                   " of '", h.descr, "' is too large (",
                                                   nbytes.status().message(), ")"));
  }
  h.data_offset = r.offset();
  h.data_bytes = static_cast<uint64_t>(*nbytes);
  const uint64_t remaining = total_size > h.data_offset ? total_size - h.data_offset : 0;
  if (h.data_bytes > remaining) {
    return absl::OutOfRangeError(absl::StrCat(
        source, ": shape ", ShapeToString(h.shape), " of '", h.descr, "' needs ", h.data_bytes,
        " data bytes at offset ", h.data_offset, ", the file holds ", remaining,
        " (truncated?)"));
  }
  return h;
}

namespace {

// One of `keep_alive` / `file` is set; views made with `file` can release their pages.
absl::StatusOr<Tensor> ParseNpyImpl(absl::string_view bytes, std::shared_ptr<const void> keep_alive,
                                    std::shared_ptr<const MappedFile> file,
                                    const std::string& source) {
  ASSIGN_OR_RETURN(NpyHeader h, ParseNpyHeader(bytes, source));
  const uint8_t* data = reinterpret_cast<const uint8_t*>(bytes.data()) + h.data_offset;
  if (file != nullptr && (bytes.data() < file->bytes().data() ||
                          bytes.data() + bytes.size() > file->bytes().data() + file->size())) {
    file = nullptr;  // not inside the mapping (a caller's mistake): keep it alive, never release
  }
  auto view = [&](std::vector<int64_t> strides, ByteOrder order) {
    if (file != nullptr) {
      return Tensor::View(h.dtype, h.shape, file, data, std::move(strides), order);
    }
    return Tensor::View(h.dtype, h.shape, keep_alive, data, std::move(strides), order);
  };
  const int esize = ElementSize(h.dtype);
  const bool swap = h.order == ByteOrder::kBig && esize > 1;
  // An empty Fortran array has no layout to apply (and its partial stride products could
  // overflow: only the full product, zero, was checked).
  const bool fortran = h.fortran_order && h.shape.size() > 1 && h.data_bytes > 0;
  if (!swap && !fortran) {
    // Zero-copy even when the data is misaligned (np.savez places entries anywhere): such a view
    // is not packed, and Contiguous() makes the aligned copy only when a caller needs one.
    return view({}, ByteOrder::kLittle);
  }
  std::vector<int64_t> strides;
  if (fortran) {
    strides.resize(h.shape.size());
    int64_t s = 1;
    for (size_t i = 0; i < h.shape.size(); ++i) {
      strides[i] = s;
      s *= h.shape[i];  // no overflow: the product was checked above
    }
  }
  // Contiguous() reads element by element with memcpy, so alignment does not matter here.
  const Tensor raw = view(std::move(strides), h.order);
  absl::StatusOr<Tensor> packed = raw.Contiguous();
  raw.ReleasePages();  // the file's copy of a converted array is not read again
  return packed;
}

}  // namespace

absl::StatusOr<Tensor> ParseNpy(absl::string_view bytes, std::shared_ptr<const void> keep_alive,
                                const std::string& source) {
  return ParseNpyImpl(bytes, std::move(keep_alive), nullptr, source);
}

absl::StatusOr<Tensor> ParseNpy(absl::string_view bytes, std::shared_ptr<const MappedFile> file,
                                const std::string& source) {
  std::shared_ptr<const void> keep_alive = file;
  return ParseNpyImpl(bytes, std::move(keep_alive), std::move(file), source);
}

absl::StatusOr<std::string> NpyHeaderBytes(DType dtype, const Shape& shape,
                                           const std::string& source) {
  ASSIGN_OR_RETURN_CONTEXT(const std::string descr, NpyDescrFor(dtype), source);
  std::string shape_text;
  if (shape.size() == 1) {
    shape_text = absl::StrCat("(", shape[0], ",)");
  } else {
    shape_text = absl::StrCat("(", absl::StrJoin(shape, ", "), ")");
  }
  std::string dict = absl::StrCat("{'descr': '", descr, "', 'fortran_order': False, 'shape': ",
                                  shape_text, ", }");
  // Pad with spaces and a final newline so the data starts on a 64-byte boundary.
  int major = 1;
  size_t prefix = kMagic.size() + 2 + 2;
  if (dict.size() + 1 + kAlign > 65535) {
    major = 2;
    prefix = kMagic.size() + 2 + 4;
  }
  const size_t unpadded = prefix + dict.size() + 1;
  dict.append((kAlign - unpadded % kAlign) % kAlign, ' ');
  dict.push_back('\n');
  std::string out(kMagic);
  out.push_back(static_cast<char>(major));
  out.push_back('\0');
  const uint64_t len = dict.size();
  for (int i = 0; i < (major == 1 ? 2 : 4); ++i) {
    out.push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  }
  out += dict;
  return out;
}

absl::StatusOr<Tensor> ReadNpyFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::shared_ptr<const MappedFile> file, MappedFile::Open(path));
  const absl::string_view bytes = file->bytes();
  return ParseNpy(bytes, std::move(file), path);
}

absl::Status WriteNpyFile(const std::string& path, const Tensor& tensor) {
  ASSIGN_OR_RETURN(std::string header, NpyHeaderBytes(tensor.dtype(), tensor.shape(), path));
  ASSIGN_OR_RETURN(std::unique_ptr<OutputFile> out, OutputFile::Create(path));
  RETURN_IF_ERROR(out->Write(header));
  RETURN_IF_ERROR(WriteTensorBytes(*out, tensor));
  return out->Commit();
}

namespace {

// The array's name in a checkpoint: the file name without directory and ".npy".
std::string StemOf(const std::string& path) {
  std::string name = path.substr(path.find_last_of('/') + 1);
  if (absl::EndsWithIgnoreCase(name, ".npy")) name.resize(name.size() - 4);
  return name.empty() ? "array" : name;
}

absl::StatusOr<Checkpoint> ReadNpyCheckpoint(const std::string& path, const ReadOptions&) {
  ASSIGN_OR_RETURN(Tensor t, ReadNpyFile(path));
  Checkpoint ckpt;
  ckpt.format = "npy";
  ckpt.tensors.push_back({StemOf(path), std::move(t)});
  return ckpt;
}

absl::Status WriteNpyCheckpoint(const std::string& path, const Metadata& metadata,
                                const std::vector<TensorSpec>& specs,
                                const TensorProducer& produce, const WriteOptions&) {
  if (specs.size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": a .npy file holds exactly one array, got ", specs.size(),
        " tensors; write .npz for several"));
  }
  ASSIGN_OR_RETURN(Tensor t, produce(0));
  if (t.dtype() != specs[0].dtype || t.shape() != specs[0].shape) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": tensor \"", specs[0].name, "\" is ", DTypeName(t.dtype()), " ",
        ShapeToString(t.shape()), ", expected ", DTypeName(specs[0].dtype), " ",
        ShapeToString(specs[0].shape)));
  }
  (void)metadata;  // .npy has nowhere to keep metadata
  return WriteNpyFile(path, t);
}

const FormatRegistration kNpyRegistration({
    .id = "npy",
    .description = "NumPy array (.npy)",
    .extensions = {".npy"},
    .detect = [](absl::string_view head, uint64_t) { return LooksLikeNpy(head); },
    .read = &ReadNpyCheckpoint,
    .write = &WriteNpyCheckpoint,
});

}  // namespace
}  // namespace tp
