// Small tensor helpers shared by the runtime's kernels: ONNX element types, multidirectional
// broadcasting, axis normalization, and widening element access (double for floating types,
// int64 for integer and bool types) so that plain-loop kernels are written once per op.
//
// Example:
//   ASSIGN_OR_RETURN(Shape out, BroadcastShapes({a.shape(), b.shape()}));
//   std::vector<int64_t> ia = BroadcastIndex(a.shape(), out);
//   ASSIGN_OR_RETURN(std::vector<double> va, ReadAs<double>(a));
//   ... y[k] = va[ia[k]] + vb[ib[k]] ...
//   ASSIGN_OR_RETURN(Tensor t, WriteAs<double>(a.dtype(), out, y));
#ifndef TENSORPORT_RUNTIME_TENSOR_UTIL_H_
#define TENSORPORT_RUNTIME_TENSOR_UTIL_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/tensor.h"

namespace tp {
namespace rt {

// onnx::TensorProto::DataType <-> DType. Unsupported ONNX types are Unimplemented.
absl::StatusOr<DType> DTypeFromOnnx(int elem_type);
int OnnxFromDType(DType t);
// True for i8, i16, i32, i64, u8, u16, u32, u64 and bool.
inline bool IsIntegral(DType t) { return !IsFloating(t) && !IsQuantized(t); }

// The multidirectional (NumPy) broadcast of all shapes; InvalidArgument naming both dims.
absl::StatusOr<Shape> BroadcastShapes(absl::Span<const Shape> shapes);
// For each element of `out` (row-major), the flat index of the element of `in` it reads.
std::vector<int64_t> BroadcastIndex(const Shape& in, const Shape& out);
// Row-major element strides.
std::vector<int64_t> RowMajorStrides(const Shape& shape);
// Axis in [-rank, rank) -> [0, rank); InvalidArgument otherwise.
absl::StatusOr<int> NormalizeAxis(int64_t axis, int rank);

// All elements widened: T = double (any type; i64 beyond 2^53 rounds) or int64_t (integral and
// bool types exactly, u64 as its bits; floating types truncate toward zero).
template <typename T>
absl::StatusOr<std::vector<T>> ReadAs(const Tensor& t);
// A new owned tensor of `dtype` from values (double -> rounds/narrows like core Cast).
template <typename T>
absl::StatusOr<Tensor> WriteAs(DType dtype, Shape shape, const std::vector<T>& values);

// Outputs whose size a kernel computes from input *values* (Expand, Tile, ConstantOfShape, Range,
// Pad, Resize, OneHot) are checked against this before allocating: a corrupt or hostile shape
// tensor becomes an error instead of an allocation failure.
inline constexpr int64_t kMaxOutputElements = int64_t{1} << 32;
// InvalidArgument unless every dim is >= 0 and the element count is at most kMaxOutputElements.
absl::Status CheckOutputShape(const Shape& shape);

// Reads a 1-D (or scalar) integer tensor as int64 values (shape, axes, pads inputs).
absl::StatusOr<std::vector<int64_t>> ReadInts(const Tensor& t);

// A packed (contiguous, little-endian) version of t.
inline absl::StatusOr<Tensor> Packed(const Tensor& t) { return t.Contiguous(); }

}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_TENSOR_UTIL_H_
