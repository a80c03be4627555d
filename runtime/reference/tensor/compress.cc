// Compress (select slices where the condition is true), NonZero and ReverseSequence.

#include <algorithm>
#include <cstring>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {

absl::Status CompressKernel(KernelContext& ctx) {
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
  RETURN_IF_ERROR(ctx.Annotate(axis.status()));
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

absl::Status NonZeroKernel(KernelContext& ctx) {
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

absl::Status ReverseSequenceKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x0, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* lens_t, ctx.Input(1));
  ASSIGN_OR_RETURN(Tensor x, x0->Contiguous());
  const int64_t ba = ctx.GetInt("batch_axis", 1), ta = ctx.GetInt("time_axis", 0);
  if (x.rank() < 2 || (ba != 0 && ba != 1) || (ta != 0 && ta != 1) || ba == ta) {
    return ctx.Invalid("expected rank >= 2 and batch/time axes 0 and 1");
  }
  ASSIGN_OR_RETURN(std::vector<int64_t> lens, ReadInts(*lens_t));
  const int64_t B = x.shape()[ba], T = x.shape()[ta];
  if (static_cast<int64_t>(lens.size()) != B) return ctx.Invalid("sequence_lens size != batch");
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

}  // namespace ref
}  // namespace rt
}  // namespace tp
