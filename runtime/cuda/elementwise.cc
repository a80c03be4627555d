// Element-wise cuda kernels: unary math and activations, broadcasting binary and variadic
// arithmetic, comparisons, logic, Where, Clip, IsNaN/IsInf. f32 on the GPU (bool for logic and
// any element type for Where); other element types (shape arithmetic on i64, f16 models) go to
// the reference kernel.
#include <cmath>
#include <limits>
#include <vector>

#include "core/status_macros.h"
#include "runtime/cuda/cuda_context.h"
#include "runtime/cuda/elementwise_impl.h"
#include "runtime/cuda/kernels.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace cuda {
namespace {

constexpr int M = 18;  // newest opset whose semantics these kernels follow

using ParamsFn = std::function<UnaryParams(const KernelContext&)>;

CudaKernelFn Unary(UnaryOp op, ParamsFn params = nullptr) {
  return [op, params](KernelContext& ctx, const KernelFn& fb) -> absl::Status {
    ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
    if (!AllF32({x})) return RunFallback(ctx, fb);
    RETURN_IF_ERROR(CudaReady(ctx));
    const UnaryParams p = params ? params(ctx) : UnaryParams{};
    ASSIGN_OR_RETURN(DeviceBuffer dx, Upload(ctx, *x));
    ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, x->nbytes()));
    RETURN_IF_ERROR(CudaCheck(ctx,
                              LaunchUnaryF32(op, dx.as<float>(), dy.as<float>(),
                                             x->num_elements(), p),
                              "unary kernel"));
    ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, DType::kF32, x->shape()));
    ctx.SetOutput(0, std::move(y));
    return absl::OkStatus();
  };
}

ParamsFn Alpha(float default_alpha) {
  return [default_alpha](const KernelContext& ctx) {
    UnaryParams p;
    p.alpha = ctx.GetFloat("alpha", default_alpha);
    return p;
  };
}

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

absl::Status NotKernel(KernelContext& ctx, const KernelFn& fb) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  if (!AllBool({x})) return RunFallback(ctx, fb);
  RETURN_IF_ERROR(CudaReady(ctx));
  ASSIGN_OR_RETURN(DeviceBuffer dx, Upload(ctx, *x));
  ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, x->num_elements()));
  RETURN_IF_ERROR(CudaCheck(
      ctx, LaunchNot(dx.as<uint8_t>(), dy.as<uint8_t>(), x->num_elements()),
      "not kernel"));
  ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, DType::kBool, x->shape()));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status WhereKernel(KernelContext& ctx, const KernelFn& fb) {
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

// Clip: attributes min/max before opset 11, optional scalar inputs from 11 on.
absl::Status ClipKernel(KernelContext& ctx, const KernelFn& fb) {
  float lo = std::numeric_limits<float>::lowest(), hi = std::numeric_limits<float>::max();
  if (ctx.opset() < 11) {
    lo = ctx.GetFloat("min", lo);
    hi = ctx.GetFloat("max", hi);
  } else {
    for (int i : {1, 2}) {
      const Tensor* t = ctx.OptionalInput(i);
      if (t == nullptr) continue;
      if (t->dtype() != DType::kF32 || t->num_elements() != 1) return RunFallback(ctx, fb);
      ASSIGN_OR_RETURN(Tensor packed, t->Contiguous());
      (i == 1 ? lo : hi) = packed.data_as<float>()[0];
    }
  }
  return Unary(UnaryOp::kClip, [lo, hi](const KernelContext&) {
    UnaryParams p;
    p.alpha = lo;
    p.beta = hi;
    return p;
  })(ctx, fb);
}

absl::Status IsNaNKernel(KernelContext& ctx, const KernelFn& fb) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  if (!AllF32({x})) return RunFallback(ctx, fb);
  RETURN_IF_ERROR(CudaReady(ctx));
  ASSIGN_OR_RETURN(DeviceBuffer dx, Upload(ctx, *x));
  ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, x->num_elements()));
  RETURN_IF_ERROR(CudaCheck(
      ctx, LaunchIsNaNF32(dx.as<float>(), dy.as<uint8_t>(), x->num_elements()),
      "isnan kernel"));
  ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, DType::kBool, x->shape()));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status IsInfKernel(KernelContext& ctx, const KernelFn& fb) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  if (!AllF32({x})) return RunFallback(ctx, fb);
  RETURN_IF_ERROR(CudaReady(ctx));
  const bool pos = ctx.GetInt("detect_positive", 1) != 0;
  const bool neg = ctx.GetInt("detect_negative", 1) != 0;
  ASSIGN_OR_RETURN(DeviceBuffer dx, Upload(ctx, *x));
  ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, x->num_elements()));
  RETURN_IF_ERROR(CudaCheck(ctx,
                            LaunchIsInfF32(dx.as<float>(), dy.as<uint8_t>(), x->num_elements(),
                                           pos, neg),
                            "isinf kernel"));
  ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, DType::kBool, x->shape()));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status GeluKernel(KernelContext& ctx, const KernelFn& fb) {
  const std::string approx = ctx.GetString("approximate", "none");
  if (approx == "none") return Unary(UnaryOp::kGeluErf)(ctx, fb);
  if (approx == "tanh") return Unary(UnaryOp::kGeluTanh)(ctx, fb);
  return RunFallback(ctx, fb);
}

}  // namespace

std::vector<CudaKernelDef> CudaElementwiseKernels() {
  using U = UnaryOp;
  std::vector<CudaKernelDef> k = {
      {"Sqrt", 1, M, Unary(U::kSqrt)},
      {"Reciprocal", 1, M, Unary(U::kReciprocal)},
      {"Exp", 1, M, Unary(U::kExp)},
      {"Log", 1, M, Unary(U::kLog)},
      {"Sin", 7, M, Unary(U::kSin)},
      {"Cos", 7, M, Unary(U::kCos)},
      {"Tanh", 1, M, Unary(U::kTanh)},
      {"Sigmoid", 1, M, Unary(U::kSigmoid)},
      {"Erf", 9, M, Unary(U::kErf)},
      {"Softplus", 1, M, Unary(U::kSoftplus)},
      {"Softsign", 1, M, Unary(U::kSoftsign)},
      {"Floor", 1, M, Unary(U::kFloor)},
      {"Ceil", 1, M, Unary(U::kCeil)},
      {"HardSwish", 14, M, Unary(U::kHardSwish)},
      {"Neg", 1, M, Unary(U::kNeg)},
      {"Abs", 1, M, Unary(U::kAbs)},
      {"Relu", 1, M, Unary(U::kRelu)},
      {"LeakyRelu", 1, M, Unary(U::kLeakyRelu, Alpha(0.01f))},
      {"Elu", 1, M, Unary(U::kElu, Alpha(1.0f))},
      {"Celu", 12, M, Unary(U::kCelu, Alpha(1.0f))},
      {"Selu", 1, M,
       Unary(U::kSelu,
             [](const KernelContext& ctx) {
               UnaryParams p;
               p.alpha = ctx.GetFloat("alpha", 1.67326319217681884765625f);
               p.gamma = ctx.GetFloat("gamma", 1.05070102214813232421875f);
               return p;
             })},
      {"HardSigmoid", 1, M,
       Unary(U::kHardSigmoid,
             [](const KernelContext& ctx) {
               UnaryParams p;
               p.alpha = ctx.GetFloat("alpha", 0.2f);
               p.beta = ctx.GetFloat("beta", 0.5f);
               return p;
             })},
      {"Gelu", 20, 20, GeluKernel},
      {"Add", 6, M, Binary(BinaryOp::kAdd)},
      {"Sub", 6, M, Binary(BinaryOp::kSub)},
      {"Mul", 6, M, Binary(BinaryOp::kMul)},
      {"Div", 6, M, Binary(BinaryOp::kDiv)},
      {"Pow", 7, M, Binary(BinaryOp::kPow)},
      {"PRelu", 6, M, Binary(BinaryOp::kPRelu)},
      {"Max", 8, M, Variadic(BinaryOp::kMax, false)},
      {"Min", 8, M, Variadic(BinaryOp::kMin, false)},
      {"Sum", 8, M, Variadic(BinaryOp::kAdd, false)},
      {"Mean", 8, M, Variadic(BinaryOp::kAdd, true)},
      {"Equal", 7, M, Compare(CompareOp::kEqual)},
      {"Less", 7, M, Compare(CompareOp::kLess)},
      {"Greater", 7, M, Compare(CompareOp::kGreater)},
      {"LessOrEqual", 12, M, Compare(CompareOp::kLessOrEqual)},
      {"GreaterOrEqual", 12, M, Compare(CompareOp::kGreaterOrEqual)},
      {"And", 7, M, Logic(LogicOp::kAnd)},
      {"Or", 7, M, Logic(LogicOp::kOr)},
      {"Xor", 7, M, Logic(LogicOp::kXor)},
      {"Not", 1, M, NotKernel},
      {"Where", 9, M, WhereKernel},
      {"Clip", 6, M, ClipKernel},
      {"IsNaN", 9, M, IsNaNKernel},
      {"IsInf", 10, M, IsInfKernel},
  };
  return k;
}

}  // namespace cuda
}  // namespace rt
}  // namespace tp
