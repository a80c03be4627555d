// Internal: launchers of the element-wise CUDA kernels (elementwise_impl.cu). All pointers are
// device pointers; every launcher queues work on the per-thread stream and returns the launch
// error (a cudaError_t value, 0 on success).
//
// Example:
//   int e = LaunchUnaryF32(UnaryOp::kRelu, x, y, n, UnaryParams{});
#ifndef TENSORPORT_RUNTIME_CUDA_MATH_ELEMENTWISE_IMPL_H_
#define TENSORPORT_RUNTIME_CUDA_MATH_ELEMENTWISE_IMPL_H_

#include <cstdint>

#include "runtime/cuda/impl_common.h"

namespace tp {
namespace rt {
namespace cuda {

enum class UnaryOp : int {
  kSqrt, kReciprocal, kExp, kLog, kSin, kCos, kTanh, kSigmoid, kErf, kSoftplus, kSoftsign,
  kNeg, kAbs, kRelu, kLeakyRelu, kElu, kSelu, kCelu, kHardSigmoid, kHardSwish, kFloor, kCeil,
  kClip, kAffine, kGeluErf, kGeluTanh
};

// alpha / beta / gamma are the op's attributes: LeakyRelu/Elu/Celu alpha; Selu alpha, gamma;
// HardSigmoid alpha, beta; Clip min (alpha), max (beta); Affine alpha * x + beta.
struct UnaryParams {
  float alpha = 0, beta = 0, gamma = 0;
};

enum class BinaryOp : int { kAdd, kSub, kMul, kDiv, kPow, kMax, kMin, kPRelu };
enum class CompareOp : int { kEqual, kLess, kGreater, kLessOrEqual, kGreaterOrEqual };
enum class LogicOp : int { kAnd, kOr, kXor };

int LaunchUnaryF32(UnaryOp op, const float* x, float* y, int64_t n, UnaryParams p);
// y = a op b over shape.dims, a at strides[0], b at strides[1] (y is packed).
int LaunchBinaryF32(BinaryOp op, const float* a, const float* b, float* y,
                            const StridedShape& shape);
// Bool (one byte per element) result.
int LaunchCompareF32(CompareOp op, const float* a, const float* b, uint8_t* y,
                             const StridedShape& shape);
int LaunchLogic(LogicOp op, const uint8_t* a, const uint8_t* b, uint8_t* y,
                        const StridedShape& shape);
int LaunchNot(const uint8_t* x, uint8_t* y, int64_t n);
// y = cond ? a : b; cond at strides[0], a at strides[1], b at strides[2]; any element size in
// {1, 2, 4, 8} bytes.
int LaunchWhere(const uint8_t* cond, const void* a, const void* b, void* y,
                        int elem_size, const StridedShape& shape);
// NaN / Inf tests (detect_positive / detect_negative for IsInf).
int LaunchIsNaNF32(const float* x, uint8_t* y, int64_t n);
int LaunchIsInfF32(const float* x, uint8_t* y, int64_t n, bool positive, bool negative);

}  // namespace cuda
}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_CUDA_MATH_ELEMENTWISE_IMPL_H_
