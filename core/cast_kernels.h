// Element-type conversion of packed blocks: the inner loops of Cast() and of streamed casts.
//
// f32 <-> f16 use the CPU's F16C instructions and f32 -> bf16 / q8_0 AVX2 where the CPU has them
// (checked at run time; the rest of the binary is built for baseline x86-64), with the scalar
// conversions of core/half.h as the reference and for the lanes the hardware treats differently
// (NaN payloads: hardware quiets signalling NaNs, NumPy keeps them). Results are bit-identical to
// the scalar path for every input; core:cast_kernels_test checks that over all f16 patterns and
// random, tie and edge f32 values.
//
// Example:
//   CastBlock(DType::kF32, src, n, DType::kF16, dst);   // n elements
#ifndef TENSORPORT_CORE_CAST_KERNELS_H_
#define TENSORPORT_CORE_CAST_KERNELS_H_

#include <cstdint>

#include "core/dtype.h"

namespace tp {

// Converts `n` packed little-endian elements (for q8_0 on either side, n is a multiple of 32).
// Float -> integer truncates toward zero and saturates (NumPy's astype on in-range values);
// -> bool is "!= 0"; q8_0 is quantized as ggml's quantize_row_q8_0 does (scale amax / 127,
// rounding half away from zero).
void CastBlock(DType from, const uint8_t* src, int64_t n, DType to, uint8_t* dst);

// The same through the scalar reference only (what the fast paths are tested against).
void CastBlockScalar(DType from, const uint8_t* src, int64_t n, DType to, uint8_t* dst);

// Whether CastBlock uses the F16C / AVX2 paths on this CPU.
bool CastKernelsVectorized();

}  // namespace tp

#endif  // TENSORPORT_CORE_CAST_KERNELS_H_
