// Value generators: Constant (every value attribute), ConstantOfShape, Range, EyeLike.

#include <algorithm>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/tensor_proto.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {

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
  RETURN_IF_ERROR(ctx.Annotate(shape.status()));
  RETURN_IF_ERROR(ctx.Annotate(CheckOutputShape(*shape)));
  absl::StatusOr<int64_t> n = NumElements(*shape);
  RETURN_IF_ERROR(ctx.Annotate(n.status()));
  Tensor value = TensorFromFloats({1}, {0.0f});
  if (const onnx::AttributeProto* a = ctx.Attr("value")) {
    absl::StatusOr<Tensor> v = TensorFromProto(a->t(), ctx.NodeLabel());
    RETURN_IF_ERROR(v.status());
    if (v->num_elements() != 1) return ctx.Invalid("value must hold one element");
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
    if (in[i]->num_elements() != 1) return ctx.Invalid("start, limit and delta must be scalars");
  }
  const DType t = in[0]->dtype();
  if (IsFloating(t)) {
    double v[3];
    for (int i = 0; i < 3; ++i) {
      ASSIGN_OR_RETURN(std::vector<double> d, ReadAs<double>(*in[i]));
      v[i] = d[0];
    }
    if (v[2] == 0) return ctx.Invalid("delta is 0");
    const double count = std::max(std::ceil((v[1] - v[0]) / v[2]), 0.0);
    if (count > static_cast<double>(kMaxOutputElements)) return ctx.Invalid("range is too long");
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
  if (v[2] == 0) return ctx.Invalid("delta is 0");
  const int64_t span = v[1] - v[0];
  int64_t count = span / v[2] + ((span % v[2] != 0) && ((span < 0) == (v[2] < 0)) ? 1 : 0);
  count = std::max<int64_t>(count, 0);
  if (count > kMaxOutputElements) return ctx.Invalid("range is too long");
  std::vector<int64_t> out(count);
  for (int64_t k = 0; k < count; ++k) out[k] = v[0] + k * v[2];
  ASSIGN_OR_RETURN(Tensor y, WriteAs<int64_t>(t, {count}, out));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status EyeLikeKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  if (x->rank() != 2) return ctx.Invalid("input must be 2-D");
  DType dt = x->dtype();
  if (const onnx::AttributeProto* a = ctx.Attr("dtype")) {
    absl::StatusOr<DType> d = DTypeFromOnnx(static_cast<int>(a->i()));
    RETURN_IF_ERROR(ctx.Annotate(d.status()));
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

}  // namespace ref
}  // namespace rt
}  // namespace tp
