#include "runtime/tensor_proto.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "core/half.h"
#include "core/status_macros.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace {

std::string Label(const onnx::TensorProto& p, absl::string_view source) {
  return absl::StrCat(source, ": tensor \"", p.name(), "\"");
}

absl::Status CountMismatch(const onnx::TensorProto& p, absl::string_view source,
                           absl::string_view field, int64_t found, int64_t expected) {
  return absl::InvalidArgumentError(absl::StrCat(Label(p, source), ": ", field, " holds ", found,
                                                 " values, dims need ", expected));
}

absl::StatusOr<std::string> ReadExternal(const onnx::TensorProto& p, absl::string_view source,
                                         const std::string& base_dir, int64_t need) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& e : p.external_data()) {
    if (e.key() == "location") location = e.value();
    if (e.key() == "offset") offset = std::atoll(e.value().c_str());
    if (e.key() == "length") length = std::atoll(e.value().c_str());
  }
  if (base_dir.empty() || location.empty() || location.find("..") != std::string::npos ||
      location[0] == '/') {
    return absl::InvalidArgumentError(absl::StrCat(
        Label(p, source), ": external data location \"", location,
        "\" is not usable; expected a relative path inside the model's folder"));
  }
  if (length >= 0 && length != need) {
    return absl::InvalidArgumentError(absl::StrCat(Label(p, source), ": external length ",
                                                   length, ", dims need ", need, " bytes"));
  }
  const std::string path = base_dir + "/" + location;
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return absl::NotFoundError(absl::StrCat(Label(p, source), ": cannot open ", path));
  const int64_t size = in.tellg();
  if (offset < 0 || offset > size || size - offset < need) {
    return absl::OutOfRangeError(absl::StrCat(Label(p, source), ": ", path, " has ", size,
                                              " bytes, need ", need, " at offset ", offset));
  }
  std::string bytes(need, '\0');
  in.seekg(offset);
  in.read(bytes.data(), need);
  if (!in) return absl::OutOfRangeError(absl::StrCat(Label(p, source), ": short read of ", path));
  return bytes;
}

}  // namespace

absl::StatusOr<Tensor> TakeTensorFromProto(onnx::TensorProto* p, absl::string_view source,
                                           const std::string& base_dir) {
  if (p->data_location() != onnx::TensorProto::EXTERNAL && p->has_raw_data()) {
    absl::StatusOr<DType> dtype = DTypeFromOnnx(p->data_type());
    absl::StatusOr<int64_t> n = NumElements(Shape(p->dims().begin(), p->dims().end()));
    if (dtype.ok() && n.ok()) {
      absl::StatusOr<int64_t> need = StorageBytes(*dtype, *n);
      auto bytes = std::make_shared<std::string>();
      bytes->swap(*p->mutable_raw_data());
      const uint8_t* data = reinterpret_cast<const uint8_t*>(bytes->data());
      const size_t align = std::min<size_t>(ElementSize(*dtype) > 0 ? ElementSize(*dtype) : 1, 8);
      if (need.ok() && static_cast<int64_t>(bytes->size()) == *need &&
          reinterpret_cast<uintptr_t>(data) % align == 0) {
        Shape shape(p->dims().begin(), p->dims().end());
        p->clear_raw_data();
        return Tensor::View(*dtype, std::move(shape), bytes, data);
      }
      bytes->swap(*p->mutable_raw_data());  // the checks below report what is wrong
    }
  }
  absl::StatusOr<Tensor> t = TensorFromProto(*p, source, base_dir);
  // Release the memory, not just the contents.
  std::string().swap(*p->mutable_raw_data());
  p->clear_raw_data();
  google::protobuf::RepeatedField<float>().Swap(p->mutable_float_data());
  google::protobuf::RepeatedField<int32_t>().Swap(p->mutable_int32_data());
  google::protobuf::RepeatedField<int64_t>().Swap(p->mutable_int64_data());
  google::protobuf::RepeatedField<double>().Swap(p->mutable_double_data());
  google::protobuf::RepeatedField<uint64_t>().Swap(p->mutable_uint64_data());
  return t;
}

absl::StatusOr<Tensor> TensorFromProto(const onnx::TensorProto& p, absl::string_view source,
                                       const std::string& base_dir) {
  ASSIGN_OR_RETURN_CONTEXT(const DType dtype, DTypeFromOnnx(p.data_type()), Label(p, source));
  Shape shape(p.dims().begin(), p.dims().end());
  absl::StatusOr<int64_t> n_or = NumElements(shape);
  if (!n_or.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Label(p, source), ": dims ", ShapeToString(shape), ": ",
                     n_or.status().message()));
  }
  const int64_t n = *n_or;
  ASSIGN_OR_RETURN(int64_t need, StorageBytes(dtype, n));
  if (p.data_location() == onnx::TensorProto::EXTERNAL) {
    ASSIGN_OR_RETURN(std::string bytes, ReadExternal(p, source, base_dir, need));
    return Tensor::FromBytes(dtype, shape, bytes);
  }
  if (p.has_raw_data()) {
    if (static_cast<int64_t>(p.raw_data().size()) != need) {
      return absl::InvalidArgumentError(absl::StrCat(
          Label(p, source), ": raw_data holds ", p.raw_data().size(), " bytes, ",
          DTypeName(dtype), " ", ShapeToString(shape), " needs ", need));
    }
    return Tensor::FromBytes(dtype, shape, p.raw_data());
  }
  Tensor t = Tensor::Zeros(dtype, shape);
  switch (dtype) {
    case DType::kF32:
      if (p.float_data_size() != n) return CountMismatch(p, source, "float_data", p.float_data_size(), n);
      for (int64_t i = 0; i < n; ++i) t.mutable_data_as<float>()[i] = p.float_data(i);
      break;
    case DType::kF64:
      if (p.double_data_size() != n) return CountMismatch(p, source, "double_data", p.double_data_size(), n);
      for (int64_t i = 0; i < n; ++i) t.mutable_data_as<double>()[i] = p.double_data(i);
      break;
    case DType::kI64:
      if (p.int64_data_size() != n) return CountMismatch(p, source, "int64_data", p.int64_data_size(), n);
      for (int64_t i = 0; i < n; ++i) t.mutable_data_as<int64_t>()[i] = p.int64_data(i);
      break;
    case DType::kU32:
      if (p.uint64_data_size() != n) return CountMismatch(p, source, "uint64_data", p.uint64_data_size(), n);
      for (int64_t i = 0; i < n; ++i) {
        t.mutable_data_as<uint32_t>()[i] = static_cast<uint32_t>(p.uint64_data(i));
      }
      break;
    case DType::kU64:
      if (p.uint64_data_size() != n) return CountMismatch(p, source, "uint64_data", p.uint64_data_size(), n);
      for (int64_t i = 0; i < n; ++i) t.mutable_data_as<uint64_t>()[i] = p.uint64_data(i);
      break;
    default: {
      // int32_data carries int32, int16, int8, uint16, uint8, bool, and the bits of
      // float16/bfloat16.
      if (p.int32_data_size() != n) return CountMismatch(p, source, "int32_data", p.int32_data_size(), n);
      for (int64_t i = 0; i < n; ++i) {
        const int32_t v = p.int32_data(i);
        switch (dtype) {
          case DType::kI32: t.mutable_data_as<int32_t>()[i] = v; break;
          case DType::kI16: t.mutable_data_as<int16_t>()[i] = static_cast<int16_t>(v); break;
          case DType::kI8: t.mutable_data_as<int8_t>()[i] = static_cast<int8_t>(v); break;
          case DType::kU8: t.mutable_data()[i] = static_cast<uint8_t>(v); break;
          case DType::kU16: t.mutable_data_as<uint16_t>()[i] = static_cast<uint16_t>(v); break;
          case DType::kBool: t.mutable_data()[i] = v != 0; break;
          case DType::kF16:
          case DType::kBF16: t.mutable_data_as<uint16_t>()[i] = static_cast<uint16_t>(v); break;
          default: break;
        }
      }
    }
  }
  return t;
}

absl::StatusOr<Tensor> ReadTensorProtoFile(const std::string& path, std::string* name) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::stringstream ss;
  ss << in.rdbuf();
  onnx::TensorProto p;
  if (!p.ParseFromString(ss.str())) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a serialized onnx.TensorProto (protobuf parse failed)"));
  }
  if (name != nullptr) *name = p.name();
  return TensorFromProto(p, path);
}

absl::StatusOr<std::map<std::string, Tensor>> ReadTensorSetFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::stringstream ss;
  ss << in.rdbuf();
  onnx::GraphProto g;
  if (!g.ParseFromString(ss.str())) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a serialized onnx.GraphProto (protobuf parse failed)"));
  }
  std::map<std::string, Tensor> tensors;
  for (const onnx::TensorProto& t : g.initializer()) {
    ASSIGN_OR_RETURN(tensors[t.name()], TensorFromProto(t, path));
  }
  return tensors;
}

absl::StatusOr<onnx::TensorProto> TensorToProto(const Tensor& input, const std::string& name) {
  if (input.dtype() == DType::kQ8_0) {
    return absl::UnimplementedError(absl::StrCat("tensor \"", name, "\": q8_0 has no ONNX type"));
  }
  ASSIGN_OR_RETURN(Tensor t, input.Contiguous());
  onnx::TensorProto p;
  p.set_name(name);
  p.set_data_type(OnnxFromDType(t.dtype()));
  for (int64_t d : t.shape()) p.add_dims(d);
  p.set_raw_data(std::string(reinterpret_cast<const char*>(t.data()), t.nbytes()));
  return p;
}

absl::StatusOr<Value> ValueFromSequenceProto(const onnx::SequenceProto& proto,
                                             absl::string_view source, DType empty_elem_type) {
  if (proto.elem_type() != onnx::SequenceProto::TENSOR &&
      proto.elem_type() != onnx::SequenceProto::UNDEFINED) {
    return absl::UnimplementedError(absl::StrCat(source, ": sequence \"", proto.name(),
                                                 "\" holds element kind ", proto.elem_type(),
                                                 "; only sequences of tensors are supported"));
  }
  std::vector<Tensor> items;
  for (const onnx::TensorProto& t : proto.tensor_values()) {
    ASSIGN_OR_RETURN(Tensor x, TensorFromProto(t, source));
    if (!items.empty() && x.dtype() != items[0].dtype()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": sequence \"", proto.name(),
                                                     "\" mixes element types"));
    }
    items.push_back(std::move(x));
  }
  const DType dtype = items.empty() ? empty_elem_type : items[0].dtype();
  return Value::Sequence(dtype, std::move(items));
}

absl::StatusOr<Value> ValueFromOptionalProto(const onnx::OptionalProto& proto,
                                             absl::string_view source) {
  switch (proto.elem_type()) {
    case onnx::OptionalProto::UNDEFINED:
      return Value::None();
    case onnx::OptionalProto::TENSOR: {
      ASSIGN_OR_RETURN(Tensor t, TensorFromProto(proto.tensor_value(), source));
      return Value::FromTensor(std::move(t));
    }
    case onnx::OptionalProto::SEQUENCE:
      return ValueFromSequenceProto(proto.sequence_value(), source);
    default:
      return absl::UnimplementedError(absl::StrCat(source, ": optional \"", proto.name(),
                                                   "\" holds element kind ", proto.elem_type(),
                                                   "; expected a tensor or a sequence"));
  }
}

}  // namespace rt
}  // namespace tp
