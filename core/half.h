// IEEE binary16 (f16) and bfloat16 conversions to and from f32.
//
// Narrowing rounds to nearest, ties to even. Infinities and signed zeros are kept; subnormals are
// produced and read exactly; NaN stays NaN with its sign and the top payload bits (f16 keeps the
// top ten, as NumPy does; a payload that would vanish becomes the smallest non-zero one so the
// value stays NaN). Widening is exact.
//
// Example:
//   uint16_t h = F32ToF16Bits(1.0f / 3.0f);   // 0x3555
//   float back = F16BitsToF32(h);             // 0.333251953125
#ifndef TENSORPORT_CORE_HALF_H_
#define TENSORPORT_CORE_HALF_H_

#include <cstdint>
#include <cstring>

namespace tp {

inline uint32_t F32Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return u;
}

inline float F32FromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

inline float F16BitsToF32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  const uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24 is exact in f32.
    const float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-08f;
    return F32FromBits(sign | F32Bits(magnitude));
  }
  if (exponent == 31) return F32FromBits(sign | 0x7f800000u | (mantissa << 13));
  return F32FromBits(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

inline uint16_t F32ToF16Bits(float f) {
  const uint32_t x = F32Bits(f);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t a = x & 0x7fffffffu;
  if (a > 0x7f800000u) {  // NaN
    uint16_t payload = static_cast<uint16_t>((a >> 13) & 0x3ffu);
    if (payload == 0) payload = 1;
    return sign | 0x7c00u | payload;
  }
  if (a >= 0x38800000u) {  // at least the smallest normal f16 (2^-14), or Inf
    if (a == 0x7f800000u) return sign | 0x7c00u;
    // Re-bias the exponent from 127 to 15 in place, then round away the low 13 mantissa bits;
    // a carry out of the mantissa correctly bumps the exponent (up to Inf).
    uint32_t r = a - (112u << 23);
    r += 0xfffu + ((r >> 13) & 1u);
    r >>= 13;
    if (r >= 0x7c00u) return sign | 0x7c00u;
    return sign | static_cast<uint16_t>(r);
  }
  // Subnormal f16 range: count units of 2^-24. Up to 2^-25 (a tie with zero) rounds to zero.
  if (a <= 0x33000000u) return sign;
  const uint32_t exponent = a >> 23;
  const uint32_t mantissa = (a & 0x7fffffu) | 0x800000u;
  const uint32_t shift = 126u - exponent;  // 14..24
  uint32_t q = mantissa >> shift;
  const uint32_t rest = mantissa & ((1u << shift) - 1u);
  const uint32_t half = 1u << (shift - 1u);
  if (rest > half || (rest == half && (q & 1u))) ++q;
  return sign | static_cast<uint16_t>(q);
}

inline float BF16BitsToF32(uint16_t b) { return F32FromBits(static_cast<uint32_t>(b) << 16); }

inline uint16_t F32ToBF16Bits(float f) {
  const uint32_t x = F32Bits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) {
    // NaN: keep sign and top payload bits, force the quiet bit so truncation cannot make it Inf.
    return static_cast<uint16_t>((x >> 16) | 0x0040u);
  }
  const uint32_t rounded = x + 0x7fffu + ((x >> 16) & 1u);
  return static_cast<uint16_t>(rounded >> 16);
}

}  // namespace tp

#endif  // TENSORPORT_CORE_HALF_H_
