#include "formats/onnx/onnx.h"

#include <climits>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>
#include <set>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <onnx/onnx_pb.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/mapped_file.h"
#include "core/status_macros.h"

namespace tp {
namespace {

using onnx::TensorProto;

absl::string_view OnnxTypeName(int t) {
  switch (t) {
    case TensorProto::FLOAT: return "f32";
    case TensorProto::UINT8: return "u8";
    case TensorProto::INT8: return "i8";
    case TensorProto::UINT16: return "u16";
    case TensorProto::INT16: return "i16";
    case TensorProto::INT32: return "i32";
    case TensorProto::INT64: return "i64";
    case TensorProto::STRING: return "string";
    case TensorProto::BOOL: return "bool";
    case TensorProto::FLOAT16: return "f16";
    case TensorProto::DOUBLE: return "f64";
    case TensorProto::UINT32: return "u32";
    case TensorProto::UINT64: return "u64";
    case TensorProto::COMPLEX64: return "c64";
    case TensorProto::COMPLEX128: return "c128";
    case TensorProto::BFLOAT16: return "bf16";
    default: return "undefined";
  }
}

absl::StatusOr<DType> DTypeForOnnx(int t) {
  switch (t) {
    case TensorProto::FLOAT: return DType::kF32;
    case TensorProto::UINT8: return DType::kU8;
    case TensorProto::INT8: return DType::kI8;
    case TensorProto::INT16: return DType::kI16;
    case TensorProto::INT32: return DType::kI32;
    case TensorProto::INT64: return DType::kI64;
    case TensorProto::BOOL: return DType::kBool;
    case TensorProto::FLOAT16: return DType::kF16;
    case TensorProto::DOUBLE: return DType::kF64;
    case TensorProto::BFLOAT16: return DType::kBF16;
    default:
      return absl::UnimplementedError(absl::StrCat(
          "element type ", OnnxTypeName(t), " (", t,
          ") is not supported, expected f32, f16, bf16, f64, i8, i16, i32, i64, u8 or bool"));
  }
}

std::string ValueInfoString(const onnx::ValueInfoProto& v) {
  std::string out = absl::StrCat(v.name(), ":");
  if (!v.type().has_tensor_type()) return absl::StrCat(out, "?");
  const auto& tt = v.type().tensor_type();
  absl::StrAppend(&out, OnnxTypeName(tt.elem_type()));
  if (!tt.has_shape()) return out;
  std::vector<std::string> dims;
  for (const auto& d : tt.shape().dim()) {
    if (d.has_dim_value()) {
      dims.push_back(absl::StrCat(d.dim_value()));
    } else if (d.has_dim_param() && !d.dim_param().empty()) {
      dims.push_back(d.dim_param());
    } else {
      dims.push_back("?");
    }
  }
  return absl::StrCat(out, "[", absl::StrJoin(dims, ","), "]");
}

// Copies `values` (already checked to hold `n` items) into a new tensor, narrowing each item to
// the storage type T after checking that it fits (bit patterns for f16/bf16 are 16-bit unsigned).
template <typename T, typename Src>
absl::StatusOr<Tensor> FromTyped(DType dtype, const Shape& shape, const Src& values, int64_t lo,
                                 int64_t hi, const std::string& where) {
  Tensor t = Tensor::Zeros(dtype, shape);
  T* out = t.mutable_data_as<T>();
  for (int i = 0; i < values.size(); ++i) {
    const auto v = values.Get(i);
    if constexpr (std::is_integral_v<decltype(v)>) {
      if (static_cast<int64_t>(v) < lo || static_cast<int64_t>(v) > hi) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": item ", i, " holds ", v,
                                                       ", expected ", lo, "..", hi));
      }
    }
    out[i] = static_cast<T>(v);
  }
  return t;
}

class OnnxReader {
 public:
  OnnxReader(std::string model_dir, std::string source)
      : model_dir_(std::move(model_dir)), source_(std::move(source)) {}

  absl::StatusOr<Checkpoint> Read(absl::string_view bytes) {
    if (bytes.size() > static_cast<uint64_t>(INT_MAX)) {
      return absl::InvalidArgumentError(absl::StrCat(
          source_, ": model is ", bytes.size(),
          " bytes, over protobuf's 2 GB limit; expected weights in external data files"));
    }
    auto model = std::make_shared<onnx::ModelProto>();
    google::protobuf::io::ArrayInputStream array(bytes.data(), static_cast<int>(bytes.size()));
    google::protobuf::io::CodedInputStream coded(&array);
    coded.SetTotalBytesLimit(INT_MAX);
    if (!model->ParseFromCodedStream(&coded) || !coded.ConsumedEntireMessage()) {
      return absl::InvalidArgumentError(absl::StrCat(
          source_, ": not a valid ONNX ModelProto (protobuf parse failed after reading ",
          coded.CurrentPosition(), " of ", bytes.size(), " bytes; truncated or corrupted?)"));
    }
    if (!model->has_graph()) {
      return absl::InvalidArgumentError(absl::StrCat(source_, ": ModelProto has no graph"));
    }
    Checkpoint ckpt;
    ckpt.format = "onnx";
    Metadata& m = ckpt.metadata;
    m.emplace_back("onnx.ir_version", MetaValue::Int(model->ir_version()));
    if (!model->producer_name().empty()) {
      m.emplace_back("onnx.producer_name", MetaValue::String(model->producer_name()));
    }
    if (!model->producer_version().empty()) {
      m.emplace_back("onnx.producer_version", MetaValue::String(model->producer_version()));
    }
    if (!model->domain().empty()) m.emplace_back("onnx.domain", MetaValue::String(model->domain()));
    if (model->model_version() != 0) {
      m.emplace_back("onnx.model_version", MetaValue::Int(model->model_version()));
    }
    const onnx::GraphProto& graph = model->graph();
    if (!graph.name().empty()) m.emplace_back("onnx.graph_name", MetaValue::String(graph.name()));
    for (const auto& op : model->opset_import()) {
      m.emplace_back(absl::StrCat("onnx.opset.", op.domain().empty() ? "ai.onnx" : op.domain()),
                     MetaValue::Int(op.version()));
    }
    std::set<std::string> initializer_names;
    for (const auto& t : graph.initializer()) initializer_names.insert(t.name());
    int index = 0;
    for (const auto& v : graph.input()) {
      if (initializer_names.count(v.name())) continue;
      m.emplace_back(absl::StrCat("onnx.input.", index++), MetaValue::String(ValueInfoString(v)));
    }
    index = 0;
    for (const auto& v : graph.output()) {
      m.emplace_back(absl::StrCat("onnx.output.", index++), MetaValue::String(ValueInfoString(v)));
    }
    for (const auto& p : model->metadata_props()) {
      m.emplace_back(absl::StrCat("onnx.meta.", p.key()), MetaValue::String(p.value()));
    }
    if (graph.sparse_initializer_size() > 0) {
      ckpt.warnings.push_back(absl::StrCat(source_, ": ", graph.sparse_initializer_size(),
                                           " sparse initializer(s) skipped (not supported)"));
    }

    std::set<std::string> seen;
    for (const TensorProto& t : graph.initializer()) {
      if (!seen.insert(t.name()).second) {
        return absl::InvalidArgumentError(absl::StrCat(source_, ": initializer \"", t.name(),
                                                       "\" appears twice, expected unique names"));
      }
      ASSIGN_OR_RETURN(Tensor tensor, ReadInitializer(t, model));
      ckpt.tensors.push_back({t.name(), std::move(tensor)});
    }
    return ckpt;
  }

 private:
  absl::StatusOr<Tensor> ReadInitializer(const TensorProto& t,
                                         const std::shared_ptr<onnx::ModelProto>& model) {
    const std::string where = absl::StrCat(source_, ": initializer \"", t.name(), "\"");
    ASSIGN_OR_RETURN_CONTEXT(const DType dtype, DTypeForOnnx(t.data_type()), where);
    if (t.has_segment()) {
      return absl::UnimplementedError(absl::StrCat(where, ": segmented tensors are not supported"));
    }
    Shape shape;
    for (int64_t d : t.dims()) {
      if (d < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": dims hold ", d, ", expected non-negative sizes"));
      }
      shape.push_back(d);
    }
    absl::StatusOr<int64_t> numel = NumElements(shape);
    if (!numel.ok()) return absl::InvalidArgumentError(absl::StrCat(where, ": ", numel.status().message()));
    absl::StatusOr<int64_t> nbytes = StorageBytes(dtype, *numel);
    if (!nbytes.ok()) return absl::InvalidArgumentError(absl::StrCat(where, ": ", nbytes.status().message()));

    if (t.data_location() == TensorProto::EXTERNAL) {
      return ReadExternal(t, dtype, shape, static_cast<uint64_t>(*nbytes), where);
    }
    if (t.has_raw_data()) {
      if (t.raw_data().size() != static_cast<uint64_t>(*nbytes)) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": raw_data holds ", t.raw_data().size(), " bytes, ", DTypeName(dtype), " ",
            ShapeToString(shape), " needs ", *nbytes));
      }
      // A view into the parsed model, which the tensor keeps alive.
      return Tensor::View(dtype, shape, model,
                          reinterpret_cast<const uint8_t*>(t.raw_data().data()));
    }
    // Typed fields: the count must match before anything is allocated.
    auto check_count = [&](int count, absl::string_view field) -> absl::Status {
      if (count != *numel) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": ", field, " holds ", count,
                                                       " values, shape ", ShapeToString(shape),
                                                       " needs ", *numel));
      }
      return absl::OkStatus();
    };
    switch (t.data_type()) {
      case TensorProto::FLOAT:
        RETURN_IF_ERROR(check_count(t.float_data_size(), "float_data"));
        return FromTyped<float>(dtype, shape, t.float_data(), 0, 0, where);
      case TensorProto::DOUBLE:
        RETURN_IF_ERROR(check_count(t.double_data_size(), "double_data"));
        return FromTyped<double>(dtype, shape, t.double_data(), 0, 0, where);
      case TensorProto::INT64:
        RETURN_IF_ERROR(check_count(t.int64_data_size(), "int64_data"));
        return FromTyped<int64_t>(dtype, shape, t.int64_data(), std::numeric_limits<int64_t>::min(),
                                  std::numeric_limits<int64_t>::max(), where);
      case TensorProto::INT32:
        RETURN_IF_ERROR(check_count(t.int32_data_size(), "int32_data"));
        return FromTyped<int32_t>(dtype, shape, t.int32_data(), INT32_MIN, INT32_MAX, where);
      case TensorProto::INT16:
        RETURN_IF_ERROR(check_count(t.int32_data_size(), "int32_data"));
        return FromTyped<int16_t>(dtype, shape, t.int32_data(), INT16_MIN, INT16_MAX, where);
      case TensorProto::INT8:
        RETURN_IF_ERROR(check_count(t.int32_data_size(), "int32_data"));
        return FromTyped<int8_t>(dtype, shape, t.int32_data(), INT8_MIN, INT8_MAX, where);
      case TensorProto::UINT8:
        RETURN_IF_ERROR(check_count(t.int32_data_size(), "int32_data"));
        return FromTyped<uint8_t>(dtype, shape, t.int32_data(), 0, UINT8_MAX, where);
      case TensorProto::BOOL:
        RETURN_IF_ERROR(check_count(t.int32_data_size(), "int32_data"));
        return FromTyped<uint8_t>(dtype, shape, t.int32_data(), 0, 1, where);
      case TensorProto::FLOAT16:
      case TensorProto::BFLOAT16:
        // 16-bit patterns stored one per int32 value.
        RETURN_IF_ERROR(check_count(t.int32_data_size(), "int32_data"));
        return FromTyped<uint16_t>(dtype, shape, t.int32_data(), 0, UINT16_MAX, where);
      default:
        break;
    }
    return absl::InternalError(absl::StrCat(where, ": unhandled element type"));
  }

  absl::StatusOr<Tensor> ReadExternal(const TensorProto& t, DType dtype, const Shape& shape,
                                      uint64_t nbytes, const std::string& where) {
    std::string location;
    uint64_t offset = 0;
    bool has_length = false;
    uint64_t length = 0;
    for (const auto& kv : t.external_data()) {
      if (kv.key() == "location") {
        location = kv.value();
      } else if (kv.key() == "offset" || kv.key() == "length") {
        uint64_t v;
        if (!absl::SimpleAtoi(kv.value(), &v)) {
          return absl::InvalidArgumentError(absl::StrCat(where, ": external data ", kv.key(), " \"",
                                                         kv.value(), "\", expected an integer"));
        }
        if (kv.key() == "offset") {
          offset = v;
        } else {
          has_length = true;
          length = v;
        }
      }
    }
    if (location.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": external data without a location, expected a file name"));
    }
    if (location[0] == '/' || location.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": external data location \"", location,
                                                     "\" is absolute, expected a path relative to "
                                                     "the model's folder"));
    }
    for (absl::string_view part : absl::StrSplit(location, absl::ByAnyChar("/\\"))) {
      if (part == "..") {
        return absl::InvalidArgumentError(absl::StrCat(where, ": external data location \"", location,
                                                       "\" escapes the model's folder with \"..\""));
      }
    }
    if (model_dir_.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": external data \"", location, "\" but no model folder is known"));
    }
    if (has_length && length != nbytes) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": external data length ", length, ", ",
                                                     DTypeName(dtype), " ", ShapeToString(shape),
                                                     " needs ", nbytes));
    }
    ASSIGN_OR_RETURN(std::shared_ptr<const MappedFile> file, OpenExternal(location, where));
    if (offset > file->size() || nbytes > file->size() - offset) {
      return absl::OutOfRangeError(absl::StrCat(where, ": external data [", offset, ", +", nbytes,
                                                ") runs past the end of \"", location, "\" (",
                                                file->size(), " bytes)"));
    }
    return Tensor::View(dtype, shape, file, file->data() + offset);
  }

  absl::StatusOr<std::shared_ptr<const MappedFile>> OpenExternal(const std::string& location,
                                                                 const std::string& where) {
    auto it = files_.find(location);
    if (it != files_.end()) return it->second;
    char dir_real[PATH_MAX];
    if (realpath(model_dir_.c_str(), dir_real) == nullptr) {
      return absl::NotFoundError(absl::StrCat(where, ": model folder \"", model_dir_, "\" not found"));
    }
    const std::string path = absl::StrCat(dir_real, "/", location);
    char file_real[PATH_MAX];
    if (realpath(path.c_str(), file_real) == nullptr) {
      return absl::NotFoundError(
          absl::StrCat(where, ": external data file \"", location, "\" not found beside the model"));
    }
    if (!absl::StartsWith(file_real, absl::StrCat(dir_real, "/"))) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": external data location \"", location, "\" resolves to \"", file_real,
          "\", outside the model's folder (symlink?)"));
    }
    ASSIGN_OR_RETURN_CONTEXT(std::shared_ptr<const MappedFile> file, MappedFile::Open(file_real),
                             where);
    files_[location] = file;
    return file;
  }

  std::string model_dir_;
  std::string source_;
  std::map<std::string, std::shared_ptr<const MappedFile>> files_;
};

// Reads a protobuf varint at `*pos`; false when it runs past `s` or is longer than 10 bytes.
bool ReadVarint(absl::string_view s, size_t* pos, uint64_t* value) {
  *value = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (*pos >= s.size()) return false;
    const uint8_t b = static_cast<uint8_t>(s[(*pos)++]);
    *value |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<Checkpoint> ParseOnnxModel(absl::string_view bytes, const std::string& model_dir,
                                          const std::string& source) {
  OnnxReader reader(model_dir, source);
  return reader.Read(bytes);
}

absl::StatusOr<Checkpoint> ReadOnnx(const std::string& path, const ReadOptions& options) {
  if (!options.select.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": --select \"", options.select, "\" applies to PyTorch checkpoints, not ONNX"));
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const MappedFile> file, MappedFile::Open(path));
  // External data sits beside the model file itself, after symlinks are followed (Bazel runfiles
  // and model caches link to files that live together elsewhere).
  std::string dir = ".";
  char real[PATH_MAX];
  const std::string resolved = realpath(path.c_str(), real) != nullptr ? real : path;
  const size_t slash = resolved.rfind('/');
  if (slash != std::string::npos) dir = slash == 0 ? "/" : resolved.substr(0, slash);
  return ParseOnnxModel(file->bytes(), dir, path);
}

bool LooksLikeOnnx(absl::string_view head, uint64_t file_size) {
  // ModelProto fields and their wire types (0 varint, 2 length-delimited).
  static const std::map<uint64_t, int> kFields = {{1, 0}, {2, 2}, {3, 2}, {4, 2}, {5, 0},
                                                  {6, 2}, {7, 2}, {8, 2}, {14, 2}, {20, 2},
                                                  {25, 2}};
  if (head.empty() || static_cast<uint8_t>(head[0]) != 0x08) return false;
  size_t pos = 0;
  int fields = 0;
  while (pos < head.size()) {
    uint64_t tag;
    if (!ReadVarint(head, &pos, &tag)) return fields >= 1 && head.size() < file_size;
    auto it = kFields.find(tag >> 3);
    if (it == kFields.end() || it->second != static_cast<int>(tag & 7)) return false;
    uint64_t value;
    if (!ReadVarint(head, &pos, &value)) return fields >= 1 && head.size() < file_size;
    if (fields == 0 && (value == 0 || value > 100)) return false;  // ir_version
    ++fields;
    if ((tag & 7) == 2) {
      if (value > file_size) return false;
      if (value > head.size() - pos) return true;  // runs past what we were shown: plausible
      pos += value;
    }
  }
  return fields >= 2;
}

const FormatRegistration kOnnxRegistration({
    .id = "onnx",
    .description = "ONNX model initializers (read-only)",
    .extensions = {".onnx"},
    .detect = &LooksLikeOnnx,
    .read = &ReadOnnx,
    .write = nullptr,
});

}  // namespace tp
