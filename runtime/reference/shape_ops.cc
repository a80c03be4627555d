// Shape and data-movement reference kernels. These move elements as bytes, so they serve every
// element type alike.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"
#include "runtime/reference/light_kernels.h"
#include "runtime/tensor_proto.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace {

KernelDef Def(const char* op, int since, int until, KernelFn fn) {
  return KernelDef{"", op, since, until, std::move(fn)};
}

absl::Status Wrap(const KernelContext& ctx, const absl::Status& s) {
  if (s.ok()) return s;
  return ctx.Error(s.code(), s.message());
}

absl::Status Invalid(const KernelContext& ctx, const std::string& msg) {
  return ctx.Error(absl::StatusCode::kInvalidArgument, msg);
}

// Integer list from input i (opset >= since) or attribute `attr` (before); `present` tells
// whether either was given.
absl::StatusOr<std::vector<int64_t>> IntsFromInputOrAttr(const KernelContext& ctx, int input,
                                                         int since, const char* attr,
                                                         bool* present) {
  if (ctx.opset() >= since) {
    const Tensor* t = ctx.OptionalInput(input);
    *present = t != nullptr;
    if (t == nullptr) return std::vector<int64_t>{};
    absl::StatusOr<std::vector<int64_t>> v = ReadInts(*t);
    RETURN_IF_ERROR(Wrap(ctx, v.status()));
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

absl::Status IdentityKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  return SetPacked(ctx, 0, *x);
}

absl::Status DropoutKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  if (ctx.opset() >= 12) {
    if (const Tensor* tm = ctx.OptionalInput(2)) {
      ASSIGN_OR_RETURN(std::vector<int64_t> v, ReadAs<int64_t>(*tm));
      double ratio = 0.5;
      if (const Tensor* r = ctx.OptionalInput(1)) {
        ASSIGN_OR_RETURN(std::vector<double> rv, ReadAs<double>(*r));
        if (!rv.empty()) ratio = rv[0];
      }
      // Training with ratio 0 keeps every element: still deterministic.
      if (!v.empty() && v[0] != 0 && ratio != 0.0) {
        return ctx.Error(absl::StatusCode::kUnimplemented,
                         "training_mode is true; only inference (identity) is supported");
      }
    }
  } else if (ctx.opset() < 7 && ctx.GetInt("is_test", 0) == 0) {
    return ctx.Error(absl::StatusCode::kUnimplemented, "is_test is 0; only inference is supported");
  }
  RETURN_IF_ERROR(SetPacked(ctx, 0, *x));
  if (ctx.WantsOutput(1)) {
    Tensor mask = Tensor::Zeros(DType::kBool, x->shape());
    std::memset(mask.mutable_data(), 1, mask.nbytes());
    ctx.SetOutput(1, std::move(mask));
  }
  return absl::OkStatus();
}

absl::Status ReshapeKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  std::vector<int64_t> spec;
  if (ctx.opset() >= 5) {
    ASSIGN_OR_RETURN(const Tensor* s, ctx.Input(1));
    absl::StatusOr<std::vector<int64_t>> v = ReadInts(*s);
    RETURN_IF_ERROR(Wrap(ctx, v.status()));
    spec = *v;
  } else {
    spec = ctx.GetInts("shape", {});
  }
  const bool allowzero = ctx.GetInt("allowzero", 0) != 0;
  Shape out(spec.size());
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < spec.size(); ++i) {
    if (spec[i] == -1) {
      if (infer >= 0) return Invalid(ctx, "shape has more than one -1");
      infer = static_cast<int>(i);
      continue;
    }
    if (spec[i] == 0 && !allowzero) {
      if (i >= x->shape().size()) {
        return Invalid(ctx, absl::StrCat("shape[", i, "] is 0 but the input has rank ", x->rank()));
      }
      out[i] = x->shape()[i];
    } else if (spec[i] < 0) {
      return Invalid(ctx, absl::StrCat("shape[", i, "] is ", spec[i], "; expected >= -1"));
    } else {
      out[i] = spec[i];
    }
    known *= out[i];
  }
  if (infer >= 0) {
    if (known == 0 || x->num_elements() % known != 0) {
      return Invalid(ctx, absl::StrCat("cannot infer -1: input ", ShapeToString(x->shape()),
                                       " into [", absl::StrJoin(spec, ", "), "]"));
    }
    out[infer] = x->num_elements() / known;
  }
  absl::StatusOr<Tensor> y = x->Reshaped(out);
  RETURN_IF_ERROR(Wrap(ctx, y.status()));
  ctx.SetOutput(0, std::move(*y));
  return absl::OkStatus();
}

// General strided gather: out[idx] = in[sum(idx[d] * in_strides[d]) + base], elements as bytes.
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
      if (++pos[d] < out_shape[d]) { off += in_strides[d]; break; }
      off -= in_strides[d] * (out_shape[d] - 1);
      pos[d] = 0;
    }
  }
}

absl::Status TransposeKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  const int rank = x.rank();
  std::vector<int64_t> perm = ctx.GetInts("perm", {});
  if (perm.empty()) for (int i = rank - 1; i >= 0; --i) perm.push_back(i);
  if (static_cast<int>(perm.size()) != rank) {
    return Invalid(ctx, absl::StrCat("perm has ", perm.size(), " entries; input rank is ", rank));
  }
  std::vector<bool> seen(rank, false);
  for (int64_t& p : perm) {
    if (p < 0) p += rank;
    if (p < 0 || p >= rank || seen[p]) {
      return Invalid(ctx, absl::StrCat("perm [", absl::StrJoin(perm, ", "),
                                       "] is not a permutation of 0..", rank - 1));
    }
    seen[p] = true;
  }
  std::vector<int64_t> st = RowMajorStrides(x.shape()), strides(rank);
  Shape out(rank);
  for (int i = 0; i < rank; ++i) {
    out[i] = x.shape()[perm[i]];
    strides[i] = st[perm[i]];
  }
  Tensor y = Tensor::Zeros(x.dtype(), out);
  StridedCopy(x.data(), 0, strides, out, ElementSize(x.dtype()), y.mutable_data());
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status ConcatKernel(KernelContext& ctx) {
  std::vector<Tensor> ins;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    ASSIGN_OR_RETURN(const Tensor* t, ctx.Input(i));
    ASSIGN_OR_RETURN(Tensor p, t->Contiguous());
    ins.push_back(std::move(p));
  }
  if (ins.empty()) return Invalid(ctx, "no inputs");
  const int rank = ins[0].rank();
  absl::StatusOr<int> axis_or = NormalizeAxis(ctx.GetInt("axis", 0), rank);
  RETURN_IF_ERROR(Wrap(ctx, axis_or.status()));
  const int axis = *axis_or;
  Shape out = ins[0].shape();
  out[axis] = 0;
  for (const Tensor& t : ins) {
    bool ok = t.rank() == rank && t.dtype() == ins[0].dtype();
    for (int i = 0; ok && i < rank; ++i) ok = i == axis || t.shape()[i] == ins[0].shape()[i];
    if (!ok) {
      return Invalid(ctx, absl::StrCat("input ", DTypeName(t.dtype()), " ",
                                       ShapeToString(t.shape()), " does not match ",
                                       DTypeName(ins[0].dtype()), " ",
                                       ShapeToString(ins[0].shape()), " outside axis ", axis));
    }
    out[axis] += t.shape()[axis];
  }
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
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

// Copies the slab [start, start+len) along axis.
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

absl::Status SplitKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  absl::StatusOr<int> axis_or = NormalizeAxis(ctx.GetInt("axis", 0), x.rank());
  RETURN_IF_ERROR(Wrap(ctx, axis_or.status()));
  const int axis = *axis_or;
  bool present = false;
  ASSIGN_OR_RETURN(std::vector<int64_t> split, IntsFromInputOrAttr(ctx, 1, 13, "split", &present));
  const int64_t dim = x.shape()[axis];
  const int n_out = ctx.num_outputs();
  if (split.empty()) {
    // Equal parts; from opset 18 `num_outputs` with a smaller last part.
    const int64_t parts = ctx.opset() >= 18 ? ctx.GetInt("num_outputs", n_out) : n_out;
    if (parts <= 0) return Invalid(ctx, "no outputs to split into");
    const int64_t size = ctx.opset() >= 18 ? (dim + parts - 1) / parts : dim / parts;
    if (ctx.opset() < 18 && dim % parts != 0) {
      return Invalid(ctx, absl::StrCat("dim ", dim, " does not split evenly into ", parts));
    }
    for (int64_t i = 0; i < parts; ++i) split.push_back(std::min(size, dim - i * size));
  }
  int64_t total = 0;
  for (int64_t s : split) total += s;
  if (static_cast<int>(split.size()) != n_out || total != dim) {
    return Invalid(ctx, absl::StrCat("split [", absl::StrJoin(split, ", "), "] for ", n_out,
                                     " outputs along a dim of ", dim));
  }
  int64_t start = 0;
  for (int i = 0; i < n_out; ++i) {
    if (split[i] < 0) return Invalid(ctx, "negative split size");
    if (ctx.WantsOutput(i)) ctx.SetOutput(i, SliceAxis(x, axis, start, split[i]));
    start += split[i];
  }
  return absl::OkStatus();
}

absl::Status SliceKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  const int rank = x.rank();
  std::vector<int64_t> starts, ends, axes, steps;
  if (ctx.opset() >= 10) {
    for (int i = 1; i <= 4; ++i) {
      const Tensor* t = ctx.OptionalInput(i);
      if (t == nullptr) continue;
      absl::StatusOr<std::vector<int64_t>> v = ReadInts(*t);
      RETURN_IF_ERROR(Wrap(ctx, v.status()));
      (i == 1 ? starts : i == 2 ? ends : i == 3 ? axes : steps) = *v;
    }
  } else {
    starts = ctx.GetInts("starts", {});
    ends = ctx.GetInts("ends", {});
    axes = ctx.GetInts("axes", {});
  }
  if (axes.empty()) for (size_t i = 0; i < starts.size(); ++i) axes.push_back(i);
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size()) {
    return Invalid(ctx, absl::StrCat("starts/ends/axes/steps have ", starts.size(), "/",
                                     ends.size(), "/", axes.size(), "/", steps.size(),
                                     " entries; expected equal counts"));
  }
  std::vector<int64_t> st(rank, 0), step(rank, 1);
  Shape out = x.shape();
  for (size_t i = 0; i < starts.size(); ++i) {
    absl::StatusOr<int> a = NormalizeAxis(axes[i], rank);
    RETURN_IF_ERROR(Wrap(ctx, a.status()));
    const int64_t d = x.shape()[*a];
    const int64_t s = steps[i];
    if (s == 0) return Invalid(ctx, "step is 0");
    int64_t b = starts[i], e = ends[i];
    if (b < 0) b += d;
    if (e < 0) e += d;
    if (s > 0) {
      b = std::clamp<int64_t>(b, 0, d);
      e = std::clamp<int64_t>(e, 0, d);
      out[*a] = e > b ? (e - b + s - 1) / s : 0;
    } else {
      b = std::clamp<int64_t>(b, 0, d - 1);
      e = std::clamp<int64_t>(e, -1, d - 1);
      out[*a] = b > e ? (b - e + (-s) - 1) / (-s) : 0;
    }
    st[*a] = b;
    step[*a] = s;
  }
  std::vector<int64_t> in_strides = RowMajorStrides(x.shape()), strides(rank);
  int64_t base = 0;
  for (int i = 0; i < rank; ++i) {
    strides[i] = in_strides[i] * step[i];
    base += st[i] * in_strides[i];
  }
  Tensor y = Tensor::Zeros(x.dtype(), out);
  StridedCopy(x.data(), base, strides, out, ElementSize(x.dtype()), y.mutable_data());
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status GatherKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* ind, ctx.Input(1));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  absl::StatusOr<int> axis_or = NormalizeAxis(ctx.GetInt("axis", 0), x.rank());
  RETURN_IF_ERROR(Wrap(ctx, axis_or.status()));
  const int axis = *axis_or;
  absl::StatusOr<std::vector<int64_t>> idx_or = ReadInts(*ind);
  RETURN_IF_ERROR(Wrap(ctx, idx_or.status()));
  std::vector<int64_t> idx = *idx_or;
  const int64_t d = x.shape()[axis];
  for (int64_t& i : idx) {
    if (i < -d || i >= d) {
      return Invalid(ctx, absl::StrCat("index ", i, " is out of range for a dim of ", d));
    }
    if (i < 0) i += d;
  }
  Shape out(x.shape().begin(), x.shape().begin() + axis);
  out.insert(out.end(), ind->shape().begin(), ind->shape().end());
  out.insert(out.end(), x.shape().begin() + axis + 1, x.shape().end());
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= x.shape()[i];
  for (int i = axis + 1; i < x.rank(); ++i) inner *= x.shape()[i];
  const int es = ElementSize(x.dtype());
  Tensor y = Tensor::Zeros(x.dtype(), out);
  const int64_t chunk = inner * es;
  int64_t k = 0;
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i : idx) {
      if (chunk > 0) std::memcpy(y.mutable_data() + k * chunk, x.data() + (o * d + i) * chunk, chunk);
      ++k;
    }
  }
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

// For each element of `shape`, call f(flat index, position vector).
template <typename F>
void ForEachIndex(const Shape& shape, F f) {
  const int rank = static_cast<int>(shape.size());
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<int64_t> pos(rank, 0);
  for (int64_t k = 0; k < n; ++k) {
    f(k, pos);
    for (int d = rank - 1; d >= 0; --d) {
      if (++pos[d] < shape[d]) break;
      pos[d] = 0;
    }
  }
}

absl::Status GatherElementsKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* ind, ctx.Input(1));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  const int rank = x.rank();
  absl::StatusOr<int> axis_or = NormalizeAxis(ctx.GetInt("axis", 0), rank);
  RETURN_IF_ERROR(Wrap(ctx, axis_or.status()));
  const int axis = *axis_or;
  if (ind->rank() != rank) {
    return Invalid(ctx, absl::StrCat("indices have rank ", ind->rank(), "; expected ", rank));
  }
  absl::StatusOr<std::vector<int64_t>> idx_or = ReadInts(*ind);
  RETURN_IF_ERROR(Wrap(ctx, idx_or.status()));
  const std::vector<int64_t>& idx = *idx_or;
  std::vector<int64_t> st = RowMajorStrides(x.shape());
  const int es = ElementSize(x.dtype());
  Tensor y = Tensor::Zeros(x.dtype(), ind->shape());
  absl::Status status;
  ForEachIndex(ind->shape(), [&](int64_t k, const std::vector<int64_t>& pos) {
    int64_t off = 0;
    for (int d = 0; d < rank; ++d) {
      int64_t p = pos[d];
      if (d == axis) {
        p = idx[k];
        if (p < 0) p += x.shape()[d];
      }
      if (p < 0 || p >= x.shape()[d]) {
        status = Invalid(ctx, absl::StrCat("index ", idx[k], " out of range for a dim of ",
                                           x.shape()[d]));
        return;
      }
      off += p * st[d];
    }
    std::memcpy(y.mutable_data() + k * es, x.data() + off * es, es);
  });
  RETURN_IF_ERROR(status);
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status ScatterNDKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* ind, ctx.Input(1));
  ASSIGN_OR_RETURN(const Tensor* upd, ctx.Input(2));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  const std::string reduction = ctx.GetString("reduction", "none");
  const int64_t q = ind->rank();
  if (q < 1) return Invalid(ctx, "indices must have rank >= 1");
  const int64_t k = ind->shape()[q - 1];
  if (k > x.rank()) return Invalid(ctx, "indices' last dim exceeds the data rank");
  absl::StatusOr<std::vector<int64_t>> idx_or = ReadInts(*ind);
  RETURN_IF_ERROR(Wrap(ctx, idx_or.status()));
  const std::vector<int64_t>& idx = *idx_or;
  int64_t slice = 1;
  for (int i = k; i < x.rank(); ++i) slice *= x.shape()[i];
  const int64_t n = k == 0 ? 1 : static_cast<int64_t>(idx.size()) / k;
  if (upd->num_elements() != n * slice) {
    return Invalid(ctx, absl::StrCat("updates have ", upd->num_elements(), " elements; expected ",
                                     n * slice));
  }
  std::vector<int64_t> st = RowMajorStrides(x.shape());
  auto offset_of = [&](int64_t j, int64_t* off) -> absl::Status {
    *off = 0;
    for (int64_t i = 0; i < k; ++i) {
      int64_t p = idx[j * k + i];
      if (p < 0) p += x.shape()[i];
      if (p < 0 || p >= x.shape()[i]) {
        return Invalid(ctx, absl::StrCat("index ", idx[j * k + i], " out of range for a dim of ",
                                         x.shape()[i]));
      }
      *off += p * st[i];
    }
    return absl::OkStatus();
  };
  if (reduction == "none") {
    ASSIGN_OR_RETURN(Tensor u, upd->Contiguous());
    Tensor y = Tensor::Zeros(x.dtype(), x.shape());
    const int es = ElementSize(x.dtype());
    std::memcpy(y.mutable_data(), x.data(), x.nbytes());
    for (int64_t j = 0; j < n; ++j) {
      int64_t off;
      RETURN_IF_ERROR(offset_of(j, &off));
      std::memcpy(y.mutable_data() + off * es, u.data() + j * slice * es, slice * es);
    }
    ctx.SetOutput(0, std::move(y));
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(x));
  ASSIGN_OR_RETURN(std::vector<double> u, ReadAs<double>(*upd));
  for (int64_t j = 0; j < n; ++j) {
    int64_t off;
    RETURN_IF_ERROR(offset_of(j, &off));
    for (int64_t e = 0; e < slice; ++e) {
      double& t = v[off + e];
      const double w = u[j * slice + e];
      if (reduction == "add") t += w;
      else if (reduction == "mul") t *= w;
      else if (reduction == "max") t = std::max(t, w);
      else if (reduction == "min") t = std::min(t, w);
      else return ctx.Error(absl::StatusCode::kUnimplemented,
                            absl::StrCat("reduction \"", reduction, "\" is not supported"));
    }
  }
  ASSIGN_OR_RETURN(Tensor y, WriteAs<double>(x.dtype(), x.shape(), v));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status UnsqueezeKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  bool present = false;
  ASSIGN_OR_RETURN(std::vector<int64_t> axes, IntsFromInputOrAttr(ctx, 1, 13, "axes", &present));
  const int out_rank = x->rank() + static_cast<int>(axes.size());
  std::vector<bool> is_new(out_rank, false);
  for (int64_t a : axes) {
    absl::StatusOr<int> ax = NormalizeAxis(a, out_rank);
    RETURN_IF_ERROR(Wrap(ctx, ax.status()));
    if (is_new[*ax]) return Invalid(ctx, absl::StrCat("axis ", a, " repeats"));
    is_new[*ax] = true;
  }
  Shape out;
  int j = 0;
  for (int i = 0; i < out_rank; ++i) out.push_back(is_new[i] ? 1 : x->shape()[j++]);
  absl::StatusOr<Tensor> y = x->Reshaped(out);
  RETURN_IF_ERROR(Wrap(ctx, y.status()));
  ctx.SetOutput(0, std::move(*y));
  return absl::OkStatus();
}

absl::Status SqueezeKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  bool present = false;
  ASSIGN_OR_RETURN(std::vector<int64_t> axes, IntsFromInputOrAttr(ctx, 1, 13, "axes", &present));
  std::vector<bool> drop(x->rank(), false);
  if (axes.empty()) {
    for (int i = 0; i < x->rank(); ++i) drop[i] = x->shape()[i] == 1;
  }
  for (int64_t a : axes) {
    absl::StatusOr<int> ax = NormalizeAxis(a, x->rank());
    RETURN_IF_ERROR(Wrap(ctx, ax.status()));
    if (x->shape()[*ax] != 1) {
      return Invalid(ctx, absl::StrCat("axis ", a, " has size ", x->shape()[*ax],
                                       "; expected 1"));
    }
    drop[*ax] = true;
  }
  Shape out;
  for (int i = 0; i < x->rank(); ++i) if (!drop[i]) out.push_back(x->shape()[i]);
  absl::StatusOr<Tensor> y = x->Reshaped(out);
  RETURN_IF_ERROR(Wrap(ctx, y.status()));
  ctx.SetOutput(0, std::move(*y));
  return absl::OkStatus();
}

absl::Status FlattenKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  int64_t axis = ctx.GetInt("axis", 1);
  if (axis < 0) axis += x->rank();
  if (axis < 0 || axis > x->rank()) {
    return Invalid(ctx, absl::StrCat("axis ", ctx.GetInt("axis", 1), " out of range for rank ",
                                     x->rank()));
  }
  int64_t a = 1, b = 1;
  for (int i = 0; i < x->rank(); ++i) (i < axis ? a : b) *= x->shape()[i];
  absl::StatusOr<Tensor> y = x->Reshaped({a, b});
  RETURN_IF_ERROR(Wrap(ctx, y.status()));
  ctx.SetOutput(0, std::move(*y));
  return absl::OkStatus();
}

// out[k] = x[index[k]] for a precomputed index map.
Tensor GatherFlat(const Tensor& x, const Shape& out, const std::vector<int64_t>& index) {
  Tensor y = Tensor::Zeros(x.dtype(), out);
  const int es = ElementSize(x.dtype());
  for (size_t k = 0; k < index.size(); ++k) {
    std::memcpy(y.mutable_data() + k * es, x.data() + index[k] * es, es);
  }
  return y;
}

absl::Status ExpandKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* s, ctx.Input(1));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  absl::StatusOr<std::vector<int64_t>> shape = ReadInts(*s);
  RETURN_IF_ERROR(Wrap(ctx, shape.status()));
  RETURN_IF_ERROR(Wrap(ctx, CheckOutputShape(*shape)));
  absl::StatusOr<Shape> out = BroadcastShapes({x.shape(), *shape});
  RETURN_IF_ERROR(Wrap(ctx, out.status()));
  RETURN_IF_ERROR(Wrap(ctx, CheckOutputShape(*out)));
  ctx.SetOutput(0, GatherFlat(x, *out, BroadcastIndex(x.shape(), *out)));
  return absl::OkStatus();
}

absl::Status TileKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* r, ctx.Input(1));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  absl::StatusOr<std::vector<int64_t>> rep = ReadInts(*r);
  RETURN_IF_ERROR(Wrap(ctx, rep.status()));
  if (static_cast<int>(rep->size()) != x.rank()) {
    return Invalid(ctx, absl::StrCat("repeats has ", rep->size(), " values; input rank is ",
                                     x.rank()));
  }
  Shape out(x.rank());
  for (int i = 0; i < x.rank(); ++i) {
    if ((*rep)[i] < 0) return Invalid(ctx, "negative repeat");
    out[i] = x.shape()[i] * (*rep)[i];
  }
  RETURN_IF_ERROR(Wrap(ctx, CheckOutputShape(out)));
  std::vector<int64_t> st = RowMajorStrides(x.shape());
  std::vector<int64_t> index;
  ForEachIndex(out, [&](int64_t, const std::vector<int64_t>& pos) {
    int64_t off = 0;
    for (int d = 0; d < x.rank(); ++d) off += (pos[d] % x.shape()[d]) * st[d];
    index.push_back(off);
  });
  ctx.SetOutput(0, GatherFlat(x, out, index));
  return absl::OkStatus();
}

absl::Status PadKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  const int rank = x.rank();
  const std::string mode = ctx.GetString("mode", "constant");
  std::vector<int64_t> pads;
  double value = 0;
  std::vector<int64_t> axes;
  if (ctx.opset() >= 11) {
    ASSIGN_OR_RETURN(const Tensor* p, ctx.Input(1));
    absl::StatusOr<std::vector<int64_t>> v = ReadInts(*p);
    RETURN_IF_ERROR(Wrap(ctx, v.status()));
    pads = *v;
    if (const Tensor* c = ctx.OptionalInput(2)) {
      if (c->num_elements() > 0) {
        ASSIGN_OR_RETURN(std::vector<double> cv, ReadAs<double>(*c));
        value = cv[0];
      }
    }
    if (const Tensor* a = ctx.OptionalInput(3)) {
      absl::StatusOr<std::vector<int64_t>> av = ReadInts(*a);
      RETURN_IF_ERROR(Wrap(ctx, av.status()));
      axes = *av;
    }
  } else {
    pads = ctx.GetInts(ctx.opset() < 2 ? "paddings" : "pads", {});
    value = ctx.GetFloat("value", 0.0f);
  }
  if (axes.empty()) for (int i = 0; i < rank; ++i) axes.push_back(i);
  if (pads.size() != 2 * axes.size()) {
    return Invalid(ctx, absl::StrCat("pads has ", pads.size(), " values; expected ",
                                     2 * axes.size()));
  }
  std::vector<int64_t> before(rank, 0), after(rank, 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    absl::StatusOr<int> a = NormalizeAxis(axes[i], rank);
    RETURN_IF_ERROR(Wrap(ctx, a.status()));
    before[*a] = pads[i];
    after[*a] = pads[i + axes.size()];
  }
  Shape out(rank);
  for (int i = 0; i < rank; ++i) {
    out[i] = x.shape()[i] + before[i] + after[i];
    if (out[i] < 0) return Invalid(ctx, "pads make a dim negative");
    if (i == rank - 1) RETURN_IF_ERROR(Wrap(ctx, CheckOutputShape(out)));
    if (mode != "constant" && x.shape()[i] == 0 && out[i] > 0) {
      return Invalid(ctx, absl::StrCat("mode ", mode, " cannot pad an empty dim"));
    }
  }
  if (mode != "constant" && mode != "reflect" && mode != "edge" && mode != "wrap") {
    return ctx.Error(absl::StatusCode::kUnimplemented,
                     absl::StrCat("mode \"", mode, "\" is not supported"));
  }
  // Fill value in the element type: one element converted through WriteAs.
  ASSIGN_OR_RETURN(Tensor fill, WriteAs<double>(x.dtype(), {1}, {value}));
  std::vector<int64_t> st = RowMajorStrides(x.shape());
  const int es = ElementSize(x.dtype());
  Tensor y = Tensor::Zeros(x.dtype(), out);
  absl::Status status;
  ForEachIndex(out, [&](int64_t k, const std::vector<int64_t>& pos) {
    int64_t off = 0;
    bool outside = false;
    for (int d = 0; d < rank; ++d) {
      int64_t p = pos[d] - before[d];
      const int64_t n = x.shape()[d];
      if (p < 0 || p >= n) {
        if (mode == "constant") { outside = true; break; }
        if (mode == "edge") {
          p = std::clamp<int64_t>(p, 0, n - 1);
        } else if (mode == "wrap") {
          p = ((p % n) + n) % n;
        } else {  // reflect, without repeating the edge
          if (n == 1) {
            p = 0;
          } else {
            const int64_t period = 2 * (n - 1);
            p = ((p % period) + period) % period;
            if (p >= n) p = period - p;
          }
        }
      }
      off += p * st[d];
    }
    std::memcpy(y.mutable_data() + k * es, outside ? fill.data() : x.data() + off * es, es);
  });
  ctx.SetOutput(0, std::move(y));
  return status;
}

absl::Status ShapeKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  const int rank = x->rank();
  int64_t start = ctx.GetInt("start", 0), end = ctx.GetInt("end", rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, 0, rank);
  std::vector<int64_t> dims;
  for (int64_t i = start; i < end; ++i) dims.push_back(x->shape()[i]);
  ASSIGN_OR_RETURN(Tensor y, WriteAs<int64_t>(DType::kI64, {static_cast<int64_t>(dims.size())}, dims));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status SizeKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(Tensor y, WriteAs<int64_t>(DType::kI64, {}, {x->num_elements()}));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status ConstantKernel(KernelContext& ctx) {
  const onnx::NodeProto& node = ctx.node();
  for (const onnx::AttributeProto& a : node.attribute()) {
    if (a.name() == "value") {
      absl::StatusOr<Tensor> t = TensorFromProto(a.t(), ctx.NodeLabel());
      RETURN_IF_ERROR(t.status());
      ctx.SetOutput(0, std::move(*t));
      return absl::OkStatus();
    }
    if (a.name() == "value_float") {
      ctx.SetOutput(0, TensorFromFloats({}, {a.f()}));
      return absl::OkStatus();
    }
    if (a.name() == "value_floats") {
      std::vector<float> v(a.floats().begin(), a.floats().end());
      ctx.SetOutput(0, TensorFromFloats({static_cast<int64_t>(v.size())}, v));
      return absl::OkStatus();
    }
    if (a.name() == "value_int") {
      ASSIGN_OR_RETURN(Tensor y, WriteAs<int64_t>(DType::kI64, {}, {a.i()}));
      ctx.SetOutput(0, std::move(y));
      return absl::OkStatus();
    }
    if (a.name() == "value_ints") {
      std::vector<int64_t> v(a.ints().begin(), a.ints().end());
      ASSIGN_OR_RETURN(Tensor y,
                       WriteAs<int64_t>(DType::kI64, {static_cast<int64_t>(v.size())}, v));
      ctx.SetOutput(0, std::move(y));
      return absl::OkStatus();
    }
  }
  return ctx.Error(absl::StatusCode::kUnimplemented,
                   "no supported value attribute; expected value, value_float(s) or value_int(s)");
}

absl::Status ConstantOfShapeKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* s, ctx.Input(0));
  absl::StatusOr<std::vector<int64_t>> shape = ReadInts(*s);
  RETURN_IF_ERROR(Wrap(ctx, shape.status()));
  RETURN_IF_ERROR(Wrap(ctx, CheckOutputShape(*shape)));
  absl::StatusOr<int64_t> n = NumElements(*shape);
  RETURN_IF_ERROR(Wrap(ctx, n.status()));
  Tensor value = TensorFromFloats({1}, {0.0f});
  if (const onnx::AttributeProto* a = ctx.Attr("value")) {
    absl::StatusOr<Tensor> v = TensorFromProto(a->t(), ctx.NodeLabel());
    RETURN_IF_ERROR(v.status());
    if (v->num_elements() != 1) return Invalid(ctx, "value must hold one element");
    value = *v;
  }
  const int es = ElementSize(value.dtype());
  Tensor y = Tensor::Zeros(value.dtype(), *shape);
  for (int64_t k = 0; k < *n; ++k) std::memcpy(y.mutable_data() + k * es, value.data(), es);
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status RangeKernel(KernelContext& ctx) {
  const Tensor* in[3];
  for (int i = 0; i < 3; ++i) {
    ASSIGN_OR_RETURN(in[i], ctx.Input(i));
    if (in[i]->num_elements() != 1) return Invalid(ctx, "start, limit and delta must be scalars");
  }
  const DType t = in[0]->dtype();
  if (IsFloating(t)) {
    double v[3];
    for (int i = 0; i < 3; ++i) {
      ASSIGN_OR_RETURN(std::vector<double> d, ReadAs<double>(*in[i]));
      v[i] = d[0];
    }
    if (v[2] == 0) return Invalid(ctx, "delta is 0");
    const double count = std::max(std::ceil((v[1] - v[0]) / v[2]), 0.0);
    if (count > static_cast<double>(kMaxOutputElements)) return Invalid(ctx, "range is too long");
    std::vector<double> out(static_cast<int64_t>(count));
    // The spec computes by repeated addition in the input type; f32 inputs accumulate in f32.
    double acc = v[0];
    for (size_t k = 0; k < out.size(); ++k) {
      out[k] = acc;
      acc = t == DType::kF32 ? static_cast<float>(acc + v[2]) : acc + v[2];
    }
    ASSIGN_OR_RETURN(Tensor y, WriteAs<double>(t, {static_cast<int64_t>(out.size())}, out));
    ctx.SetOutput(0, std::move(y));
    return absl::OkStatus();
  }
  int64_t v[3];
  for (int i = 0; i < 3; ++i) {
    ASSIGN_OR_RETURN(std::vector<int64_t> d, ReadAs<int64_t>(*in[i]));
    v[i] = d[0];
  }
  if (v[2] == 0) return Invalid(ctx, "delta is 0");
  const int64_t span = v[1] - v[0];
  int64_t count = span / v[2] + ((span % v[2] != 0) && ((span < 0) == (v[2] < 0)) ? 1 : 0);
  count = std::max<int64_t>(count, 0);
  if (count > kMaxOutputElements) return Invalid(ctx, "range is too long");
  std::vector<int64_t> out(count);
  for (int64_t k = 0; k < count; ++k) out[k] = v[0] + k * v[2];
  ASSIGN_OR_RETURN(Tensor y, WriteAs<int64_t>(t, {count}, out));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status TriluKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  if (x.rank() < 2) return Invalid(ctx, "input must have rank >= 2");
  int64_t k = 0;
  if (const Tensor* kt = ctx.OptionalInput(1)) {
    ASSIGN_OR_RETURN(std::vector<int64_t> kv, ReadInts(*kt));
    if (kv.size() != 1) return Invalid(ctx, "k must be a scalar");
    k = kv[0];
  }
  const bool upper = ctx.GetInt("upper", 1) != 0;
  const int64_t rows = x.shape()[x.rank() - 2], cols = x.shape()[x.rank() - 1];
  const int es = ElementSize(x.dtype());
  Tensor y = Tensor::Zeros(x.dtype(), x.shape());
  const int64_t mats = rows * cols == 0 ? 0 : x.num_elements() / (rows * cols);
  for (int64_t m = 0; m < mats; ++m)
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        const bool keep = upper ? j - i >= k : j - i <= k;
        if (!keep) continue;
        const int64_t off = (m * rows + i) * cols + j;
        std::memcpy(y.mutable_data() + off * es, x.data() + off * es, es);
      }
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace

std::vector<KernelDef> ShapeKernels() {
  const int M = kMaxKnownOpset;
  return {
      Def("Identity", 1, M, IdentityKernel),
      Def("Dropout", 1, M, DropoutKernel),
      Def("Reshape", 1, M, ReshapeKernel),
      Def("Transpose", 1, M, TransposeKernel),
      Def("Concat", 4, M, ConcatKernel),
      Def("Split", 2, M, SplitKernel),
      Def("Slice", 1, M, SliceKernel),
      Def("Gather", 1, M, GatherKernel),
      Def("GatherElements", 11, M, GatherElementsKernel),
      Def("ScatterND", 11, M, ScatterNDKernel),
      Def("Unsqueeze", 1, M, UnsqueezeKernel),
      Def("Squeeze", 1, M, SqueezeKernel),
      Def("Flatten", 1, M, FlattenKernel),
      Def("Expand", 8, M, ExpandKernel),
      Def("Tile", 6, M, TileKernel),
      Def("Pad", 2, M, PadKernel),
      Def("Shape", 1, M, ShapeKernel),
      Def("Size", 1, M, SizeKernel),
      Def("Constant", 1, M, ConstantKernel),
      Def("ConstantOfShape", 9, M, ConstantOfShapeKernel),
      Def("Range", 11, M, RangeKernel),
      Def("Trilu", 14, M, TriluKernel),
  };
}

}  // namespace rt
}  // namespace tp
