#include "core/tensor_ops.h"

#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "core/tensor_reader.h"

namespace tp {
namespace {

int64_t Product(const Shape& s, int begin, int end) {
  int64_t p = 1;
  for (int i = begin; i < end; ++i) p *= s[i];
  return p;
}

// Copies `count` elements of `esize` bytes from strided positions (fast paths for common sizes).
template <typename T>
void GatherTyped(const uint8_t* src, int64_t stride, int64_t count, uint8_t* dst) {
  const T* s = reinterpret_cast<const T*>(src);
  T* d = reinterpret_cast<T*>(dst);
  for (int64_t i = 0; i < count; ++i) d[i] = s[i * stride];
}

void Gather(const uint8_t* src, int64_t stride, int64_t count, int esize, uint8_t* dst) {
  switch (esize) {
    case 1:
      return GatherTyped<uint8_t>(src, stride, count, dst);
    case 2:
      return GatherTyped<uint16_t>(src, stride, count, dst);
    case 4:
      return GatherTyped<uint32_t>(src, stride, count, dst);
    case 8:
      return GatherTyped<uint64_t>(src, stride, count, dst);
    default:
      for (int64_t i = 0; i < count; ++i)
        std::memcpy(dst + i * esize, src + i * stride * esize, esize);
  }
}

absl::Status NotQuantized(const Tensor& t, absl::string_view op) {
  if (t.dtype() == DType::kQ8_0) {
    return absl::UnimplementedError(absl::StrCat(op, " of a q8_0 tensor is not supported"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<int> NormalizeAxis(int axis, int rank, absl::string_view what) {
  const int a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": axis ", axis, " is out of range for rank ", rank));
  }
  return a;
}

std::vector<int> InversePermutation(const std::vector<int>& perm) {
  std::vector<int> inv(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) inv[perm[i]] = static_cast<int>(i);
  return inv;
}

absl::StatusOr<Tensor> PermuteTensor(const Tensor& t, const std::vector<int>& perm) {
  RETURN_IF_ERROR(NotQuantized(t, "permute"));
  if (static_cast<int>(perm.size()) != t.rank()) {
    return absl::InvalidArgumentError(
        absl::StrCat("permute: perm has ", perm.size(), " axes, tensor has rank ", t.rank()));
  }
  ASSIGN_OR_RETURN(Tensor in, t.Contiguous());
  const int rank = in.rank();
  bool identity = true;
  for (int i = 0; i < rank; ++i) identity = identity && perm[i] == i;
  if (identity) return in;
  std::vector<int64_t> in_strides(rank, 1);
  for (int i = rank - 2; i >= 0; --i) in_strides[i] = in_strides[i + 1] * in.shape()[i + 1];
  Shape out_shape;
  std::vector<int64_t> strides;  // input stride for each output axis
  for (int p : perm) {
    out_shape.push_back(in.shape()[p]);
    strides.push_back(in_strides[p]);
  }
  Tensor out = Tensor::Zeros(in.dtype(), out_shape);
  if (out.num_elements() == 0) return out;
  const int esize = ElementSize(in.dtype());
  const int64_t inner = out_shape[rank - 1];
  const int64_t inner_stride = strides[rank - 1];
  const int64_t rows = out.num_elements() / inner;
  std::vector<int64_t> idx(rank, 0);
  const uint8_t* src = in.data();
  uint8_t* dst = out.mutable_data();
  for (int64_t r = 0; r < rows; ++r) {
    int64_t off = 0;
    for (int d = 0; d < rank - 1; ++d) off += idx[d] * strides[d];
    Gather(src + off * esize, inner_stride, inner, esize, dst + r * inner * esize);
    for (int d = rank - 2; d >= 0; --d) {
      if (++idx[d] < out_shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

absl::StatusOr<Tensor> SliceTensor(const Tensor& t, int axis, int64_t offset, int64_t size) {
  RETURN_IF_ERROR(NotQuantized(t, "split"));
  ASSIGN_OR_RETURN(Tensor in, t.Contiguous());
  if (axis < 0 || axis >= in.rank() || offset < 0 || size < 0 || offset + size > in.shape()[axis]) {
    return absl::InvalidArgumentError(absl::StrCat("split: slice ", offset, ":", offset + size,
                                                   " of axis ", axis, " is outside shape ",
                                                   ShapeToString(in.shape())));
  }
  Shape shape = in.shape();
  shape[axis] = size;
  Tensor out = Tensor::Zeros(in.dtype(), shape);
  const int64_t esize = ElementSize(in.dtype());
  const int64_t outer = Product(in.shape(), 0, axis);
  const int64_t inner = Product(in.shape(), axis + 1, in.rank()) * esize;
  const int64_t dim = in.shape()[axis];
  for (int64_t o = 0; o < outer; ++o) {
    std::memcpy(out.mutable_data() + o * size * inner, in.data() + (o * dim + offset) * inner,
                size * inner);
  }
  return out;
}

absl::StatusOr<Tensor> ConcatTensors(const std::vector<Tensor>& parts, int axis) {
  if (parts.empty()) return absl::InvalidArgumentError("concat: no parts");
  std::vector<Tensor> in;
  for (const Tensor& p : parts) {
    RETURN_IF_ERROR(NotQuantized(p, "concat"));
    ASSIGN_OR_RETURN(Tensor c, p.Contiguous());
    in.push_back(std::move(c));
  }
  Shape shape = in[0].shape();
  shape[axis] = 0;
  for (const Tensor& p : in) shape[axis] += p.shape()[axis];
  Tensor out = Tensor::Zeros(in[0].dtype(), shape);
  const int64_t esize = ElementSize(in[0].dtype());
  const int64_t outer = Product(shape, 0, axis);
  const int64_t inner = Product(shape, axis + 1, shape.size()) * esize;
  uint8_t* dst = out.mutable_data();
  for (int64_t o = 0; o < outer; ++o) {
    for (const Tensor& p : in) {
      const int64_t chunk = p.shape()[axis] * inner;
      std::memcpy(dst, p.data() + o * chunk, chunk);
      dst += chunk;
    }
  }
  return out;
}

absl::StatusOr<Tensor> WeightNormF64(const Tensor& g, const Tensor& v, int axis) {
  ASSIGN_OR_RETURN(std::vector<double> gv, ToDoubleVector(g));
  ASSIGN_OR_RETURN(std::vector<double> vv, ToDoubleVector(v));
  Tensor out = Tensor::Zeros(DType::kF64, v.shape());
  double* o = out.mutable_data_as<double>();
  if (axis < 0) {
    if (gv.size() > 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("weight norm over all axes: g has ", gv.size(), " values, expected 1"));
    }
    double sum = 0;
    for (double x : vv) sum += x * x;
    const double scale = (gv.empty() ? 1.0 : gv[0]) / std::sqrt(sum);
    for (size_t i = 0; i < vv.size(); ++i) o[i] = vv[i] * scale;
    return out;
  }
  if (axis >= v.rank()) {
    return absl::InvalidArgumentError(
        absl::StrCat("weight norm axis ", axis, " of a rank-", v.rank(), " tensor"));
  }
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= v.shape()[i];
  for (int i = axis + 1; i < v.rank(); ++i) inner *= v.shape()[i];
  const int64_t n = v.shape()[axis];
  if (static_cast<int64_t>(gv.size()) != n) {
    return absl::InvalidArgumentError(absl::StrCat("weight norm over axis ", axis, ": g has ",
                                                   gv.size(), " values, expected ", n));
  }
  std::vector<double> norm(n, 0.0);
  for (int64_t a = 0; a < outer; ++a) {
    for (int64_t c = 0; c < n; ++c) {
      for (int64_t i = 0; i < inner; ++i) {
        const double x = vv[(a * n + c) * inner + i];
        norm[c] += x * x;
      }
    }
  }
  for (int64_t c = 0; c < n; ++c) norm[c] = gv[c] / std::sqrt(norm[c]);
  for (int64_t a = 0; a < outer; ++a) {
    for (int64_t c = 0; c < n; ++c) {
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t k = (a * n + c) * inner + i;
        o[k] = vv[k] * norm[c];
      }
    }
  }
  return out;
}

absl::StatusOr<bool> SameValues(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  TensorBlockReader ra(a), rb(b);
  while (true) {
    ASSIGN_OR_RETURN(TensorBlock x, ra.Next(1 << 16));
    ASSIGN_OR_RETURN(TensorBlock y, rb.Next(1 << 16));
    if (x.count != y.count) return false;
    if (x.count == 0) return true;
    if (std::memcmp(x.data, y.data, x.bytes) != 0) return false;
  }
}

}  // namespace tp
