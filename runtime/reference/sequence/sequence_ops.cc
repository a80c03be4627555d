// The sequence ops: SequenceEmpty, SequenceConstruct, SequenceInsert, SequenceAt, SequenceErase,
// SequenceLength, SplitToSequence and ConcatFromSequence. Elements are tensor handles: building
// and indexing sequences copies no element data.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/reference/util.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {
namespace {

absl::StatusOr<const Value*> SequenceInput(const KernelContext& ctx, int i) {
  const Value* v = ctx.InputValue(i);
  if (v == nullptr || !v->is_sequence()) {
    return ctx.Invalid(absl::StrCat("input ", i, " is ",
                                    v == nullptr ? "missing" : "a " + v->Describe(),
                                    "; expected a sequence"));
  }
  return v;
}

// A position input in [lo, n + hi_offset) after adding n to negative values.
absl::StatusOr<int64_t> Position(const KernelContext& ctx, int input, int64_t n, bool insert) {
  ASSIGN_OR_RETURN(const Tensor* p, ctx.Input(input));
  ASSIGN_OR_RETURN(int64_t pos, ScalarInt(ctx, *p, "position"));
  const int64_t hi = insert ? n : n - 1;
  if (pos < -n || pos > hi) {
    return ctx.Invalid(absl::StrCat("position ", pos, " is out of range for a sequence of ", n,
                                    "; expected [", -n, ", ", hi, "]"));
  }
  return pos < 0 ? pos + n : pos;
}

}  // namespace

absl::Status SequenceEmptyKernel(KernelContext& ctx) {
  absl::StatusOr<DType> dtype =
      DTypeFromOnnx(static_cast<int>(ctx.GetInt("dtype", onnx::TensorProto::FLOAT)));
  RETURN_IF_ERROR(ctx.Annotate(dtype.status()));
  ctx.SetOutputValue(0, Value::Sequence(*dtype, {}));
  return absl::OkStatus();
}

absl::Status SequenceConstructKernel(KernelContext& ctx) {
  std::vector<Tensor> items;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    ASSIGN_OR_RETURN(const Tensor* t, ctx.Input(i));
    if (!items.empty() && t->dtype() != items[0].dtype()) {
      return ctx.Invalid(absl::StrCat("input ", i, " is ", DTypeName(t->dtype()), ", input 0 ",
                                      DTypeName(items[0].dtype()), "; expected one element type"));
    }
    items.push_back(*t);
  }
  if (items.empty()) return ctx.Invalid("no inputs; expected at least one tensor");
  const DType dtype = items[0].dtype();
  ctx.SetOutputValue(0, Value::Sequence(dtype, std::move(items)));
  return absl::OkStatus();
}

absl::Status SequenceInsertKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Value* seq, SequenceInput(ctx, 0));
  ASSIGN_OR_RETURN(const Tensor* t, ctx.Input(1));
  if (t->dtype() != seq->elem_type()) {
    return ctx.Invalid(absl::StrCat("tensor is ", DTypeName(t->dtype()), ", the sequence holds ",
                                    DTypeName(seq->elem_type())));
  }
  std::vector<Tensor> items = seq->items();
  int64_t pos = static_cast<int64_t>(items.size());
  if (ctx.HasInput(2)) {
    ASSIGN_OR_RETURN(pos, Position(ctx, 2, static_cast<int64_t>(items.size()), true));
  }
  items.insert(items.begin() + pos, *t);
  ctx.SetOutputValue(0, Value::Sequence(seq->elem_type(), std::move(items)));
  return absl::OkStatus();
}

absl::Status SequenceAtKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Value* seq, SequenceInput(ctx, 0));
  ASSIGN_OR_RETURN(int64_t pos, Position(ctx, 1, static_cast<int64_t>(seq->items().size()), false));
  ctx.SetOutput(0, seq->items()[pos]);
  return absl::OkStatus();
}

absl::Status SequenceEraseKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Value* seq, SequenceInput(ctx, 0));
  std::vector<Tensor> items = seq->items();
  const int64_t n = static_cast<int64_t>(items.size());
  if (n == 0) return ctx.Invalid("the sequence is empty; nothing to erase");
  int64_t pos = n - 1;
  if (ctx.HasInput(1)) {
    ASSIGN_OR_RETURN(pos, Position(ctx, 1, n, false));
  }
  items.erase(items.begin() + pos);
  ctx.SetOutputValue(0, Value::Sequence(seq->elem_type(), std::move(items)));
  return absl::OkStatus();
}

absl::Status SequenceLengthKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Value* seq, SequenceInput(ctx, 0));
  Tensor n = Tensor::Zeros(DType::kI64, {});
  n.mutable_data_as<int64_t>()[0] = static_cast<int64_t>(seq->items().size());
  ctx.SetOutput(0, std::move(n));
  return absl::OkStatus();
}

absl::Status SplitToSequenceKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x_in, ctx.Input(0));
  ASSIGN_OR_RETURN(Tensor x, x_in->Contiguous());
  absl::StatusOr<int> axis_or = NormalizeAxis(ctx.GetInt("axis", 0), x.rank());
  RETURN_IF_ERROR(ctx.Annotate(axis_or.status()));
  const int axis = *axis_or;
  const int64_t dim = x.shape()[axis];
  std::vector<int64_t> sizes;
  bool keep = true;
  if (const Tensor* split = ctx.OptionalInput(1)) {
    absl::StatusOr<std::vector<int64_t>> v = ReadInts(*split);
    RETURN_IF_ERROR(ctx.Annotate(v.status()));
    if (split->rank() == 0) {
      const int64_t chunk = (*v)[0];
      if (chunk <= 0) return ctx.Invalid(absl::StrCat("split = ", chunk, ", expected > 0"));
      for (int64_t start = 0; start < dim; start += chunk) {
        sizes.push_back(std::min(chunk, dim - start));
      }
    } else {
      int64_t sum = 0;
      for (int64_t s : *v) {
        if (s < 0) return ctx.Invalid(absl::StrCat("split has ", s, ", expected sizes >= 0"));
        sum += s;
      }
      if (sum != dim) {
        return ctx.Invalid(absl::StrCat("split sums to ", sum, ", the axis has ", dim));
      }
      sizes = *v;
    }
  } else {
    sizes.assign(dim, 1);
    keep = ctx.GetInt("keepdims", 1) != 0;
  }
  std::vector<Tensor> items;
  int64_t start = 0;
  for (int64_t s : sizes) {
    Tensor part = SliceAxis(x, axis, start, s);
    start += s;
    if (!keep) {
      Shape sq = part.shape();
      sq.erase(sq.begin() + axis);
      ASSIGN_OR_RETURN(part, part.Reshaped(sq));
    }
    items.push_back(std::move(part));
  }
  ctx.SetOutputValue(0, Value::Sequence(x.dtype(), std::move(items)));
  return absl::OkStatus();
}

absl::Status ConcatFromSequenceKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Value* seq, SequenceInput(ctx, 0));
  if (seq->items().empty()) return ctx.Invalid("the sequence is empty; nothing to concatenate");
  const onnx::AttributeProto* axis_attr = ctx.Attr("axis");
  if (axis_attr == nullptr) return ctx.Invalid("attribute 'axis' is missing");
  const bool new_axis = ctx.GetInt("new_axis", 0) != 0;
  const int rank = seq->items()[0].rank() + (new_axis ? 1 : 0);
  absl::StatusOr<int> axis = NormalizeAxis(axis_attr->i(), rank);
  RETURN_IF_ERROR(ctx.Annotate(axis.status()));
  absl::StatusOr<Tensor> y =
      new_axis ? StackAlong(seq->items(), *axis) : ConcatAlong(seq->items(), *axis);
  RETURN_IF_ERROR(ctx.Annotate(y.status()));
  ctx.SetOutput(0, *std::move(y));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
