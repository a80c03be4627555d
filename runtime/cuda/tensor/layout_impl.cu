// Data-movement CUDA kernels: one thread per output element, element types by size.
#include "runtime/cuda/tensor/layout_impl.h"

#include <cuda_runtime.h>

#include "runtime/cuda/launch.h"

namespace tp {
namespace rt {
namespace cuda {
namespace {

template <typename T>
__global__ void StridedCopyKernel(const T* x, int64_t x_base, T* y, int64_t y_base,
                                  StridedShape s, int64_t n) {
  TP_GRID_LOOP(i, n) {
    int64_t rest = i, xo = x_base, yo = y_base;
    for (int d = s.rank - 1; d >= 0; --d) {
      const int64_t idx = rest % s.dims[d];
      rest /= s.dims[d];
      xo += idx * s.strides[0][d];
      yo += idx * s.strides[1][d];
    }
    y[yo] = x[xo];
  }
}

template <typename T>
__global__ void GatherKernel(const T* x, const int64_t* indices, T* y, int64_t axis,
                             int64_t count, int64_t inner, int64_t n) {
  TP_GRID_LOOP(i, n) {
    const int64_t in = i % inner;
    const int64_t j = (i / inner) % count;
    const int64_t o = i / (inner * count);
    y[i] = x[(o * axis + indices[j]) * inner + in];
  }
}

template <typename T>
__global__ void PadKernel(const T* x, T* y, PadGeometry g, PadMode mode, T value, int64_t n) {
  TP_GRID_LOOP(i, n) {
    int64_t rest = i, src = 0, stride = 1;
    bool inside = true;
    for (int d = g.rank - 1; d >= 0; --d) {
      const int64_t o = rest % g.out_dims[d];
      rest /= g.out_dims[d];
      int64_t k = o - g.pads_begin[d];
      const int64_t len = g.in_dims[d];
      if (k < 0 || k >= len) {
        if (mode == PadMode::kConstant) {
          inside = false;
        } else if (mode == PadMode::kEdge) {
          k = k < 0 ? 0 : len - 1;
        } else {  // reflect (the host checks pads < len)
          if (len == 1) {
            k = 0;
          } else {
            const int64_t period = 2 * (len - 1);
            k = k % period;
            if (k < 0) k += period;
            if (k >= len) k = period - k;
          }
        }
      }
      src += k * stride;
      stride *= len;
    }
    y[i] = inside ? x[src] : value;
  }
}

int64_t Count(const int64_t* dims, int rank) {
  int64_t n = 1;
  for (int d = 0; d < rank; ++d) n *= dims[d];
  return n;
}

template <typename T>
int StridedCopyT(const void* x, int64_t xb, void* y, int64_t yb, const StridedShape& s) {
  const int64_t n = Count(s.dims, s.rank);
  if (n == 0) return 0;
  StridedCopyKernel<T><<<Blocks(n), kThreads, 0, cudaStreamPerThread>>>(
      static_cast<const T*>(x), xb, static_cast<T*>(y), yb, s, n);
  return static_cast<int>(cudaGetLastError());
}

template <typename T>
int GatherT(const void* x, const int64_t* idx, void* y, int64_t outer, int64_t axis,
            int64_t count, int64_t inner) {
  const int64_t n = outer * count * inner;
  if (n == 0) return 0;
  GatherKernel<T><<<Blocks(n), kThreads, 0, cudaStreamPerThread>>>(
      static_cast<const T*>(x), idx, static_cast<T*>(y), axis, count, inner, n);
  return static_cast<int>(cudaGetLastError());
}

template <typename T>
int PadT(const void* x, void* y, const PadGeometry& g, PadMode mode, uint64_t bits) {
  const int64_t n = Count(g.out_dims, g.rank);
  if (n == 0) return 0;
  T value;
  memcpy(&value, &bits, sizeof(T));
  PadKernel<T><<<Blocks(n), kThreads, 0, cudaStreamPerThread>>>(
      static_cast<const T*>(x), static_cast<T*>(y), g, mode, value, n);
  return static_cast<int>(cudaGetLastError());
}

}  // namespace

int LaunchStridedCopy(const void* x, int64_t x_base, void* y, int64_t y_base, int elem_size,
                      const StridedShape& s) {
  switch (elem_size) {
    case 1: return StridedCopyT<uint8_t>(x, x_base, y, y_base, s);
    case 2: return StridedCopyT<uint16_t>(x, x_base, y, y_base, s);
    case 4: return StridedCopyT<uint32_t>(x, x_base, y, y_base, s);
    case 8: return StridedCopyT<uint64_t>(x, x_base, y, y_base, s);
  }
  return static_cast<int>(cudaErrorInvalidValue);
}

int LaunchGather(const void* x, const int64_t* indices, void* y, int elem_size, int64_t outer,
                 int64_t axis, int64_t count, int64_t inner) {
  switch (elem_size) {
    case 1: return GatherT<uint8_t>(x, indices, y, outer, axis, count, inner);
    case 2: return GatherT<uint16_t>(x, indices, y, outer, axis, count, inner);
    case 4: return GatherT<uint32_t>(x, indices, y, outer, axis, count, inner);
    case 8: return GatherT<uint64_t>(x, indices, y, outer, axis, count, inner);
  }
  return static_cast<int>(cudaErrorInvalidValue);
}

int LaunchPad(const void* x, void* y, int elem_size, const PadGeometry& g, PadMode mode,
              uint64_t value_bits) {
  switch (elem_size) {
    case 1: return PadT<uint8_t>(x, y, g, mode, value_bits);
    case 2: return PadT<uint16_t>(x, y, g, mode, value_bits);
    case 4: return PadT<uint32_t>(x, y, g, mode, value_bits);
    case 8: return PadT<uint64_t>(x, y, g, mode, value_bits);
  }
  return static_cast<int>(cudaErrorInvalidValue);
}

}  // namespace cuda
}  // namespace rt
}  // namespace tp
