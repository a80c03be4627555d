// Reshape and the metadata ops: Identity, Reshape, Squeeze, Unsqueeze, Flatten, Shape, Size.
// They move elements as bytes, so they serve every element type alike.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/reference/util.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {

// Tensors, sequences and optionals (opsets 14 and 16) alike.
absl::Status IdentityKernel(KernelContext& ctx) {
  const Value* v = ctx.InputValue(0);
  if (v != nullptr && !v->is_tensor()) {
    ctx.SetOutputValue(0, *v);
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  return SetPacked(ctx, 0, *x);
}

absl::Status ReshapeKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  std::vector<int64_t> spec;
  if (ctx.opset() >= 5) {
    ASSIGN_OR_RETURN(const Tensor* s, ctx.Input(1));
    absl::StatusOr<std::vector<int64_t>> v = ReadInts(*s);
    RETURN_IF_ERROR(ctx.Annotate(v.status()));
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
      if (infer >= 0) return ctx.Invalid("shape has more than one -1");
      infer = static_cast<int>(i);
      continue;
    }
    if (spec[i] == 0 && !allowzero) {
      if (i >= x->shape().size()) {
        return ctx.Invalid(absl::StrCat("shape[", i, "] is 0 but the input has rank ", x->rank()));
      }
      out[i] = x->shape()[i];
    } else if (spec[i] < 0) {
      return ctx.Invalid(absl::StrCat("shape[", i, "] is ", spec[i], "; expected >= -1"));
    } else {
      out[i] = spec[i];
    }
    known *= out[i];
  }
  if (infer >= 0) {
    if (known == 0 || x->num_elements() % known != 0) {
      return ctx.Invalid(absl::StrCat("cannot infer -1: input ", ShapeToString(x->shape()),
                                       " into [", absl::StrJoin(spec, ", "), "]"));
    }
    out[infer] = x->num_elements() / known;
  }
  absl::StatusOr<Tensor> y = x->Reshaped(out);
  RETURN_IF_ERROR(ctx.Annotate(y.status()));
  ctx.SetOutput(0, std::move(*y));
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
    RETURN_IF_ERROR(ctx.Annotate(ax.status()));
    if (is_new[*ax]) return ctx.Invalid(absl::StrCat("axis ", a, " repeats"));
    is_new[*ax] = true;
  }
  Shape out;
  int j = 0;
  for (int i = 0; i < out_rank; ++i) out.push_back(is_new[i] ? 1 : x->shape()[j++]);
  absl::StatusOr<Tensor> y = x->Reshaped(out);
  RETURN_IF_ERROR(ctx.Annotate(y.status()));
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
    RETURN_IF_ERROR(ctx.Annotate(ax.status()));
    if (x->shape()[*ax] != 1) {
      return ctx.Invalid(absl::StrCat("axis ", a, " has size ", x->shape()[*ax],
                                       "; expected 1"));
    }
    drop[*ax] = true;
  }
  Shape out;
  for (int i = 0; i < x->rank(); ++i) if (!drop[i]) out.push_back(x->shape()[i]);
  absl::StatusOr<Tensor> y = x->Reshaped(out);
  RETURN_IF_ERROR(ctx.Annotate(y.status()));
  ctx.SetOutput(0, std::move(*y));
  return absl::OkStatus();
}

absl::Status FlattenKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  int64_t axis = ctx.GetInt("axis", 1);
  if (axis < 0) axis += x->rank();
  if (axis < 0 || axis > x->rank()) {
    return ctx.Invalid(absl::StrCat("axis ", ctx.GetInt("axis", 1), " out of range for rank ",
                                     x->rank()));
  }
  int64_t a = 1, b = 1;
  for (int i = 0; i < x->rank(); ++i) (i < axis ? a : b) *= x->shape()[i];
  absl::StatusOr<Tensor> y = x->Reshaped({a, b});
  RETURN_IF_ERROR(ctx.Annotate(y.status()));
  ctx.SetOutput(0, std::move(*y));
  return absl::OkStatus();
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

}  // namespace ref
}  // namespace rt
}  // namespace tp
