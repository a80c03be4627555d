// ScatterND, ScatterElements and the deprecated Scatter (opset 9-10), with the reductions of
// opsets 16 and 18.

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {

absl::Status ScatterNDKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* ind, ctx.Input(1));
  ASSIGN_OR_RETURN(const Tensor* upd, ctx.Input(2));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  const std::string reduction = ctx.GetString("reduction", "none");
  const int64_t q = ind->rank();
  if (q < 1) return ctx.Invalid("indices must have rank >= 1");
  const int64_t k = ind->shape()[q - 1];
  if (k > x.rank()) return ctx.Invalid("indices' last dim exceeds the data rank");
  absl::StatusOr<std::vector<int64_t>> idx_or = ReadInts(*ind);
  RETURN_IF_ERROR(ctx.Annotate(idx_or.status()));
  const std::vector<int64_t>& idx = *idx_or;
  int64_t slice = 1;
  for (int i = k; i < x.rank(); ++i) slice *= x.shape()[i];
  const int64_t n = k == 0 ? 1 : static_cast<int64_t>(idx.size()) / k;
  if (upd->num_elements() != n * slice) {
    return ctx.Invalid(absl::StrCat("updates have ", upd->num_elements(), " elements; expected ",
                                     n * slice));
  }
  std::vector<int64_t> st = RowMajorStrides(x.shape());
  auto offset_of = [&](int64_t j, int64_t* off) -> absl::Status {
    *off = 0;
    for (int64_t i = 0; i < k; ++i) {
      int64_t p = idx[j * k + i];
      if (p < 0) p += x.shape()[i];
      if (p < 0 || p >= x.shape()[i]) {
        return ctx.Invalid(absl::StrCat("index ", idx[j * k + i], " out of range for a dim of ",
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

absl::Status ScatterElementsKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* ind, ctx.Input(1));
  ASSIGN_OR_RETURN(const Tensor* upd0, ctx.Input(2));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  ASSIGN_OR_RETURN(Tensor upd, upd0->Contiguous());
  const int rank = x.rank();
  absl::StatusOr<int> axis = NormalizeAxis(ctx.GetInt("axis", 0), rank);
  RETURN_IF_ERROR(ctx.Annotate(axis.status()));
  if (ind->shape() != upd.shape() || ind->rank() != rank || upd.dtype() != x.dtype()) {
    return ctx.Invalid("indices and updates must have one shape of the data's rank and type");
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
          return ctx.Invalid(absl::StrCat("index ", idx[k], " out of range for ", x.shape()[d]));
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

}  // namespace ref
}  // namespace rt
}  // namespace tp
