// Binary and variadic cuda kernels with broadcasting: arithmetic (Add, Sub, Mul, Div, Pow,
// PRelu, Max, Min, Sum, Mean), comparisons and logic, Where. f32 on the GPU (bool for logic, any
// element type for Where); other element types go to the reference kernel.

#include <functional>
#include <vector>

#include "core/status_macros.h"
#include "runtime/cuda/cuda_context.h"
#include "runtime/cuda/kernel_util.h"
#include "runtime/cuda/kernels.h"
#include "runtime/cuda/math/elementwise_impl.h"
#include "runtime/reference/kernels.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace cuda {
namespace {

// Broadcast output shape of inputs [first, first + count); false when they do not broadcast.
bool OutShape(const std::vector<const Tensor*>& ins, Shape* out) {
  std::vector<Shape> shapes;
  for (const Tensor* t : ins) shapes.push_back(t->shape());
  absl::StatusOr<Shape> s = BroadcastShapes(shapes);
  if (!s.ok()) return false;
  *out = *s;
  return true;
}

// Pairwise f32 binary op with broadcasting: Add, Sub, Mul, Div, Pow, PRelu.
CudaKernelFn Binary(BinaryOp op) {
  return [op](KernelContext& ctx, const KernelFn& fb) -> absl::Status {
    ASSIGN_OR_RETURN(const Tensor* a, ctx.Input(0));
    ASSIGN_OR_RETURN(const Tensor* b, ctx.Input(1));
    Shape out;
    StridedShape s;
    if (!AllF32({a, b}) || !OutShape({a, b}, &out) || !MakeStrided(out, {a->shape(), b->shape()}, &s) ||
        (op == BinaryOp::kPRelu && out != a->shape())) {
      return RunFallback(ctx, fb);
    }
    RETURN_IF_ERROR(CudaReady(ctx));
    ASSIGN_OR_RETURN(DeviceBuffer da, Upload(ctx, *a));
    ASSIGN_OR_RETURN(DeviceBuffer db, Upload(ctx, *b));
    ASSIGN_OR_RETURN(int64_t n, NumElements(out));
    ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, n * 4));
    RETURN_IF_ERROR(CudaCheck(
        ctx, LaunchBinaryF32(op, da.as<float>(), db.as<float>(), dy.as<float>(), s),
        "binary kernel"));
    ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, DType::kF32, out));
    ctx.SetOutput(0, std::move(y));
    return absl::OkStatus();
  };
}

// Variadic Max, Min, Sum, Mean: folds the inputs pairwise into an output-shaped accumulator.
CudaKernelFn Variadic(BinaryOp op, bool mean) {
  return [op, mean](KernelContext& ctx, const KernelFn& fb) -> absl::Status {
    std::vector<const Tensor*> ins;
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      ASSIGN_OR_RETURN(const Tensor* t, ctx.Input(i));
      if (!AllF32({t})) return RunFallback(ctx, fb);
      ins.push_back(t);
    }
    Shape out;
    if (ins.empty() || !OutShape(ins, &out) || out.size() > kMaxRank) return RunFallback(ctx, fb);
    RETURN_IF_ERROR(CudaReady(ctx));
    ASSIGN_OR_RETURN(int64_t n, NumElements(out));
    ASSIGN_OR_RETURN(DeviceBuffer acc, DeviceBuffer::Allocate(ctx, n * 4));
    ASSIGN_OR_RETURN(DeviceBuffer d0, Upload(ctx, *ins[0]));
    StridedShape s;
    if (ins.size() == 1) {
      MakeStrided(out, {ins[0]->shape()}, &s);
      UnaryParams copy;
      copy.alpha = 1.0f;
      RETURN_IF_ERROR(CudaCheck(
          ctx, LaunchUnaryF32(UnaryOp::kAffine, d0.as<float>(), acc.as<float>(), n, copy),
          "copy kernel"));
    } else {
      ASSIGN_OR_RETURN(DeviceBuffer d1, Upload(ctx, *ins[1]));
      MakeStrided(out, {ins[0]->shape(), ins[1]->shape()}, &s);
      RETURN_IF_ERROR(CudaCheck(
          ctx, LaunchBinaryF32(op, d0.as<float>(), d1.as<float>(), acc.as<float>(), s),
          "binary kernel"));
    }
    for (size_t i = 2; i < ins.size(); ++i) {
      ASSIGN_OR_RETURN(DeviceBuffer di, Upload(ctx, *ins[i]));
      MakeStrided(out, {out, ins[i]->shape()}, &s);
      // In place: each output element reads only its own accumulator element.
      RETURN_IF_ERROR(CudaCheck(
          ctx, LaunchBinaryF32(op, acc.as<float>(), di.as<float>(), acc.as<float>(), s),
          "binary kernel"));
    }
    if (mean) {
      UnaryParams scale;
      scale.alpha = 1.0f / static_cast<float>(ins.size());
      RETURN_IF_ERROR(CudaCheck(ctx,
                                LaunchUnaryF32(UnaryOp::kAffine, acc.as<float>(), acc.as<float>(),
                                               n, scale),
                                "scale kernel"));
    }
    ASSIGN_OR_RETURN(Tensor y, Download(ctx, acc, DType::kF32, out));
    ctx.SetOutput(0, std::move(y));
    return absl::OkStatus();
  };
}

CudaKernelFn Compare(CompareOp op) {
  return [op](KernelContext& ctx, const KernelFn& fb) -> absl::Status {
    ASSIGN_OR_RETURN(const Tensor* a, ctx.Input(0));
    ASSIGN_OR_RETURN(const Tensor* b, ctx.Input(1));
    Shape out;
    StridedShape s;
    if (!AllF32({a, b}) || !OutShape({a, b}, &out) ||
        !MakeStrided(out, {a->shape(), b->shape()}, &s)) {
      return RunFallback(ctx, fb);
    }
    RETURN_IF_ERROR(CudaReady(ctx));
    ASSIGN_OR_RETURN(DeviceBuffer da, Upload(ctx, *a));
    ASSIGN_OR_RETURN(DeviceBuffer db, Upload(ctx, *b));
    ASSIGN_OR_RETURN(int64_t n, NumElements(out));
    ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, n));
    RETURN_IF_ERROR(CudaCheck(ctx,
                              LaunchCompareF32(op, da.as<float>(), db.as<float>(),
                                               dy.as<uint8_t>(), s),
                              "compare kernel"));
    ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, DType::kBool, out));
    ctx.SetOutput(0, std::move(y));
    return absl::OkStatus();
  };
}

bool AllBool(std::initializer_list<const Tensor*> ts) {
  for (const Tensor* t : ts) {
    if (t == nullptr || t->dtype() != DType::kBool) return false;
  }
  return true;
}

CudaKernelFn Logic(LogicOp op) {
  return [op](KernelContext& ctx, const KernelFn& fb) -> absl::Status {
    ASSIGN_OR_RETURN(const Tensor* a, ctx.Input(0));
    ASSIGN_OR_RETURN(const Tensor* b, ctx.Input(1));
    Shape out;
    StridedShape s;
    if (!AllBool({a, b}) || !OutShape({a, b}, &out) ||
        !MakeStrided(out, {a->shape(), b->shape()}, &s)) {
      return RunFallback(ctx, fb);
    }
    RETURN_IF_ERROR(CudaReady(ctx));
    ASSIGN_OR_RETURN(DeviceBuffer da, Upload(ctx, *a));
    ASSIGN_OR_RETURN(DeviceBuffer db, Upload(ctx, *b));
    ASSIGN_OR_RETURN(int64_t n, NumElements(out));
    ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, n));
    RETURN_IF_ERROR(CudaCheck(
        ctx, LaunchLogic(op, da.as<uint8_t>(), db.as<uint8_t>(), dy.as<uint8_t>(), s),
        "logic kernel"));
    ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, DType::kBool, out));
    ctx.SetOutput(0, std::move(y));
    return absl::OkStatus();
  };
}

absl::Status WhereGpu(KernelContext& ctx, const KernelFn& fb) {
  ASSIGN_OR_RETURN(const Tensor* c, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* a, ctx.Input(1));
  ASSIGN_OR_RETURN(const Tensor* b, ctx.Input(2));
  Shape out;
  StridedShape s;
  const int es = ElementSize(a->dtype());
  if (!AllBool({c}) || a->dtype() != b->dtype() || IsQuantized(a->dtype()) ||
      !OutShape({c, a, b}, &out) || !MakeStrided(out, {c->shape(), a->shape(), b->shape()}, &s)) {
    return RunFallback(ctx, fb);
  }
  RETURN_IF_ERROR(CudaReady(ctx));
  ASSIGN_OR_RETURN(DeviceBuffer dc, Upload(ctx, *c));
  ASSIGN_OR_RETURN(DeviceBuffer da, Upload(ctx, *a));
  ASSIGN_OR_RETURN(DeviceBuffer db, Upload(ctx, *b));
  ASSIGN_OR_RETURN(int64_t n, NumElements(out));
  ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, n * es));
  RETURN_IF_ERROR(CudaCheck(
      ctx, LaunchWhere(dc.as<uint8_t>(), da.get(), db.get(), dy.get(), es, s),
      "where kernel"));
  ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, a->dtype(), out));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace

absl::Status AddKernel(KernelContext& ctx) {
  return Binary(BinaryOp::kAdd)(ctx, ref::AddKernel);
}
absl::Status SubKernel(KernelContext& ctx) {
  return Binary(BinaryOp::kSub)(ctx, ref::SubKernel);
}
absl::Status MulKernel(KernelContext& ctx) {
  return Binary(BinaryOp::kMul)(ctx, ref::MulKernel);
}
absl::Status DivKernel(KernelContext& ctx) {
  return Binary(BinaryOp::kDiv)(ctx, ref::DivKernel);
}
absl::Status PowKernel(KernelContext& ctx) {
  return Binary(BinaryOp::kPow)(ctx, ref::PowKernel);
}
absl::Status PReluKernel(KernelContext& ctx) {
  return Binary(BinaryOp::kPRelu)(ctx, ref::PReluKernel);
}
absl::Status MaxKernel(KernelContext& ctx) {
  return Variadic(BinaryOp::kMax, false)(ctx, ref::MaxKernel);
}
absl::Status MinKernel(KernelContext& ctx) {
  return Variadic(BinaryOp::kMin, false)(ctx, ref::MinKernel);
}
absl::Status SumKernel(KernelContext& ctx) {
  return Variadic(BinaryOp::kAdd, false)(ctx, ref::SumKernel);
}
absl::Status MeanKernel(KernelContext& ctx) {
  return Variadic(BinaryOp::kAdd, true)(ctx, ref::MeanKernel);
}
absl::Status EqualKernel(KernelContext& ctx) {
  return Compare(CompareOp::kEqual)(ctx, ref::EqualKernel);
}
absl::Status LessKernel(KernelContext& ctx) {
  return Compare(CompareOp::kLess)(ctx, ref::LessKernel);
}
absl::Status GreaterKernel(KernelContext& ctx) {
  return Compare(CompareOp::kGreater)(ctx, ref::GreaterKernel);
}
absl::Status LessOrEqualKernel(KernelContext& ctx) {
  return Compare(CompareOp::kLessOrEqual)(ctx, ref::LessOrEqualKernel);
}
absl::Status GreaterOrEqualKernel(KernelContext& ctx) {
  return Compare(CompareOp::kGreaterOrEqual)(ctx, ref::GreaterOrEqualKernel);
}
absl::Status AndKernel(KernelContext& ctx) {
  return Logic(LogicOp::kAnd)(ctx, ref::AndKernel);
}
absl::Status OrKernel(KernelContext& ctx) {
  return Logic(LogicOp::kOr)(ctx, ref::OrKernel);
}
absl::Status XorKernel(KernelContext& ctx) {
  return Logic(LogicOp::kXor)(ctx, ref::XorKernel);
}
absl::Status WhereKernel(KernelContext& ctx) {
  return WhereGpu(ctx, ref::WhereKernel);
}

}  // namespace cuda
}  // namespace rt
}  // namespace tp
