#include "runtime/cpu/tensor/copy.h"

#include <cstring>

#include "runtime/cpu/thread_pool.h"

namespace tp {
namespace rt {
namespace cpu {
namespace {

// Copies the innermost run of n elements.
inline void Run(const uint8_t* src, int64_t ss, uint8_t* dst, int64_t ds, int64_t n, int elem) {
  if (ss == 1 && ds == 1) {
    std::memcpy(dst, src, n * elem);
    return;
  }
  if (ss == 0 && ds == 1) {
    FillElements(dst, n, src, elem);
    return;
  }
  switch (elem) {
    case 4: {
      const uint32_t* s = reinterpret_cast<const uint32_t*>(src);
      uint32_t* d = reinterpret_cast<uint32_t*>(dst);
      for (int64_t i = 0; i < n; ++i) d[i * ds] = s[i * ss];
      return;
    }
    case 8: {
      const uint64_t* s = reinterpret_cast<const uint64_t*>(src);
      uint64_t* d = reinterpret_cast<uint64_t*>(dst);
      for (int64_t i = 0; i < n; ++i) d[i * ds] = s[i * ss];
      return;
    }
    case 2: {
      const uint16_t* s = reinterpret_cast<const uint16_t*>(src);
      uint16_t* d = reinterpret_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) d[i * ds] = s[i * ss];
      return;
    }
    default:
      for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * ds * elem, src + i * ss * elem, elem);
  }
}

}  // namespace

void FillElements(uint8_t* dst, int64_t n, const uint8_t* value, int elem) {
  if (n <= 0) return;
  switch (elem) {
    case 1:
      std::memset(dst, *value, n);
      return;
    case 4: {
      uint32_t v;
      std::memcpy(&v, value, 4);
      uint32_t* d = reinterpret_cast<uint32_t*>(dst);
      for (int64_t i = 0; i < n; ++i) d[i] = v;
      return;
    }
    case 8: {
      uint64_t v;
      std::memcpy(&v, value, 8);
      uint64_t* d = reinterpret_cast<uint64_t*>(dst);
      for (int64_t i = 0; i < n; ++i) d[i] = v;
      return;
    }
    default:
      for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * elem, value, elem);
  }
}

int CopyElementSize(DType t) { return IsQuantized(t) ? 0 : ElementSize(t); }

void CopyBox(const uint8_t* src, std::vector<int64_t> ss, uint8_t* dst, std::vector<int64_t> ds,
             Shape shape, int elem, int threads) {
  int64_t total = 1;
  for (int64_t d : shape) total *= d;
  if (total <= 0) return;
  // Drop size-1 dims, then merge a dim into the next inner one when both strides chain.
  std::vector<int64_t> s2, d2, n2;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1) continue;
    if (!n2.empty() && s2.back() == ss[i] * shape[i] && d2.back() == ds[i] * shape[i]) {
      n2.back() *= shape[i];
      s2.back() = ss[i];
      d2.back() = ds[i];
      continue;
    }
    n2.push_back(shape[i]);
    s2.push_back(ss[i]);
    d2.push_back(ds[i]);
  }
  if (n2.empty()) {
    std::memcpy(dst, src, elem);
    return;
  }
  const int rank = static_cast<int>(n2.size());
  const int64_t inner = n2[rank - 1], rows = total / inner;
  const int t = total * elem >= (int64_t{1} << 20) ? threads : 1;
  ParallelFor(t, rows, [&](int64_t r0, int64_t r1) {
    std::vector<int64_t> pos(rank, 0);
    int64_t rest = r0, so = 0, dof = 0;
    for (int d = rank - 2; d >= 0; --d) {
      pos[d] = rest % n2[d];
      rest /= n2[d];
      so += pos[d] * s2[d];
      dof += pos[d] * d2[d];
    }
    for (int64_t r = r0; r < r1; ++r) {
      Run(src + so * elem, s2[rank - 1], dst + dof * elem, d2[rank - 1], inner, elem);
      for (int d = rank - 2; d >= 0; --d) {
        if (++pos[d] < n2[d]) {
          so += s2[d];
          dof += d2[d];
          break;
        }
        so -= s2[d] * (n2[d] - 1);
        dof -= d2[d] * (n2[d] - 1);
        pos[d] = 0;
      }
    }
  });
}

}  // namespace cpu
}  // namespace rt
}  // namespace tp
