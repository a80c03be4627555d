// Pad: constant, reflect, edge (and wrap, opset 19), pads from the attribute (opset < 11) or
// inputs, negative pads crop.

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
    RETURN_IF_ERROR(ctx.Annotate(v.status()));
    pads = *v;
    if (const Tensor* c = ctx.OptionalInput(2)) {
      if (c->num_elements() > 0) {
        ASSIGN_OR_RETURN(std::vector<double> cv, ReadAs<double>(*c));
        value = cv[0];
      }
    }
    if (const Tensor* a = ctx.OptionalInput(3)) {
      absl::StatusOr<std::vector<int64_t>> av = ReadInts(*a);
      RETURN_IF_ERROR(ctx.Annotate(av.status()));
      axes = *av;
    }
  } else {
    pads = ctx.GetInts(ctx.opset() < 2 ? "paddings" : "pads", {});
    value = ctx.GetFloat("value", 0.0f);
  }
  if (axes.empty()) for (int i = 0; i < rank; ++i) axes.push_back(i);
  if (pads.size() != 2 * axes.size()) {
    return ctx.Invalid(absl::StrCat("pads has ", pads.size(), " values; expected ",
                                     2 * axes.size()));
  }
  std::vector<int64_t> before(rank, 0), after(rank, 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    absl::StatusOr<int> a = NormalizeAxis(axes[i], rank);
    RETURN_IF_ERROR(ctx.Annotate(a.status()));
    before[*a] = pads[i];
    after[*a] = pads[i + axes.size()];
  }
  Shape out(rank);
  for (int i = 0; i < rank; ++i) {
    out[i] = x.shape()[i] + before[i] + after[i];
    if (out[i] < 0) return ctx.Invalid("pads make a dim negative");
    if (i == rank - 1) RETURN_IF_ERROR(ctx.Annotate(CheckOutputShape(out)));
    if (mode != "constant" && x.shape()[i] == 0 && out[i] > 0) {
      return ctx.Invalid(absl::StrCat("mode ", mode, " cannot pad an empty dim"));
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

}  // namespace ref
}  // namespace rt
}  // namespace tp
