// The cpu backend's strided copy: one routine that every data-movement kernel (Concat, Split,
// Slice, Expand, Tile, Pad, Gather, DepthToSpace, ...) reduces to. A box of `shape` elements is
// read from `src` with element strides `src_strides` (0 for a broadcast dim, negative for a
// reversed one) and written to `dst` with `dst_strides`. Dims that are contiguous in both are
// merged first, the innermost run becomes a memcpy (or a broadcast fill), and large copies are
// split across threads over the outer dims.
//
// Example (Slice of every second column):
//   CopyBox(x + start * 4, {cols * 2, 2}, y, {out_cols, 1}, {rows, out_cols}, 4, threads);
#ifndef TENSORPORT_RUNTIME_CPU_TENSOR_COPY_H_
#define TENSORPORT_RUNTIME_CPU_TENSOR_COPY_H_

#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace tp {
namespace rt {
namespace cpu {

void CopyBox(const uint8_t* src, std::vector<int64_t> src_strides, uint8_t* dst,
             std::vector<int64_t> dst_strides, Shape shape, int elem, int threads);

// Fills n elements of `elem` bytes at dst with copies of *value.
void FillElements(uint8_t* dst, int64_t n, const uint8_t* value, int elem);

// Bytes per element of a dtype the copy kernels move (0 for q8_0, which they do not take).
int CopyElementSize(DType t);

}  // namespace cpu
}  // namespace rt
}  // namespace tp

#endif  // TENSORPORT_RUNTIME_CPU_TENSOR_COPY_H_
