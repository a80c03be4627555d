#include "runtime/tensor_util.h"

#include <cstring>

#include <onnx/onnx_pb.h>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace tp {
namespace rt {

absl::StatusOr<DType> DTypeFromOnnx(int elem_type) {
  switch (elem_type) {
    case onnx::TensorProto::FLOAT: return DType::kF32;
    case onnx::TensorProto::FLOAT16: return DType::kF16;
    case onnx::TensorProto::BFLOAT16: return DType::kBF16;
    case onnx::TensorProto::DOUBLE: return DType::kF64;
    case onnx::TensorProto::INT8: return DType::kI8;
    case onnx::TensorProto::INT16: return DType::kI16;
    case onnx::TensorProto::INT32: return DType::kI32;
    case onnx::TensorProto::INT64: return DType::kI64;
    case onnx::TensorProto::UINT8: return DType::kU8;
    case onnx::TensorProto::UINT16: return DType::kU16;
    case onnx::TensorProto::UINT32: return DType::kU32;
    case onnx::TensorProto::UINT64: return DType::kU64;
    case onnx::TensorProto::BOOL: return DType::kBool;
    default: {
      const std::string name =
          onnx::TensorProto::DataType_IsValid(elem_type)
              ? onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(elem_type))
              : "unknown";
      return absl::UnimplementedError(absl::StrCat(
          "ONNX element type ", elem_type, " (", name,
          ") is not supported; expected float, float16, bfloat16, double, int8, int16, int32, "
          "int64, uint8, uint16, uint32, uint64 or bool"));
    }
  }
}

int OnnxFromDType(DType t) {
  switch (t) {
    case DType::kF32: return onnx::TensorProto::FLOAT;
    case DType::kF16: return onnx::TensorProto::FLOAT16;
    case DType::kBF16: return onnx::TensorProto::BFLOAT16;
    case DType::kF64: return onnx::TensorProto::DOUBLE;
    case DType::kI8: return onnx::TensorProto::INT8;
    case DType::kI16: return onnx::TensorProto::INT16;
    case DType::kI32: return onnx::TensorProto::INT32;
    case DType::kI64: return onnx::TensorProto::INT64;
    case DType::kU8: return onnx::TensorProto::UINT8;
    case DType::kU16: return onnx::TensorProto::UINT16;
    case DType::kU32: return onnx::TensorProto::UINT32;
    case DType::kU64: return onnx::TensorProto::UINT64;
    case DType::kBool: return onnx::TensorProto::BOOL;
    case DType::kQ8_0: return onnx::TensorProto::UNDEFINED;
  }
  return onnx::TensorProto::UNDEFINED;
}

absl::StatusOr<Shape> BroadcastShapes(absl::Span<const Shape> shapes) {
  size_t rank = 0;
  for (const Shape& s : shapes) rank = std::max(rank, s.size());
  Shape out(rank, 1);
  for (const Shape& s : shapes) {
    const size_t off = rank - s.size();
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t& o = out[off + i];
      if (s[i] == o || s[i] == 1) continue;
      if (o == 1) {
        o = s[i];
        continue;
      }
      return absl::InvalidArgumentError(absl::StrCat(
          "shapes cannot broadcast: dim ", off + i, " is ", o, " in one input and ", s[i],
          " in ", ShapeToString(s), "; expected equal dims or 1"));
    }
  }
  return out;
}

std::vector<int64_t> RowMajorStrides(const Shape& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (int i = static_cast<int>(shape.size()) - 2; i >= 0; --i) {
    strides[i] = strides[i + 1] * shape[i + 1];
  }
  return strides;
}

std::vector<int64_t> BroadcastIndex(const Shape& in, const Shape& out) {
  int64_t n = 1;
  for (int64_t d : out) n *= d;
  std::vector<int64_t> index(n);
  const int rank = static_cast<int>(out.size());
  const int off = rank - static_cast<int>(in.size());
  // Stride of each output dim in the input (0 where the input broadcasts).
  std::vector<int64_t> in_strides = RowMajorStrides(in);
  std::vector<int64_t> strides(rank, 0);
  for (int i = 0; i < static_cast<int>(in.size()); ++i) {
    strides[off + i] = in[i] == 1 ? 0 : in_strides[i];
  }
  std::vector<int64_t> pos(rank, 0);
  int64_t cur = 0;
  for (int64_t k = 0; k < n; ++k) {
    index[k] = cur;
    for (int d = rank - 1; d >= 0; --d) {
      if (++pos[d] < out[d]) {
        cur += strides[d];
        break;
      }
      cur -= strides[d] * (out[d] - 1);
      pos[d] = 0;
    }
  }
  return index;
}

absl::StatusOr<int> NormalizeAxis(int64_t axis, int rank) {
  if (axis < -rank || axis >= std::max(rank, 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("axis ", axis, " is out of range for rank ", rank, "; expected [", -rank,
                     ", ", rank, ")"));
  }
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

template <>
absl::StatusOr<std::vector<double>> ReadAs<double>(const Tensor& t) {
  return ToDoubleVector(t);
}

template <>
absl::StatusOr<std::vector<int64_t>> ReadAs<int64_t>(const Tensor& input) {
  ASSIGN_OR_RETURN(Tensor t, input.Contiguous());
  const int64_t n = t.num_elements();
  std::vector<int64_t> out(n);
  switch (t.dtype()) {
    case DType::kI8:
      for (int64_t i = 0; i < n; ++i) out[i] = t.data_as<int8_t>()[i];
      break;
    case DType::kI16:
      for (int64_t i = 0; i < n; ++i) out[i] = t.data_as<int16_t>()[i];
      break;
    case DType::kI32:
      for (int64_t i = 0; i < n; ++i) out[i] = t.data_as<int32_t>()[i];
      break;
    case DType::kI64:
      if (n > 0) std::memcpy(out.data(), t.data(), n * sizeof(int64_t));
      break;
    case DType::kU8:
    case DType::kBool:
      for (int64_t i = 0; i < n; ++i) out[i] = t.data()[i];
      break;
    case DType::kU16:
      for (int64_t i = 0; i < n; ++i) out[i] = t.data_as<uint16_t>()[i];
      break;
    case DType::kU32:
      for (int64_t i = 0; i < n; ++i) out[i] = t.data_as<uint32_t>()[i];
      break;
    case DType::kU64:
      // The bits: values from 2^63 read as negative; kernels with an unsigned meaning (compare,
      // divide, shift) handle kU64 themselves.
      if (n > 0) std::memcpy(out.data(), t.data(), n * sizeof(int64_t));
      break;
    default: {
      ASSIGN_OR_RETURN(std::vector<double> d, ToDoubleVector(t));
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<int64_t>(d[i]);
    }
  }
  return out;
}

template <>
absl::StatusOr<Tensor> WriteAs<double>(DType dtype, Shape shape,
                                       const std::vector<double>& values) {
  Tensor t = Tensor::Zeros(DType::kF64, std::move(shape));
  if (static_cast<int64_t>(values.size()) != t.num_elements()) {
    return absl::InternalError(absl::StrCat("WriteAs: ", values.size(), " values for shape ",
                                            ShapeToString(t.shape())));
  }
  if (!values.empty()) std::memcpy(t.mutable_data(), values.data(), values.size() * 8);
  if (dtype == DType::kF64) return t;
  return Cast(t, dtype);
}

template <>
absl::StatusOr<Tensor> WriteAs<int64_t>(DType dtype, Shape shape,
                                        const std::vector<int64_t>& values) {
  Tensor t = Tensor::Zeros(dtype, std::move(shape));
  const int64_t n = t.num_elements();
  if (static_cast<int64_t>(values.size()) != n) {
    return absl::InternalError(absl::StrCat("WriteAs: ", values.size(), " values for shape ",
                                            ShapeToString(t.shape())));
  }
  switch (dtype) {
    case DType::kI8:
      for (int64_t i = 0; i < n; ++i) t.mutable_data_as<int8_t>()[i] = values[i];
      break;
    case DType::kI16:
      for (int64_t i = 0; i < n; ++i) t.mutable_data_as<int16_t>()[i] = values[i];
      break;
    case DType::kI32:
      for (int64_t i = 0; i < n; ++i) t.mutable_data_as<int32_t>()[i] = values[i];
      break;
    case DType::kI64:
      if (n > 0) std::memcpy(t.mutable_data(), values.data(), n * sizeof(int64_t));
      break;
    case DType::kU8:
      for (int64_t i = 0; i < n; ++i) t.mutable_data()[i] = static_cast<uint8_t>(values[i]);
      break;
    case DType::kU16:
      for (int64_t i = 0; i < n; ++i) {
        t.mutable_data_as<uint16_t>()[i] = static_cast<uint16_t>(values[i]);
      }
      break;
    case DType::kU32:
      for (int64_t i = 0; i < n; ++i) {
        t.mutable_data_as<uint32_t>()[i] = static_cast<uint32_t>(values[i]);
      }
      break;
    case DType::kU64:
      if (n > 0) std::memcpy(t.mutable_data(), values.data(), n * sizeof(int64_t));
      break;
    case DType::kBool:
      for (int64_t i = 0; i < n; ++i) t.mutable_data()[i] = values[i] != 0;
      break;
    default: {
      std::vector<double> d(values.begin(), values.end());
      return WriteAs<double>(dtype, t.shape(), d);
    }
  }
  return t;
}

absl::Status CheckOutputShape(const Shape& shape) {
  absl::StatusOr<int64_t> n = NumElements(shape);
  if (!n.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("output shape ", ShapeToString(shape), ": ", n.status().message()));
  }
  if (*n > kMaxOutputElements) {
    return absl::InvalidArgumentError(absl::StrCat("output shape ", ShapeToString(shape), " has ",
                                                   *n, " elements; the limit is ",
                                                   kMaxOutputElements));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int64_t>> ReadInts(const Tensor& t) {
  if (!IsIntegral(t.dtype())) {
    return absl::InvalidArgumentError(absl::StrCat("expected an integer tensor, found ",
                                                   DTypeName(t.dtype())));
  }
  return ReadAs<int64_t>(t);
}

}  // namespace rt
}  // namespace tp
