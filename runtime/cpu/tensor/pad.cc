// Pad for every plain dtype and mode: the output is filled with the constant (constant mode),
// the input's kept box is one strided copy, and for reflect / edge / wrap the border positions
// read their source element per dim (PadSource from reference/tensor/tensor_params.h).
#include <cstring>
#include <vector>

#include "core/status_macros.h"
#include "core/tensor.h"
#include "runtime/cpu/cpu_util.h"
#include "runtime/cpu/kernels.h"
#include "runtime/cpu/tensor/copy.h"
#include "runtime/cpu/thread_pool.h"
#include "runtime/reference/tensor/tensor_params.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace cpu {

absl::Status PadKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x_in, ctx.Input(0));
  const int elem = CopyElementSize(x_in->dtype());
  if (elem == 0 || x_in->rank() == 0) return ReferenceFallback(ctx);
  ASSIGN_OR_RETURN(PadParams p, ResolvePad(ctx, x_in->shape()));
  ASSIGN_OR_RETURN(Tensor x, x_in->Contiguous());
  const int rank = x.rank();
  Tensor y = Tensor::Uninitialized(x.dtype(), p.out);
  const std::vector<int64_t> xs = RowMajorStrides(x.shape()), ys = RowMajorStrides(p.out);
  if (p.mode == "constant") {
    ASSIGN_OR_RETURN(Tensor fill, WriteAs<double>(x.dtype(), {1}, {p.value}));
    FillElements(y.mutable_data(), y.num_elements(), fill.data(), elem);
    // The kept box: input positions [max(0, -before), n - max(0, -after)).
    Shape box(rank);
    int64_t src = 0, dst = 0;
    bool empty = false;
    for (int d = 0; d < rank; ++d) {
      const int64_t lo = p.before[d] < 0 ? -p.before[d] : 0;
      const int64_t hi = x.shape()[d] + (p.after[d] < 0 ? p.after[d] : 0);
      box[d] = hi - lo;
      empty = empty || box[d] <= 0;
      src += lo * xs[d];
      dst += (lo + p.before[d]) * ys[d];
    }
    if (!empty) {
      CopyBox(x.data() + src * elem, xs, y.mutable_data() + dst * elem, ys, box, elem,
              Threads(ctx));
    }
    ctx.SetOutput(0, std::move(y));
    return absl::OkStatus();
  }
  // Source index of every output position, per dim; then rows of the last dim gathered.
  std::vector<std::vector<int64_t>> map(rank);
  for (int d = 0; d < rank; ++d) {
    for (int64_t o = 0; o < p.out[d]; ++o) {
      map[d].push_back(PadSource(p.mode, o - p.before[d], x.shape()[d]));
    }
  }
  const int64_t last = rank > 0 ? p.out[rank - 1] : 1;
  const int64_t rows = last > 0 ? y.num_elements() / last : 0;
  const uint8_t* xd = x.data();
  uint8_t* yd = y.mutable_data();
  const int threads = y.num_elements() * elem >= (int64_t{1} << 20) ? Threads(ctx) : 1;
  ParallelFor(threads, rows, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      int64_t rest = r, src = 0;
      for (int d = rank - 2; d >= 0; --d) {
        src += map[d][rest % p.out[d]] * xs[d];
        rest /= p.out[d];
      }
      uint8_t* dst = yd + r * last * elem;
      const std::vector<int64_t>& m = map[rank - 1];
      for (int64_t i = 0; i < last; ++i) std::memcpy(dst + i * elem, xd + (src + m[i]) * elem, elem);
    }
  });
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace cpu
}  // namespace rt
}  // namespace tp
