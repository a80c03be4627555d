#include "runtime/cpu/activation.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "runtime/cpu/vector_math.h"

namespace tp {
namespace rt {
namespace cpu {
namespace {

// Clamp that keeps NaN (a NaN input stays NaN, as the unfused ops leave it).
inline float Clamp(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }

}  // namespace

void ApplyActivation(const Activation& a, float* x, int64_t n) {
  switch (a.kind) {
    case Activation::kNone:
      return;
    case Activation::kRelu:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] < 0 ? 0.0f : x[i];
      return;
    case Activation::kLeakyRelu: {
      const float alpha = a.alpha;
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] >= 0 ? x[i] : x[i] * alpha;
      return;
    }
    case Activation::kClip: {
      const float lo = a.alpha, hi = a.beta;
      for (int64_t i = 0; i < n; ++i) x[i] = Clamp(x[i], lo, hi);
      return;
    }
    case Activation::kHardSigmoid: {
      const float alpha = a.alpha, beta = a.beta;
      for (int64_t i = 0; i < n; ++i) x[i] = Clamp(alpha * x[i] + beta, 0.0f, 1.0f);
      return;
    }
    case Activation::kHardSwish:
      for (int64_t i = 0; i < n; ++i) {
        x[i] = x[i] * Clamp(x[i] * (1.0f / 6.0f) + 0.5f, 0.0f, 1.0f);
      }
      return;
    case Activation::kSigmoid:
      SigmoidArray(x, x, n);
      return;
    case Activation::kTanh:
      TanhArray(x, x, n);
      return;
    case Activation::kGeluErf: {
      float buf[256];
      for (int64_t i0 = 0; i0 < n; i0 += 256) {
        const int64_t m = std::min<int64_t>(256, n - i0);
        float* xs = x + i0;
        for (int64_t i = 0; i < m; ++i) buf[i] = xs[i] * 0.70710678118654752f;
        ErfArray(buf, buf, m);
        for (int64_t i = 0; i < m; ++i) xs[i] = 0.5f * xs[i] * (1.0f + buf[i]);
      }
      return;
    }
  }
}

}  // namespace cpu
}  // namespace rt
}  // namespace tp
