// Element-wise CUDA kernels: grid-stride loops, one thread per output element, broadcasting by
// per-operand strides (impl_common.h). Float math in f32 with the precise libm device functions.
#include "runtime/cuda/math/elementwise_impl.h"

#include <math.h>

#include "runtime/cuda/launch.h"

namespace tp {
namespace rt {
namespace cuda {
namespace {

// Offsets of output element i into up to three operands.
__device__ inline void Offsets(const StridedShape& s, int64_t i, int64_t* o0, int64_t* o1,
                               int64_t* o2) {
  int64_t a = 0, b = 0, c = 0;
  for (int d = s.rank - 1; d >= 0; --d) {
    const int64_t idx = i % s.dims[d];
    i /= s.dims[d];
    a += idx * s.strides[0][d];
    b += idx * s.strides[1][d];
    c += idx * s.strides[2][d];
  }
  *o0 = a;
  *o1 = b;
  *o2 = c;
}

__device__ inline int64_t Count(const StridedShape& s) {
  int64_t n = 1;
  for (int d = 0; d < s.rank; ++d) n *= s.dims[d];
  return n;
}

__device__ inline float SigmoidF(float x) {
  if (x >= 0) return 1.0f / (1.0f + expf(-x));
  const float e = expf(x);
  return e / (1.0f + e);
}

__device__ inline float ApplyUnary(UnaryOp op, float x, const UnaryParams& p) {
  switch (op) {
    case UnaryOp::kSqrt: return sqrtf(x);
    case UnaryOp::kReciprocal: return 1.0f / x;
    case UnaryOp::kExp: return expf(x);
    case UnaryOp::kLog: return logf(x);
    case UnaryOp::kSin: return sinf(x);
    case UnaryOp::kCos: return cosf(x);
    case UnaryOp::kTanh: return tanhf(x);
    case UnaryOp::kSigmoid: return SigmoidF(x);
    case UnaryOp::kErf: return erff(x);
    case UnaryOp::kSoftplus: return x > 30.0f ? x : log1pf(expf(x));
    case UnaryOp::kSoftsign: return x / (1.0f + fabsf(x));
    case UnaryOp::kNeg: return -x;
    case UnaryOp::kAbs: return fabsf(x);
    case UnaryOp::kRelu: return x > 0.0f ? x : 0.0f;
    case UnaryOp::kLeakyRelu: return x >= 0.0f ? x : p.alpha * x;
    case UnaryOp::kElu: return x >= 0.0f ? x : p.alpha * expm1f(x);
    case UnaryOp::kSelu: return x > 0.0f ? p.gamma * x : p.gamma * p.alpha * expm1f(x);
    case UnaryOp::kCelu: return fmaxf(0.0f, x) + fminf(0.0f, p.alpha * expm1f(x / p.alpha));
    case UnaryOp::kHardSigmoid: return fmaxf(0.0f, fminf(1.0f, p.alpha * x + p.beta));
    case UnaryOp::kHardSwish: return x * fmaxf(0.0f, fminf(1.0f, x / 6.0f + 0.5f));
    case UnaryOp::kFloor: return floorf(x);
    case UnaryOp::kCeil: return ceilf(x);
    case UnaryOp::kClip: return x != x ? x : fminf(fmaxf(x, p.alpha), p.beta);
    case UnaryOp::kAffine: return p.alpha * x + p.beta;
    case UnaryOp::kGeluErf: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
    case UnaryOp::kGeluTanh:
      return 0.5f * x * (1.0f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
  }
  return x;
}

__global__ void UnaryKernel(UnaryOp op, const float* x, float* y, int64_t n, UnaryParams p) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{blockDim.x} * gridDim.x) {
    y[i] = ApplyUnary(op, x[i], p);
  }
}

__device__ inline float ApplyBinary(BinaryOp op, float a, float b) {
  switch (op) {
    case BinaryOp::kAdd: return a + b;
    case BinaryOp::kSub: return a - b;
    case BinaryOp::kMul: return a * b;
    case BinaryOp::kDiv: return a / b;
    case BinaryOp::kPow: return powf(a, b);
    case BinaryOp::kMax: return (a != a || b != b) ? a + b : fmaxf(a, b);
    case BinaryOp::kMin: return (a != a || b != b) ? a + b : fminf(a, b);
    case BinaryOp::kPRelu: return a >= 0.0f ? a : a * b;
  }
  return a;
}

__global__ void BinaryKernel(BinaryOp op, const float* a, const float* b, float* y,
                             StridedShape s) {
  const int64_t n = Count(s);
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{blockDim.x} * gridDim.x) {
    int64_t oa, ob, oc;
    Offsets(s, i, &oa, &ob, &oc);
    y[i] = ApplyBinary(op, a[oa], b[ob]);
  }
}

__global__ void CompareKernel(CompareOp op, const float* a, const float* b, uint8_t* y,
                              StridedShape s) {
  const int64_t n = Count(s);
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{blockDim.x} * gridDim.x) {
    int64_t oa, ob, oc;
    Offsets(s, i, &oa, &ob, &oc);
    const float x = a[oa], z = b[ob];
    bool r = false;
    switch (op) {
      case CompareOp::kEqual: r = x == z; break;
      case CompareOp::kLess: r = x < z; break;
      case CompareOp::kGreater: r = x > z; break;
      case CompareOp::kLessOrEqual: r = x <= z; break;
      case CompareOp::kGreaterOrEqual: r = x >= z; break;
    }
    y[i] = r ? 1 : 0;
  }
}

__global__ void LogicKernel(LogicOp op, const uint8_t* a, const uint8_t* b, uint8_t* y,
                            StridedShape s) {
  const int64_t n = Count(s);
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{blockDim.x} * gridDim.x) {
    int64_t oa, ob, oc;
    Offsets(s, i, &oa, &ob, &oc);
    const bool x = a[oa] != 0, z = b[ob] != 0;
    bool r = false;
    switch (op) {
      case LogicOp::kAnd: r = x && z; break;
      case LogicOp::kOr: r = x || z; break;
      case LogicOp::kXor: r = x != z; break;
    }
    y[i] = r ? 1 : 0;
  }
}

__global__ void NotKernel(const uint8_t* x, uint8_t* y, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{blockDim.x} * gridDim.x) {
    y[i] = x[i] != 0 ? 0 : 1;
  }
}

template <typename T>
__global__ void WhereKernel(const uint8_t* cond, const T* a, const T* b, T* y, StridedShape s) {
  const int64_t n = Count(s);
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{blockDim.x} * gridDim.x) {
    int64_t oc, oa, ob;
    Offsets(s, i, &oc, &oa, &ob);
    y[i] = cond[oc] != 0 ? a[oa] : b[ob];
  }
}

__global__ void IsNaNKernel(const float* x, uint8_t* y, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{blockDim.x} * gridDim.x) {
    y[i] = isnan(x[i]) ? 1 : 0;
  }
}

__global__ void IsInfKernel(const float* x, uint8_t* y, int64_t n, bool pos, bool neg) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n;
       i += int64_t{blockDim.x} * gridDim.x) {
    const float v = x[i];
    y[i] = (isinf(v) && ((pos && v > 0) || (neg && v < 0))) ? 1 : 0;
  }
}

int64_t HostCount(const StridedShape& s) {
  int64_t n = 1;
  for (int d = 0; d < s.rank; ++d) n *= s.dims[d];
  return n;
}

}  // namespace

int LaunchUnaryF32(UnaryOp op, const float* x, float* y, int64_t n, UnaryParams p) {
  if (n == 0) return 0;
  UnaryKernel<<<Blocks(n), kThreads, 0, cudaStreamPerThread>>>(op, x, y, n, p);
  return static_cast<int>(cudaGetLastError());
}

int LaunchBinaryF32(BinaryOp op, const float* a, const float* b, float* y,
                            const StridedShape& shape) {
  const int64_t n = HostCount(shape);
  if (n == 0) return 0;
  BinaryKernel<<<Blocks(n), kThreads, 0, cudaStreamPerThread>>>(op, a, b, y, shape);
  return static_cast<int>(cudaGetLastError());
}

int LaunchCompareF32(CompareOp op, const float* a, const float* b, uint8_t* y,
                             const StridedShape& shape) {
  const int64_t n = HostCount(shape);
  if (n == 0) return 0;
  CompareKernel<<<Blocks(n), kThreads, 0, cudaStreamPerThread>>>(op, a, b, y, shape);
  return static_cast<int>(cudaGetLastError());
}

int LaunchLogic(LogicOp op, const uint8_t* a, const uint8_t* b, uint8_t* y,
                        const StridedShape& shape) {
  const int64_t n = HostCount(shape);
  if (n == 0) return 0;
  LogicKernel<<<Blocks(n), kThreads, 0, cudaStreamPerThread>>>(op, a, b, y, shape);
  return static_cast<int>(cudaGetLastError());
}

int LaunchNot(const uint8_t* x, uint8_t* y, int64_t n) {
  if (n == 0) return 0;
  NotKernel<<<Blocks(n), kThreads, 0, cudaStreamPerThread>>>(x, y, n);
  return static_cast<int>(cudaGetLastError());
}

int LaunchWhere(const uint8_t* cond, const void* a, const void* b, void* y,
                        int elem_size, const StridedShape& shape) {
  const int64_t n = HostCount(shape);
  if (n == 0) return 0;
  const int blocks = Blocks(n);
  switch (elem_size) {
    case 1:
      WhereKernel<uint8_t><<<blocks, kThreads, 0, cudaStreamPerThread>>>(
          cond, static_cast<const uint8_t*>(a), static_cast<const uint8_t*>(b),
          static_cast<uint8_t*>(y), shape);
      break;
    case 2:
      WhereKernel<uint16_t><<<blocks, kThreads, 0, cudaStreamPerThread>>>(
          cond, static_cast<const uint16_t*>(a), static_cast<const uint16_t*>(b),
          static_cast<uint16_t*>(y), shape);
      break;
    case 4:
      WhereKernel<uint32_t><<<blocks, kThreads, 0, cudaStreamPerThread>>>(
          cond, static_cast<const uint32_t*>(a), static_cast<const uint32_t*>(b),
          static_cast<uint32_t*>(y), shape);
      break;
    case 8:
      WhereKernel<uint64_t><<<blocks, kThreads, 0, cudaStreamPerThread>>>(
          cond, static_cast<const uint64_t*>(a), static_cast<const uint64_t*>(b),
          static_cast<uint64_t*>(y), shape);
      break;
    default:
      return static_cast<int>(cudaErrorInvalidValue);
  }
  return static_cast<int>(cudaGetLastError());
}

int LaunchIsNaNF32(const float* x, uint8_t* y, int64_t n) {
  if (n == 0) return 0;
  IsNaNKernel<<<Blocks(n), kThreads, 0, cudaStreamPerThread>>>(x, y, n);
  return static_cast<int>(cudaGetLastError());
}

int LaunchIsInfF32(const float* x, uint8_t* y, int64_t n, bool positive, bool negative) {
  if (n == 0) return 0;
  IsInfKernel<<<Blocks(n), kThreads, 0, cudaStreamPerThread>>>(x, y, n, positive, negative);
  return static_cast<int>(cudaGetLastError());
}

}  // namespace cuda
}  // namespace rt
}  // namespace tp
