#include "runtime/reference/util.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {

absl::StatusOr<std::vector<int64_t>> IntsFromInputOrAttr(const KernelContext& ctx, int input,
                                                         int since, const char* attr,
                                                         bool* present) {
  if (ctx.opset() >= since) {
    const Tensor* t = ctx.OptionalInput(input);
    *present = t != nullptr;
    if (t == nullptr) return std::vector<int64_t>{};
    absl::StatusOr<std::vector<int64_t>> v = ReadInts(*t);
    RETURN_IF_ERROR(ctx.Annotate(v.status()));
    return *v;
  }
  *present = ctx.Attr(attr) != nullptr;
  return ctx.GetInts(attr, {});
}

absl::Status SetPacked(KernelContext& ctx, int i, const Tensor& t) {
  ASSIGN_OR_RETURN(Tensor p, t.Contiguous());
  ctx.SetOutput(i, std::move(p));
  return absl::OkStatus();
}

absl::StatusOr<int64_t> ScalarInt(const KernelContext& ctx, const Tensor& t, const char* what) {
  absl::StatusOr<std::vector<int64_t>> v = ReadInts(t);
  if (!v.ok() || v->size() != 1) {
    return ctx.Invalid(absl::StrCat(what, " must be one integer"));
  }
  return (*v)[0];
}

absl::Status CheckFloatInput(const KernelContext& ctx, const Tensor& t, absl::string_view what) {
  if (!IsFloating(t.dtype())) {
    return ctx.Error(absl::StatusCode::kUnimplemented,
                     absl::StrCat(what, " has dtype ", DTypeName(t.dtype()),
                                  ", expected f32, f64, f16 or bf16"));
  }
  return absl::OkStatus();
}

int64_t Product(const std::vector<int64_t>& v) {
  int64_t p = 1;
  for (int64_t d : v) p *= d;
  return p;
}

absl::Status CheckOutputSize(const KernelContext& ctx, const Shape& shape) {
  for (int64_t d : shape) {
    if (d < 0) {
      return ctx.Invalid(absl::StrCat("computed output shape ", ShapeToString(shape),
                                      " has a negative dim (kernel larger than padded input?)"));
    }
  }
  absl::StatusOr<int64_t> n = NumElements(shape);
  if (!n.ok()) return ctx.Invalid(std::string(n.status().message()));
  // Attribute-driven sizes (strides, output_shape) are checked before anything is allocated.
  if (*n > kMaxOutputElements) {
    return ctx.Invalid(absl::StrCat("computed output shape ", ShapeToString(shape), " has ", *n,
                                    " elements, expected at most ", kMaxOutputElements));
  }
  return absl::OkStatus();
}

void StridedCopy(const uint8_t* in, int64_t base, const std::vector<int64_t>& in_strides,
                 const Shape& out_shape, int es, uint8_t* out) {
  const int rank = static_cast<int>(out_shape.size());
  int64_t n = 1;
  for (int64_t d : out_shape) n *= d;
  if (n == 0) return;
  std::vector<int64_t> pos(rank, 0);
  int64_t off = base;
  for (int64_t k = 0; k < n; ++k) {
    std::memcpy(out + k * es, in + off * es, es);
    for (int d = rank - 1; d >= 0; --d) {
      if (++pos[d] < out_shape[d]) {
        off += in_strides[d];
        break;
      }
      off -= in_strides[d] * (out_shape[d] - 1);
      pos[d] = 0;
    }
  }
}

Tensor SliceAxis(const Tensor& x, int axis, int64_t start, int64_t len) {
  Shape out = x.shape();
  out[axis] = len;
  Tensor y = Tensor::Zeros(x.dtype(), out);
  const int es = ElementSize(x.dtype());
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= out[i];
  for (int i = axis + 1; i < x.rank(); ++i) inner *= out[i];
  const int64_t in_row = x.shape()[axis] * inner * es, out_row = len * inner * es;
  for (int64_t o = 0; o < outer; ++o) {
    if (out_row > 0) {
      std::memcpy(y.mutable_data() + o * out_row, x.data() + o * in_row + start * inner * es,
                  out_row);
    }
  }
  return y;
}

absl::StatusOr<Tensor> ConcatAlong(const std::vector<Tensor>& parts, int axis) {
  if (parts.empty()) return absl::InvalidArgumentError("nothing to concatenate");
  std::vector<Tensor> ins;
  for (const Tensor& t : parts) {
    ASSIGN_OR_RETURN(Tensor p, t.Contiguous());
    ins.push_back(std::move(p));
  }
  const int rank = ins[0].rank();
  if (axis < 0 || axis >= rank) {
    return absl::InvalidArgumentError(
        absl::StrCat("axis ", axis, " is out of range for rank ", rank));
  }
  Shape out = ins[0].shape();
  out[axis] = 0;
  for (size_t k = 0; k < ins.size(); ++k) {
    const Tensor& t = ins[k];
    bool ok = t.rank() == rank && t.dtype() == ins[0].dtype();
    for (int i = 0; ok && i < rank; ++i) ok = i == axis || t.shape()[i] == ins[0].shape()[i];
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat("input ", k, " (", DTypeName(t.dtype()), " ", ShapeToString(t.shape()),
                       ") does not match input 0 (", DTypeName(ins[0].dtype()), " ",
                       ShapeToString(ins[0].shape()), ") outside axis ", axis));
    }
    out[axis] += t.shape()[axis];
  }
  RETURN_IF_ERROR(CheckOutputShape(out));
  Tensor y = Tensor::Zeros(ins[0].dtype(), out);
  const int es = ElementSize(y.dtype());
  int64_t outer = 1;
  for (int i = 0; i < axis; ++i) outer *= out[i];
  int64_t inner = 1;
  for (int i = axis + 1; i < rank; ++i) inner *= out[i];
  const int64_t out_row = out[axis] * inner * es;
  int64_t col = 0;
  for (const Tensor& t : ins) {
    const int64_t row = t.shape()[axis] * inner * es;
    for (int64_t o = 0; o < outer; ++o) {
      if (row > 0) std::memcpy(y.mutable_data() + o * out_row + col, t.data() + o * row, row);
    }
    col += row;
  }
  return y;
}

absl::StatusOr<Tensor> StackAlong(const std::vector<Tensor>& parts, int axis) {
  if (parts.empty()) return absl::InvalidArgumentError("nothing to stack");
  const Shape& s = parts[0].shape();
  if (axis < 0 || axis > static_cast<int>(s.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("axis ", axis, " is out of range for rank ", s.size() + 1));
  }
  std::vector<Tensor> expanded;
  for (size_t k = 0; k < parts.size(); ++k) {
    if (parts[k].shape() != s || parts[k].dtype() != parts[0].dtype()) {
      return absl::InvalidArgumentError(
          absl::StrCat("element ", k, " is ", DTypeName(parts[k].dtype()), " ",
                       ShapeToString(parts[k].shape()), ", element 0 ", DTypeName(parts[0].dtype()),
                       " ", ShapeToString(s), "; stacking needs one dtype and shape"));
    }
    Shape e = s;
    e.insert(e.begin() + axis, 1);
    ASSIGN_OR_RETURN(Tensor p, parts[k].Contiguous());
    ASSIGN_OR_RETURN(Tensor r, p.Reshaped(e));
    expanded.push_back(std::move(r));
  }
  return ConcatAlong(expanded, axis);
}

Tensor GatherFlat(const Tensor& x, const Shape& out, const std::vector<int64_t>& index) {
  Tensor y = Tensor::Zeros(x.dtype(), out);
  const int es = ElementSize(x.dtype());
  for (size_t k = 0; k < index.size(); ++k) {
    std::memcpy(y.mutable_data() + k * es, x.data() + index[k] * es, es);
  }
  return y;
}

Tensor PermuteAs(const Tensor& x, const Shape& shape, const std::vector<int>& perm,
                 const Shape& out) {
  const int rank = static_cast<int>(shape.size());
  std::vector<int64_t> st = RowMajorStrides(shape);
  Shape pshape(rank);
  std::vector<int64_t> pst(rank);
  for (int i = 0; i < rank; ++i) {
    pshape[i] = shape[perm[i]];
    pst[i] = st[perm[i]];
  }
  Tensor y = Tensor::Zeros(x.dtype(), out);
  const int es = ElementSize(x.dtype());
  std::vector<int64_t> pos(rank, 0);
  const int64_t n = x.num_elements();
  for (int64_t k = 0; k < n; ++k) {
    int64_t off = 0;
    for (int d = 0; d < rank; ++d) off += pos[d] * pst[d];
    std::memcpy(y.mutable_data() + k * es, x.data() + off * es, es);
    for (int d = rank - 1; d >= 0; --d) {
      if (++pos[d] < pshape[d]) break;
      pos[d] = 0;
    }
  }
  return y;
}

}  // namespace rt
}  // namespace tp
