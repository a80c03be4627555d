#include "core/cast_kernels.h"

#include <cpuid.h>
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "core/half.h"
#include "core/tensor.h"

namespace tp {
namespace {

template <typename Int>
Int SaturatingFromDouble(double v) {
  if (std::isnan(v)) return 0;
  if (v <= static_cast<double>(std::numeric_limits<Int>::min())) {
    return std::numeric_limits<Int>::min();
  }
  if (v >= static_cast<double>(std::numeric_limits<Int>::max())) {
    return std::numeric_limits<Int>::max();
  }
  return static_cast<Int>(v);  // truncates toward zero
}

void QuantizeQ8_0Scalar(const float* src, int64_t count, uint8_t* dst) {
  for (int64_t b = 0; b < count / kQ8_0BlockSize; ++b) {
    const float* x = src + b * kQ8_0BlockSize;
    float amax = 0.0f;
    for (int64_t i = 0; i < kQ8_0BlockSize; ++i) amax = std::max(amax, std::fabs(x[i]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    uint8_t* block = dst + b * kQ8_0BlockBytes;
    const uint16_t scale_bits = F32ToF16Bits(d);
    std::memcpy(block, &scale_bits, 2);
    int8_t* q = reinterpret_cast<int8_t*>(block + 2);
    for (int64_t i = 0; i < kQ8_0BlockSize; ++i) {
      q[i] = static_cast<int8_t>(std::lround(x[i] * id));
    }
  }
}

// Encodes doubles (exact for f64 and the integer targets) into `to`.
void EncodeFromDouble(const double* src, int64_t count, DType to, uint8_t* dst) {
  switch (to) {
    case DType::kF32: {
      float* p = reinterpret_cast<float*>(dst);
      for (int64_t i = 0; i < count; ++i) p[i] = static_cast<float>(src[i]);
      break;
    }
    case DType::kF16: {
      uint16_t* p = reinterpret_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < count; ++i) p[i] = F32ToF16Bits(static_cast<float>(src[i]));
      break;
    }
    case DType::kBF16: {
      uint16_t* p = reinterpret_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < count; ++i) p[i] = F32ToBF16Bits(static_cast<float>(src[i]));
      break;
    }
    case DType::kF64:
      std::memcpy(dst, src, count * sizeof(double));
      break;
    case DType::kI8: {
      int8_t* p = reinterpret_cast<int8_t*>(dst);
      for (int64_t i = 0; i < count; ++i) p[i] = SaturatingFromDouble<int8_t>(src[i]);
      break;
    }
    case DType::kI16: {
      int16_t* p = reinterpret_cast<int16_t*>(dst);
      for (int64_t i = 0; i < count; ++i) p[i] = SaturatingFromDouble<int16_t>(src[i]);
      break;
    }
    case DType::kI32: {
      int32_t* p = reinterpret_cast<int32_t*>(dst);
      for (int64_t i = 0; i < count; ++i) p[i] = SaturatingFromDouble<int32_t>(src[i]);
      break;
    }
    case DType::kI64: {
      int64_t* p = reinterpret_cast<int64_t*>(dst);
      for (int64_t i = 0; i < count; ++i) p[i] = SaturatingFromDouble<int64_t>(src[i]);
      break;
    }
    case DType::kU8:
      for (int64_t i = 0; i < count; ++i) dst[i] = SaturatingFromDouble<uint8_t>(src[i]);
      break;
    case DType::kBool:
      for (int64_t i = 0; i < count; ++i) dst[i] = src[i] != 0.0 ? 1 : 0;
      break;
    case DType::kU16: {
      uint16_t* p = reinterpret_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < count; ++i) p[i] = SaturatingFromDouble<uint16_t>(src[i]);
      break;
    }
    case DType::kU32: {
      uint32_t* p = reinterpret_cast<uint32_t*>(dst);
      for (int64_t i = 0; i < count; ++i) p[i] = SaturatingFromDouble<uint32_t>(src[i]);
      break;
    }
    case DType::kU64: {
      uint64_t* p = reinterpret_cast<uint64_t*>(dst);
      for (int64_t i = 0; i < count; ++i) p[i] = SaturatingFromDouble<uint64_t>(src[i]);
      break;
    }
    case DType::kQ8_0: {
      std::vector<float> tmp(src, src + count);
      QuantizeQ8_0Scalar(tmp.data(), count, dst);
      break;
    }
  }
}

int64_t BytesOf(DType dtype, int64_t count) {
  if (dtype == DType::kQ8_0) return count / kQ8_0BlockSize * kQ8_0BlockBytes;
  return count * ElementSize(dtype);
}

// ---------------------------------------------------------------------------------------------
// Vector paths. Compiled for F16C / AVX2 by attribute and called only when the CPU has them.

__attribute__((target("avx2,f16c"))) void F32ToF16F16c(const float* src, int64_t n,
                                                        uint16_t* dst) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(src + i);
    const __m128i h = _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), h);
    // NaN lanes: the hardware quiets signalling NaNs; keep the payload as the scalar path does.
    if (_mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q)) != 0) {
      for (int j = 0; j < 8; ++j) dst[i + j] = F32ToF16Bits(src[i + j]);
    }
  }
  for (; i < n; ++i) dst[i] = F32ToF16Bits(src[i]);
}

__attribute__((target("avx2,f16c"))) void F16ToF32F16c(const uint16_t* src, int64_t n,
                                                        float* dst) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(h));
    // Exponent all ones with a payload (NaN): widen by bits, never quieted.
    const __m128i exp = _mm_and_si128(h, _mm_set1_epi16(0x7c00));
    const __m128i is_special = _mm_cmpeq_epi16(exp, _mm_set1_epi16(0x7c00));
    if (_mm_movemask_epi8(is_special) != 0) {
      for (int j = 0; j < 8; ++j) dst[i + j] = F16BitsToF32(src[i + j]);
    }
  }
  for (; i < n; ++i) dst[i] = F16BitsToF32(src[i]);
}

__attribute__((target("avx2"))) void F32ToBF16Avx2(const float* src, int64_t n, uint16_t* dst) {
  int64_t i = 0;
  const __m256i abs_mask = _mm256_set1_epi32(0x7fffffff);
  const __m256i inf = _mm256_set1_epi32(0x7f800000);
  const __m256i round = _mm256_set1_epi32(0x7fff);
  const __m256i one = _mm256_set1_epi32(1);
  const __m256i quiet = _mm256_set1_epi32(0x0040);
  for (; i + 16 <= n; i += 16) {
    __m256i out[2];
    for (int half = 0; half < 2; ++half) {
      const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i + 8 * half));
      const __m256i hi = _mm256_srli_epi32(x, 16);
      const __m256i rounded =
          _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(x, round),
                                             _mm256_and_si256(hi, one)), 16);
      const __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(x, abs_mask), inf);
      out[half] = _mm256_blendv_epi8(rounded, _mm256_or_si256(hi, quiet), nan);
    }
    // Pack the 16 low halves (values < 2^16) to u16, restoring lane order after packus.
    const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(out[0], out[1]), 0xd8);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), packed);
  }
  for (; i < n; ++i) dst[i] = F32ToBF16Bits(src[i]);
}

__attribute__((target("avx2,f16c"))) void QuantizeQ8_0Avx2(const float* src, int64_t count,
                                                            uint8_t* dst) {
  const __m256 sign_mask = _mm256_set1_ps(-0.0f);
  const __m256 half = _mm256_set1_ps(0.5f);
  const __m256 one = _mm256_set1_ps(1.0f);
  for (int64_t b = 0; b < count / kQ8_0BlockSize; ++b) {
    const float* x = src + b * kQ8_0BlockSize;
    __m256 v[4];
    __m256 amax = _mm256_setzero_ps();
    for (int k = 0; k < 4; ++k) {
      v[k] = _mm256_loadu_ps(x + 8 * k);
      // max(amax, |v|) with amax first: a NaN lane leaves amax as it was, like std::max.
      amax = _mm256_max_ps(_mm256_andnot_ps(sign_mask, v[k]), amax);
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, amax);
    float m = 0.0f;
    for (int k = 0; k < 8; ++k) m = std::max(m, lanes[k]);
    // Blocks holding NaN or Inf take the scalar path (its lround of NaN/Inf is what ggml gets).
    int nan_lanes = 0;
    for (int k = 0; k < 4; ++k) nan_lanes |= _mm256_movemask_ps(_mm256_cmp_ps(v[k], v[k], _CMP_UNORD_Q));
    if (!std::isfinite(m) || nan_lanes != 0) {
      QuantizeQ8_0Scalar(x, kQ8_0BlockSize, dst + b * kQ8_0BlockBytes);
      continue;
    }
    const float d = m / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    uint8_t* block = dst + b * kQ8_0BlockBytes;
    const uint16_t scale_bits = F32ToF16Bits(d);
    std::memcpy(block, &scale_bits, 2);
    int8_t* q = reinterpret_cast<int8_t*>(block + 2);
    const __m256 idv = _mm256_set1_ps(id);
    for (int k = 0; k < 4; ++k) {
      // Round half away from zero exactly (lround): y - trunc(y) is exact in float.
      const __m256 y = _mm256_mul_ps(v[k], idv);
      const __m256 t = _mm256_round_ps(y, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
      const __m256 frac = _mm256_andnot_ps(sign_mask, _mm256_sub_ps(y, t));
      const __m256 up = _mm256_and_ps(_mm256_cmp_ps(frac, half, _CMP_GE_OQ),
                                      _mm256_or_ps(one, _mm256_and_ps(sign_mask, y)));
      const __m256i r = _mm256_cvttps_epi32(_mm256_add_ps(t, up));
      int32_t ints[8];
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(ints), r);
      for (int j = 0; j < 8; ++j) q[8 * k + j] = static_cast<int8_t>(ints[j]);
    }
  }
}

bool HasF16c() {
  // F16C is CPUID leaf 1, ECX bit 29 (clang's __builtin_cpu_supports does not know "f16c");
  // "avx2" also covers the OS saving the YMM registers.
  static const bool has = [] {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
    return __builtin_cpu_supports("avx2") && (ecx & (1u << 29)) != 0;
  }();
  return has;
}

}  // namespace

bool CastKernelsVectorized() { return HasF16c(); }

void CastBlockScalar(DType from, const uint8_t* src, int64_t n, DType to, uint8_t* dst) {
  if (from == to) {
    std::memcpy(dst, src, static_cast<size_t>(BytesOf(from, n)));
    return;
  }
  constexpr int64_t kChunk = 1 << 12;  // a multiple of the q8_0 block
  double buffer[kChunk];
  for (int64_t start = 0; start < n; start += kChunk) {
    const int64_t count = std::min(kChunk, n - start);
    DecodeToDouble(from, src + BytesOf(from, start), count, buffer);
    EncodeFromDouble(buffer, count, to, dst + BytesOf(to, start));
  }
}

void CastBlock(DType from, const uint8_t* src, int64_t n, DType to, uint8_t* dst) {
  if (from == to) {
    std::memcpy(dst, src, static_cast<size_t>(BytesOf(from, n)));
    return;
  }
  if (HasF16c() && from == DType::kF32) {
    const float* f = reinterpret_cast<const float*>(src);
    switch (to) {
      case DType::kF16: return F32ToF16F16c(f, n, reinterpret_cast<uint16_t*>(dst));
      case DType::kBF16: return F32ToBF16Avx2(f, n, reinterpret_cast<uint16_t*>(dst));
      case DType::kQ8_0: return QuantizeQ8_0Avx2(f, n, dst);
      default: break;
    }
  }
  if (HasF16c() && from == DType::kF16 && to == DType::kF32) {
    return F16ToF32F16c(reinterpret_cast<const uint16_t*>(src), n, reinterpret_cast<float*>(dst));
  }
  if (from == DType::kBF16 && to == DType::kF32) {
    const uint16_t* b = reinterpret_cast<const uint16_t*>(src);
    float* f = reinterpret_cast<float*>(dst);
    for (int64_t i = 0; i < n; ++i) f[i] = BF16BitsToF32(b[i]);
    return;
  }
  CastBlockScalar(from, src, n, to, dst);
}

}  // namespace tp
