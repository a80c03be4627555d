// Branch-free float32 math that compilers vectorize (no libm calls in the loop): exp after
// Cephes' expf (range reduction by ln 2, degree-5 polynomial, about 2 ulp on [-87, 88]) and erf
// after Abramowitz-Stegun 7.1.26 (absolute error below 1.5e-7). Used by the cpu backend's
// Softmax, Sigmoid, Erf and Gelu-shaped loops.
//
// Example:
//   for (int64_t i = 0; i < n; ++i) y[i] = FastExp(x[i] - max);
#ifndef TENSORPORT_RUNTIME_CPU_VECTOR_MATH_H_
#define TENSORPORT_RUNTIME_CPU_VECTOR_MATH_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace tp {
namespace rt {
namespace cpu {

inline float FastExp(float x) {
  const float in = x;
  // exp(-87.3) is the smallest normal float; below, the result flushes to 0 (true value < 1.2e-38).
  x = x < -87.33654f ? -87.33654f : x;  // (std::fmin / fmax also block vectorization)
  x = x > 88.72283f ? 88.72283f : x;
  // floor() by truncation and a correction: std::floor keeps GCC from vectorizing the loop.
  const float v = x * 1.44269504088896341f + 0.5f;
  const float tr = static_cast<float>(static_cast<int32_t>(v));
  const float fx = tr > v ? tr - 1.0f : tr;
  float r = x - fx * 0.693359375f;
  r = r - fx * -2.12194440e-4f;
  const float z = r * r;
  float y = 1.9875691500e-4f;
  y = y * r + 1.3981999507e-3f;
  y = y * r + 8.3334519073e-3f;
  y = y * r + 4.1665795894e-2f;
  y = y * r + 1.6666665459e-1f;
  y = y * r + 5.0000001201e-1f;
  y = y * z + r + 1.0f;
  // 2^fx through the exponent bits; fx in [-126, 128] after the clamp (128 only at the top edge,
  // handled by splitting the power in two).
  // A NaN input reaches here as a NaN fx; converting that to int is undefined, so use 0 (the
  // result is replaced by the NaN below). Shifts are done unsigned for the same reason.
  const int32_t n = static_cast<int32_t>(fx == fx ? fx : 0.0f);
  const int32_t n1 = n >> 1, n2 = n - n1;
  const uint32_t b1 = static_cast<uint32_t>(n1 + 127) << 23;
  const uint32_t b2 = static_cast<uint32_t>(n2 + 127) << 23;
  const float s1 = __builtin_bit_cast(float, b1);
  const float s2 = __builtin_bit_cast(float, b2);
  return in != in ? in : y * s1 * s2;  // NaN stays NaN (fmin/fmax above would drop it)
}

// Max and sum of n floats with 16 independent lanes, so the loops vectorize without
// -ffast-math (which would also license the compiler to drop NaN and inf handling elsewhere).
inline float MaxOf(const float* x, int64_t n) {
  float lanes[16];
  for (int j = 0; j < 16; ++j) lanes[j] = -INFINITY;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    for (int j = 0; j < 16; ++j) lanes[j] = lanes[j] > x[i + j] ? lanes[j] : x[i + j];
  }
  float m = -INFINITY;
  for (int j = 0; j < 16; ++j) m = m > lanes[j] ? m : lanes[j];
  for (; i < n; ++i) m = m > x[i] ? m : x[i];
  return m;
}

inline double SumOf(const float* x, int64_t n) {
  float lanes[16] = {};
  double total = 0;
  int64_t i = 0;
  // Float lanes, flushed to double every 1024 values to keep long rows accurate.
  while (i + 16 <= n) {
    const int64_t end = std::min<int64_t>(n - (n - i) % 16, i + 1024);
    for (; i < end; i += 16) {
      for (int j = 0; j < 16; ++j) lanes[j] += x[i + j];
    }
    for (int j = 0; j < 16; ++j) {
      total += lanes[j];
      lanes[j] = 0;
    }
  }
  for (; i < n; ++i) total += x[i];
  return total;
}

inline float FastSigmoid(float x) { return 1.0f / (1.0f + FastExp(-x)); }

inline float FastErf(float x) {
  const float a = std::fabs(x);
  const float t = 1.0f / (1.0f + 0.3275911f * a);
  float p = 1.061405429f;
  p = p * t - 1.453152027f;
  p = p * t + 1.421413741f;
  p = p * t - 0.284496736f;
  p = p * t + 0.254829592f;
  const float e = 1.0f - p * t * FastExp(-a * a);
  return std::copysign(e, x);
}

// Array forms, 8 lanes at a time with AVX2 + FMA (GCC leaves the scalar forms' loops scalar:
// their selects count as control flow). Same polynomials; 2^n built in the exponent bits in two
// halves (n reaches 128 at the top of the clamp), NaN passed through.
#if defined(__AVX2__) && defined(__FMA__)
inline __m256 Exp8(__m256 x) {
  const __m256 in = x;
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.33654f)), _mm256_set1_ps(88.72283f));
  const __m256 fx = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), r);
  const __m256 z = _mm256_mul_ps(r, r);
  __m256 y = _mm256_set1_ps(1.9875691500e-4f);
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.3981999507e-3f));
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(8.3334519073e-3f));
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(4.1665795894e-2f));
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(1.6666665459e-1f));
  y = _mm256_fmadd_ps(y, r, _mm256_set1_ps(5.0000001201e-1f));
  y = _mm256_add_ps(_mm256_fmadd_ps(y, z, r), _mm256_set1_ps(1.0f));
  // NaN lanes of fx convert to INT_MIN; their result is replaced below.
  const __m256i n = _mm256_cvtps_epi32(fx);
  const __m256i n1 = _mm256_srai_epi32(n, 1);
  const __m256i n2 = _mm256_sub_epi32(n, n1);
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
  const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
  y = _mm256_mul_ps(_mm256_mul_ps(y, s1), s2);
  const __m256 nan = _mm256_cmp_ps(in, in, _CMP_UNORD_Q);
  return _mm256_blendv_ps(y, in, nan);
}
#endif

// y[i] = exp(x[i] - shift)
inline void ExpArray(const float* x, float shift, float* y, int64_t n) {
  int64_t i = 0;
#if defined(__AVX2__) && defined(__FMA__)
  const __m256 s = _mm256_set1_ps(shift);
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(y + i, Exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), s)));
  }
#endif
  for (; i < n; ++i) y[i] = FastExp(x[i] - shift);
}

inline void SigmoidArray(const float* x, float* y, int64_t n) {
  int64_t i = 0;
#if defined(__AVX2__) && defined(__FMA__)
  const __m256 one = _mm256_set1_ps(1.0f);
  for (; i + 8 <= n; i += 8) {
    const __m256 e = Exp8(_mm256_sub_ps(_mm256_setzero_ps(), _mm256_loadu_ps(x + i)));
    _mm256_storeu_ps(y + i, _mm256_div_ps(one, _mm256_add_ps(one, e)));
  }
#endif
  for (; i < n; ++i) y[i] = FastSigmoid(x[i]);
}

inline void ErfArray(const float* x, float* y, int64_t n) {
  int64_t i = 0;
#if defined(__AVX2__) && defined(__FMA__)
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 sign_bit = _mm256_set1_ps(-0.0f);
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const __m256 a = _mm256_andnot_ps(sign_bit, v);
    const __m256 t = _mm256_div_ps(one, _mm256_fmadd_ps(_mm256_set1_ps(0.3275911f), a, one));
    __m256 p = _mm256_set1_ps(1.061405429f);
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.453152027f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.421413741f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.284496736f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.254829592f));
    const __m256 e = Exp8(_mm256_sub_ps(_mm256_setzero_ps(), _mm256_mul_ps(a, a)));
    const __m256 r = _mm256_fnmadd_ps(_mm256_mul_ps(p, t), e, one);
    _mm256_storeu_ps(y + i, _mm256_or_ps(r, _mm256_and_ps(sign_bit, v)));
  }
#endif
  for (; i < n; ++i) y[i] = FastErf(x[i]);
}

// tanh: the odd Taylor series through x^13 for |x| < 0.5 (relative error below 1e-7 there), else
// 1 - 2 / (exp(2|x|) + 1) with the sign put back (no cancellation once |tanh| > 0.46).
inline float FastTanh(float x) {
  const float a = std::fabs(x);
  if (a < 0.5f) {
    const float z = x * x;
    float p = 21844.0f / 6081075.0f;
    p = p * z - 1382.0f / 155925.0f;
    p = p * z + 62.0f / 2835.0f;
    p = p * z - 17.0f / 315.0f;
    p = p * z + 2.0f / 15.0f;
    p = p * z - 1.0f / 3.0f;
    return x + x * z * p;
  }
  const float t = 1.0f - 2.0f / (FastExp(2.0f * std::fmin(a, 20.0f)) + 1.0f);
  return std::copysign(t, x);
}

inline void TanhArray(const float* x, float* y, int64_t n) {
  int64_t i = 0;
#if defined(__AVX2__) && defined(__FMA__)
  const __m256 one = _mm256_set1_ps(1.0f), two = _mm256_set1_ps(2.0f);
  const __m256 sign_bit = _mm256_set1_ps(-0.0f);
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const __m256 a = _mm256_andnot_ps(sign_bit, v);
    const __m256 z = _mm256_mul_ps(v, v);
    __m256 p = _mm256_set1_ps(21844.0f / 6081075.0f);
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-1382.0f / 155925.0f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(62.0f / 2835.0f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-17.0f / 315.0f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(2.0f / 15.0f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-1.0f / 3.0f));
    const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(v, z), p, v);
    const __m256 e = Exp8(_mm256_mul_ps(two, _mm256_min_ps(a, _mm256_set1_ps(20.0f))));
    const __m256 big = _mm256_sub_ps(one, _mm256_div_ps(two, _mm256_add_ps(e, one)));
    const __m256 big_signed = _mm256_or_ps(big, _mm256_and_ps(sign_bit, v));
    __m256 r = _mm256_blendv_ps(big_signed, small,
                                _mm256_cmp_ps(a, _mm256_set1_ps(0.5f), _CMP_LT_OQ));
    // NaN: the comparison is false and min() dropped it; put it back.
    r = _mm256_blendv_ps(r, v, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    _mm256_storeu_ps(y + i, r);
  }
#endif
  for (; i < n; ++i) y[i] = x[i] != x[i] ? x[i] : FastTanh(x[i]);
}

}  // namespace cpu
}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_CPU_VECTOR_MATH_H_
