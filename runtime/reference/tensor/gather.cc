// Gather, GatherElements and GatherND (negative indices wrap; out-of-range indices are errors).

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/reference/util.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {

absl::Status GatherKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* ind, ctx.Input(1));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  absl::StatusOr<int> axis_or = NormalizeAxis(ctx.GetInt("axis", 0), x.rank());
  RETURN_IF_ERROR(ctx.Annotate(axis_or.status()));
  const int axis = *axis_or;
  absl::StatusOr<std::vector<int64_t>> idx_or = ReadInts(*ind);
  RETURN_IF_ERROR(ctx.Annotate(idx_or.status()));
  std::vector<int64_t> idx = *idx_or;
  const int64_t d = x.shape()[axis];
  for (int64_t& i : idx) {
    if (i < -d || i >= d) {
      return ctx.Invalid(absl::StrCat("index ", i, " is out of range for a dim of ", d));
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

absl::Status GatherElementsKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* ind, ctx.Input(1));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  const int rank = x.rank();
  absl::StatusOr<int> axis_or = NormalizeAxis(ctx.GetInt("axis", 0), rank);
  RETURN_IF_ERROR(ctx.Annotate(axis_or.status()));
  const int axis = *axis_or;
  if (ind->rank() != rank) {
    return ctx.Invalid(absl::StrCat("indices have rank ", ind->rank(), "; expected ", rank));
  }
  absl::StatusOr<std::vector<int64_t>> idx_or = ReadInts(*ind);
  RETURN_IF_ERROR(ctx.Annotate(idx_or.status()));
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
        status = ctx.Invalid(absl::StrCat("index ", idx[k], " out of range for a dim of ",
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

absl::Status GatherNDKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* ind, ctx.Input(1));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  const int64_t bd = ctx.GetInt("batch_dims", 0);
  const int r = x.rank(), q = ind->rank();
  if (q < 1) return ctx.Invalid("indices must have rank >= 1");
  const int64_t k = ind->shape()[q - 1];
  if (bd < 0 || bd >= std::min(q, r) || bd + k > r) {
    return ctx.Invalid(absl::StrCat("batch_dims ", bd, " and index depth ", k,
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
        if (p < 0 || p >= d) return ctx.Invalid(absl::StrCat("index ", p, " out of range for ", d));
        off += p * st[bd + j];
      }
      std::memcpy(y.mutable_data() + w * slice * es, x.data() + off * es, slice * es);
      ++w;
    }
  }
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
