// Less common light reference kernels: global pools, DepthToSpace/SpaceToDepth, GatherND,
// ScatterElements, OneHot, TopK, EyeLike, Shrink, NonZero, Compress, ReverseSequence, LRN,
// BitShift, MeanVarianceNormalization and the window functions.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/light_kernels.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace {

KernelDef Def(const char* op, int since, int until, KernelFn fn) {
  return KernelDef{"", op, since, until, std::move(fn)};
}

absl::Status Invalid(const KernelContext& ctx, const std::string& msg) {
  return ctx.Error(absl::StatusCode::kInvalidArgument, msg);
}

absl::Status Wrap(const KernelContext& ctx, const absl::Status& s) {
  return s.ok() ? s : ctx.Error(s.code(), s.message());
}

// Reshape packed x to `shape`, permute by `perm`, reshape to `out`.
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

absl::Status GlobalPool(KernelContext& ctx, bool is_max) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  if (x->rank() < 2) return Invalid(ctx, "input must have rank >= 2");
  const int64_t nc = x->shape()[0] * x->shape()[1];
  const int64_t inner = nc == 0 ? 0 : x->num_elements() / nc;
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*x));
  std::vector<double> y(nc);
  for (int64_t i = 0; i < nc; ++i) {
    double acc = is_max ? -INFINITY : 0.0;
    for (int64_t j = 0; j < inner; ++j) {
      const double e = v[i * inner + j];
      acc = is_max ? std::max(acc, e) : acc + e;
    }
    y[i] = is_max ? acc : acc / static_cast<double>(inner);
  }
  Shape out(x->rank(), 1);
  out[0] = x->shape()[0];
  out[1] = x->shape()[1];
  ASSIGN_OR_RETURN(Tensor t, WriteAs<double>(x->dtype(), out, y));
  ctx.SetOutput(0, std::move(t));
  return absl::OkStatus();
}

absl::Status DepthToSpace(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  const int64_t b = ctx.GetInt("blocksize", 0);
  if (x.rank() != 4 || b <= 0 || x.shape()[1] % (b * b) != 0) {
    return Invalid(ctx, absl::StrCat("input ", ShapeToString(x.shape()), " with blocksize ", b,
                                     "; expected [N, C, H, W] with C divisible by blocksize^2"));
  }
  const int64_t N = x.shape()[0], C = x.shape()[1], H = x.shape()[2], W = x.shape()[3];
  const Shape out = {N, C / (b * b), H * b, W * b};
  if (ctx.GetString("mode", "DCR") == "CRD") {
    ctx.SetOutput(0, PermuteAs(x, {N, C / (b * b), b, b, H, W}, {0, 1, 4, 2, 5, 3}, out));
  } else {
    ctx.SetOutput(0, PermuteAs(x, {N, b, b, C / (b * b), H, W}, {0, 3, 4, 1, 5, 2}, out));
  }
  return absl::OkStatus();
}

absl::Status SpaceToDepth(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  const int64_t b = ctx.GetInt("blocksize", 0);
  if (x.rank() != 4 || b <= 0 || x.shape()[2] % b != 0 || x.shape()[3] % b != 0) {
    return Invalid(ctx, absl::StrCat("input ", ShapeToString(x.shape()), " with blocksize ", b,
                                     "; expected [N, C, H, W] with H, W divisible by it"));
  }
  const int64_t N = x.shape()[0], C = x.shape()[1], H = x.shape()[2], W = x.shape()[3];
  ctx.SetOutput(0, PermuteAs(x, {N, C, H / b, b, W / b, b}, {0, 3, 5, 1, 2, 4},
                             {N, C * b * b, H / b, W / b}));
  return absl::OkStatus();
}

absl::Status GatherND(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* ind, ctx.Input(1));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  const int64_t bd = ctx.GetInt("batch_dims", 0);
  const int r = x.rank(), q = ind->rank();
  if (q < 1) return Invalid(ctx, "indices must have rank >= 1");
  const int64_t k = ind->shape()[q - 1];
  if (bd < 0 || bd >= std::min(q, r) || bd + k > r) {
    return Invalid(ctx, absl::StrCat("batch_dims ", bd, " and index depth ", k,
                                     " do not fit data of rank ", r));
  }
  ASSIGN_OR_RETURN(std::vector<int64_t> idx, ReadInts(*ind));
  int64_t batches = 1;
  for (int i = 0; i < bd; ++i) batches *= x.shape()[i];
  int64_t per_batch_idx = 1;
  for (int i = bd; i < q - 1; ++i) per_batch_idx *= ind->shape()[i];
  int64_t slice = 1;
  for (int i = bd + k; i < r; ++i) slice *= x.shape()[i];
  int64_t batch_stride = 1;
  for (int i = bd; i < r; ++i) batch_stride *= x.shape()[i];
  std::vector<int64_t> st = RowMajorStrides(x.shape());
  Shape out(ind->shape().begin(), ind->shape().end() - 1);
  out.insert(out.end(), x.shape().begin() + bd + k, x.shape().end());
  Tensor y = Tensor::Zeros(x.dtype(), out);
  const int es = ElementSize(x.dtype());
  int64_t w = 0;
  for (int64_t bt = 0; bt < batches; ++bt) {
    for (int64_t m = 0; m < per_batch_idx; ++m) {
      int64_t off = bt * batch_stride;
      for (int64_t j = 0; j < k; ++j) {
        int64_t p = idx[(bt * per_batch_idx + m) * k + j];
        const int64_t d = x.shape()[bd + j];
        if (p < 0) p += d;
        if (p < 0 || p >= d) return Invalid(ctx, absl::StrCat("index ", p, " out of range for ", d));
        off += p * st[bd + j];
      }
      std::memcpy(y.mutable_data() + w * slice * es, x.data() + off * es, slice * es);
      ++w;
    }
  }
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status ScatterElements(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* ind, ctx.Input(1));
  ASSIGN_OR_RETURN(const Tensor* upd0, ctx.Input(2));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  ASSIGN_OR_RETURN(Tensor upd, upd0->Contiguous());
  const int rank = x.rank();
  absl::StatusOr<int> axis = NormalizeAxis(ctx.GetInt("axis", 0), rank);
  RETURN_IF_ERROR(Wrap(ctx, axis.status()));
  if (ind->shape() != upd.shape() || ind->rank() != rank || upd.dtype() != x.dtype()) {
    return Invalid(ctx, "indices and updates must have one shape of the data's rank and type");
  }
  const std::string red = ctx.GetString("reduction", "none");
  ASSIGN_OR_RETURN(std::vector<int64_t> idx, ReadInts(*ind));
  std::vector<int64_t> st = RowMajorStrides(x.shape());
  std::vector<double> v, u;
  if (red != "none") {
    ASSIGN_OR_RETURN(v, ReadAs<double>(x));
    ASSIGN_OR_RETURN(u, ReadAs<double>(upd));
  }
  Tensor y = Tensor::Zeros(x.dtype(), x.shape());
  std::memcpy(y.mutable_data(), x.data(), x.nbytes());
  const int es = ElementSize(x.dtype());
  std::vector<int64_t> pos(rank, 0);
  for (int64_t k = 0; k < upd.num_elements(); ++k) {
    int64_t off = 0;
    for (int d = 0; d < rank; ++d) {
      int64_t p = pos[d];
      if (d == *axis) {
        p = idx[k];
        if (p < 0) p += x.shape()[d];
        if (p < 0 || p >= x.shape()[d]) {
          return Invalid(ctx, absl::StrCat("index ", idx[k], " out of range for ", x.shape()[d]));
        }
      }
      off += p * st[d];
    }
    if (red == "none") {
      std::memcpy(y.mutable_data() + off * es, upd.data() + k * es, es);
    } else if (red == "add") {
      v[off] += u[k];
    } else if (red == "mul") {
      v[off] *= u[k];
    } else if (red == "max") {
      v[off] = std::max(v[off], u[k]);
    } else if (red == "min") {
      v[off] = std::min(v[off], u[k]);
    } else {
      return ctx.Error(absl::StatusCode::kUnimplemented,
                       absl::StrCat("reduction \"", red, "\" is not supported"));
    }
    for (int d = rank - 1; d >= 0; --d) {
      if (++pos[d] < upd.shape()[d]) break;
      pos[d] = 0;
    }
  }
  if (red != "none") {
    ASSIGN_OR_RETURN(y, WriteAs<double>(x.dtype(), x.shape(), v));
  }
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status OneHot(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* ind, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* depth_t, ctx.Input(1));
  ASSIGN_OR_RETURN(const Tensor* values, ctx.Input(2));
  ASSIGN_OR_RETURN(std::vector<double> dv, ReadAs<double>(*depth_t));
  ASSIGN_OR_RETURN(std::vector<double> iv, ReadAs<double>(*ind));
  if (dv.size() != 1 || values->num_elements() != 2) {
    return Invalid(ctx, "depth must be one value and values two");
  }
  const int64_t depth = static_cast<int64_t>(dv[0]);
  if (depth < 0 || depth > (int64_t{1} << 31)) return Invalid(ctx, "depth out of range");
  const int out_rank = ind->rank() + 1;
  absl::StatusOr<int> axis = NormalizeAxis(ctx.GetInt("axis", -1), out_rank);
  RETURN_IF_ERROR(Wrap(ctx, axis.status()));
  Shape out(ind->shape());
  out.insert(out.begin() + *axis, depth);
  RETURN_IF_ERROR(Wrap(ctx, CheckOutputShape(out)));
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < *axis; ++i) outer *= out[i];
  for (int i = *axis + 1; i < out_rank; ++i) inner *= out[i];
  ASSIGN_OR_RETURN(Tensor vals, values->Contiguous());
  const int es = ElementSize(vals.dtype());
  Tensor y = Tensor::Zeros(vals.dtype(), out);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t d = 0; d < depth; ++d)
      for (int64_t in = 0; in < inner; ++in) {
        int64_t i = static_cast<int64_t>(iv[o * inner + in]);
        if (i < 0) i += depth;
        const bool on = i == d;
        std::memcpy(y.mutable_data() + ((o * depth + d) * inner + in) * es,
                    vals.data() + (on ? es : 0), es);
      }
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status TopK(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  int64_t k;
  if (ctx.opset() >= 10) {
    ASSIGN_OR_RETURN(const Tensor* kt, ctx.Input(1));
    ASSIGN_OR_RETURN(std::vector<int64_t> kv, ReadInts(*kt));
    if (kv.size() != 1) return Invalid(ctx, "K must hold one value");
    k = kv[0];
  } else {
    k = ctx.GetInt("k", 0);
  }
  absl::StatusOr<int> axis = NormalizeAxis(ctx.GetInt("axis", -1), x->rank());
  RETURN_IF_ERROR(Wrap(ctx, axis.status()));
  const bool largest = ctx.GetInt("largest", 1) != 0;
  const int64_t n = x->shape()[*axis];
  if (k < 0 || k > n) return Invalid(ctx, absl::StrCat("K ", k, " for a dim of ", n));
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < *axis; ++i) outer *= x->shape()[i];
  for (int i = *axis + 1; i < x->rank(); ++i) inner *= x->shape()[i];
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*x));
  Shape out = x->shape();
  out[*axis] = k;
  std::vector<double> vals(outer * k * inner);
  std::vector<int64_t> idxs(vals.size());
  std::vector<int64_t> order(n);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t in = 0; in < inner; ++in) {
      auto at = [&](int64_t j) { return v[(o * n + j) * inner + in]; };
      std::iota(order.begin(), order.end(), 0);
      // Ties keep the lower index first.
      std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        return largest ? at(a) > at(b) : at(a) < at(b);
      });
      for (int64_t j = 0; j < k; ++j) {
        vals[(o * k + j) * inner + in] = at(order[j]);
        idxs[(o * k + j) * inner + in] = order[j];
      }
    }
  if (IsIntegral(x->dtype())) {
    std::vector<int64_t> vi(vals.begin(), vals.end());
    ASSIGN_OR_RETURN(Tensor t, WriteAs<int64_t>(x->dtype(), out, vi));
    ctx.SetOutput(0, std::move(t));
  } else {
    ASSIGN_OR_RETURN(Tensor t, WriteAs<double>(x->dtype(), out, vals));
    ctx.SetOutput(0, std::move(t));
  }
  ASSIGN_OR_RETURN(Tensor it, WriteAs<int64_t>(DType::kI64, out, idxs));
  ctx.SetOutput(1, std::move(it));
  return absl::OkStatus();
}

absl::Status EyeLike(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  if (x->rank() != 2) return Invalid(ctx, "input must be 2-D");
  DType dt = x->dtype();
  if (const onnx::AttributeProto* a = ctx.Attr("dtype")) {
    absl::StatusOr<DType> d = DTypeFromOnnx(static_cast<int>(a->i()));
    RETURN_IF_ERROR(Wrap(ctx, d.status()));
    dt = *d;
  }
  const int64_t k = ctx.GetInt("k", 0), rows = x->shape()[0], cols = x->shape()[1];
  std::vector<double> v(rows * cols, 0.0);
  for (int64_t i = 0; i < rows; ++i) {
    const int64_t j = i + k;
    if (j >= 0 && j < cols) v[i * cols + j] = 1.0;
  }
  ASSIGN_OR_RETURN(Tensor y, WriteAs<double>(dt, x->shape(), v));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status Shrink(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  const double l = ctx.GetFloat("lambd", 0.5f), b = ctx.GetFloat("bias", 0.0f);
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*x));
  for (double& e : v) e = e < -l ? e + b : (e > l ? e - b : 0.0);
  if (IsIntegral(x->dtype())) {
    std::vector<int64_t> vi(v.begin(), v.end());
    ASSIGN_OR_RETURN(Tensor y, WriteAs<int64_t>(x->dtype(), x->shape(), vi));
    ctx.SetOutput(0, std::move(y));
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(Tensor y, WriteAs<double>(x->dtype(), x->shape(), v));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status NonZero(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*x));
  const int rank = x->rank();
  std::vector<std::vector<int64_t>> coords(std::max(rank, 1));
  std::vector<int64_t> pos(rank, 0);
  for (size_t k = 0; k < v.size(); ++k) {
    if (v[k] != 0) {
      if (rank == 0) coords[0].push_back(0);
      for (int d = 0; d < rank; ++d) coords[d].push_back(pos[d]);
    }
    for (int d = rank - 1; d >= 0; --d) {
      if (++pos[d] < x->shape()[d]) break;
      pos[d] = 0;
    }
  }
  const int64_t nnz = coords[0].size();
  std::vector<int64_t> flat;
  for (const auto& c : coords) flat.insert(flat.end(), c.begin(), c.end());
  ASSIGN_OR_RETURN(Tensor y, WriteAs<int64_t>(DType::kI64, {static_cast<int64_t>(coords.size()), nnz}, flat));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status Compress(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* c, ctx.Input(1));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  ASSIGN_OR_RETURN(std::vector<int64_t> cond, ReadAs<int64_t>(*c));
  const int es = ElementSize(x.dtype());
  if (ctx.Attr("axis") == nullptr) {
    std::vector<int64_t> keep;
    for (int64_t i = 0; i < static_cast<int64_t>(cond.size()) && i < x.num_elements(); ++i) {
      if (cond[i]) keep.push_back(i);
    }
    Tensor y = Tensor::Zeros(x.dtype(), {static_cast<int64_t>(keep.size())});
    for (size_t k = 0; k < keep.size(); ++k) {
      std::memcpy(y.mutable_data() + k * es, x.data() + keep[k] * es, es);
    }
    ctx.SetOutput(0, std::move(y));
    return absl::OkStatus();
  }
  absl::StatusOr<int> axis = NormalizeAxis(ctx.GetInt("axis", 0), x.rank());
  RETURN_IF_ERROR(Wrap(ctx, axis.status()));
  const int64_t n = x.shape()[*axis];
  std::vector<int64_t> keep;
  for (int64_t i = 0; i < static_cast<int64_t>(cond.size()) && i < n; ++i) {
    if (cond[i]) keep.push_back(i);
  }
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < *axis; ++i) outer *= x.shape()[i];
  for (int i = *axis + 1; i < x.rank(); ++i) inner *= x.shape()[i];
  Shape out = x.shape();
  out[*axis] = keep.size();
  Tensor y = Tensor::Zeros(x.dtype(), out);
  int64_t w = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i : keep) {
      std::memcpy(y.mutable_data() + w * inner * es, x.data() + (o * n + i) * inner * es,
                  inner * es);
      ++w;
    }
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status ReverseSequence(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* lens_t, ctx.Input(1));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  const int64_t ba = ctx.GetInt("batch_axis", 1), ta = ctx.GetInt("time_axis", 0);
  if (x.rank() < 2 || (ba != 0 && ba != 1) || (ta != 0 && ta != 1) || ba == ta) {
    return Invalid(ctx, "expected rank >= 2 and batch/time axes 0 and 1");
  }
  ASSIGN_OR_RETURN(std::vector<int64_t> lens, ReadInts(*lens_t));
  const int64_t B = x.shape()[ba], T = x.shape()[ta];
  if (static_cast<int64_t>(lens.size()) != B) return Invalid(ctx, "sequence_lens size != batch");
  std::vector<int64_t> st = RowMajorStrides(x.shape());
  const int64_t inner = x.rank() > 2 ? st[1] : 1;
  const int es = ElementSize(x.dtype());
  Tensor y = Tensor::Zeros(x.dtype(), x.shape());
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t) {
      const int64_t src_t = t < lens[b] ? lens[b] - 1 - t : t;
      const int64_t dst = b * st[ba] + t * st[ta], src = b * st[ba] + src_t * st[ta];
      std::memcpy(y.mutable_data() + dst * es, x.data() + src * es, inner * es);
    }
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status Lrn(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  const double alpha = ctx.GetFloat("alpha", 1e-4f), beta = ctx.GetFloat("beta", 0.75f),
               bias = ctx.GetFloat("bias", 1.0f);
  const int64_t size = ctx.GetInt("size", 1);
  if (x->rank() < 2) return Invalid(ctx, "input must have rank >= 2");
  const int64_t N = x->shape()[0], C = x->shape()[1];
  const int64_t inner = N * C == 0 ? 0 : x->num_elements() / (N * C);
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*x));
  std::vector<double> y(v.size());
  const int64_t lo = (size - 1) / 2, hi = size - 1 - lo;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t j = 0; j < inner; ++j) {
        double sq = 0;
        for (int64_t cc = std::max<int64_t>(0, c - lo); cc <= std::min(C - 1, c + hi); ++cc) {
          const double e = v[(n * C + cc) * inner + j];
          sq += e * e;
        }
        const int64_t k = (n * C + c) * inner + j;
        y[k] = v[k] / std::pow(bias + alpha / size * sq, beta);
      }
  ASSIGN_OR_RETURN(Tensor t, WriteAs<double>(x->dtype(), x->shape(), y));
  ctx.SetOutput(0, std::move(t));
  return absl::OkStatus();
}

absl::Status BitShift(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* a, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* b, ctx.Input(1));
  if (a->dtype() != DType::kU8) {
    return ctx.Error(absl::StatusCode::kUnimplemented,
                     absl::StrCat("element type ", DTypeName(a->dtype()), "; only u8 is supported"));
  }
  const bool left = ctx.GetString("direction", "") == "LEFT";
  absl::StatusOr<Shape> out = BroadcastShapes({a->shape(), b->shape()});
  RETURN_IF_ERROR(Wrap(ctx, out.status()));
  ASSIGN_OR_RETURN(std::vector<int64_t> va, ReadAs<int64_t>(*a));
  ASSIGN_OR_RETURN(std::vector<int64_t> vb, ReadAs<int64_t>(*b));
  std::vector<int64_t> ia = BroadcastIndex(a->shape(), *out), ib = BroadcastIndex(b->shape(), *out);
  std::vector<int64_t> y(ia.size());
  for (size_t k = 0; k < y.size(); ++k) {
    const int64_t s = vb[ib[k]];
    y[k] = s >= 8 ? 0 : ((left ? va[ia[k]] << s : va[ia[k]] >> s) & 0xff);
  }
  ASSIGN_OR_RETURN(Tensor t, WriteAs<int64_t>(DType::kU8, *out, y));
  ctx.SetOutput(0, std::move(t));
  return absl::OkStatus();
}

// (X - mean) / (sqrt(var) + 1e-9) over `axes` (default [0, 2, 3]), as the op's function body.
absl::Status MeanVarianceNormalization(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  std::vector<int64_t> axes = ctx.GetInts("axes", {0, 2, 3});
  const int rank = x->rank();
  std::vector<bool> red(rank, false);
  for (int64_t a : axes) {
    absl::StatusOr<int> ax = NormalizeAxis(a, rank);
    RETURN_IF_ERROR(Wrap(ctx, ax.status()));
    red[*ax] = true;
  }
  Shape kept(rank);
  for (int i = 0; i < rank; ++i) kept[i] = red[i] ? 1 : x->shape()[i];
  ASSIGN_OR_RETURN(int64_t n_out, NumElements(kept));
  std::vector<int64_t> map = BroadcastIndex(kept, x->shape());
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*x));
  std::vector<double> sum(n_out, 0), sq(n_out, 0);
  std::vector<int64_t> cnt(n_out, 0);
  for (size_t k = 0; k < v.size(); ++k) {
    sum[map[k]] += v[k];
    sq[map[k]] += v[k] * v[k];
    ++cnt[map[k]];
  }
  for (size_t k = 0; k < v.size(); ++k) {
    const double m = sum[map[k]] / cnt[map[k]];
    const double var = sq[map[k]] / cnt[map[k]] - m * m;
    v[k] = (v[k] - m) / (std::sqrt(std::max(var, 0.0)) + 1e-9);
  }
  ASSIGN_OR_RETURN(Tensor y, WriteAs<double>(x->dtype(), x->shape(), v));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

enum class Window { kHann, kHamming, kBlackman };

absl::Status WindowFn(KernelContext& ctx, Window w) {
  ASSIGN_OR_RETURN(const Tensor* s, ctx.Input(0));
  ASSIGN_OR_RETURN(std::vector<int64_t> sv, ReadInts(*s));
  if (sv.size() != 1 || sv[0] < 0 || sv[0] > (int64_t{1} << 31)) {
    return Invalid(ctx, "size must be one non-negative value");
  }
  const int64_t n = sv[0];
  absl::StatusOr<DType> dt = DTypeFromOnnx(static_cast<int>(ctx.GetInt("output_datatype", 1)));
  RETURN_IF_ERROR(Wrap(ctx, dt.status()));
  const double denom = ctx.GetInt("periodic", 1) != 0 ? n : n - 1;
  std::vector<double> y(n);
  for (int64_t i = 0; i < n; ++i) {
    const double t = 2 * M_PI * i / denom;
    switch (w) {
      case Window::kHann: y[i] = 0.5 - 0.5 * std::cos(t); break;
      case Window::kHamming: y[i] = 25.0 / 46.0 - (21.0 / 46.0) * std::cos(t); break;
      case Window::kBlackman: y[i] = 0.42 - 0.5 * std::cos(t) + 0.08 * std::cos(2 * t); break;
    }
  }
  ASSIGN_OR_RETURN(Tensor t, WriteAs<double>(*dt, {n}, y));
  ctx.SetOutput(0, std::move(t));
  return absl::OkStatus();
}

}  // namespace

std::vector<KernelDef> MiscKernels() {
  const int M = kMaxKnownOpset;
  return {
      Def("GlobalAveragePool", 1, M, [](KernelContext& c) { return GlobalPool(c, false); }),
      Def("GlobalMaxPool", 1, M, [](KernelContext& c) { return GlobalPool(c, true); }),
      Def("DepthToSpace", 1, M, DepthToSpace),
      Def("SpaceToDepth", 1, M, SpaceToDepth),
      Def("GatherND", 11, M, GatherND),
      Def("ScatterElements", 11, M, ScatterElements),
      Def("Scatter", 9, 10, ScatterElements),
      Def("OneHot", 9, M, OneHot),
      Def("TopK", 1, M, TopK),
      Def("EyeLike", 9, M, EyeLike),
      Def("Shrink", 9, M, Shrink),
      Def("NonZero", 9, M, NonZero),
      Def("Compress", 9, M, Compress),
      Def("ReverseSequence", 10, M, ReverseSequence),
      Def("LRN", 1, M, Lrn),
      Def("BitShift", 11, M, BitShift),
      Def("MeanVarianceNormalization", 9, M, MeanVarianceNormalization),
      Def("HannWindow", 17, M, [](KernelContext& c) { return WindowFn(c, Window::kHann); }),
      Def("HammingWindow", 17, M, [](KernelContext& c) { return WindowFn(c, Window::kHamming); }),
      Def("BlackmanWindow", 17, M, [](KernelContext& c) { return WindowFn(c, Window::kBlackman); }),
  };
}

}  // namespace rt
}  // namespace tp
