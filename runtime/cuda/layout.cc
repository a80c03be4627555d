// Data-movement cuda kernels: Transpose, Concat, Slice (opset 10+), Gather, Pad (opset 11+,
// constant / reflect / edge) and Expand, for any plain element type. Shape and attribute
// handling runs on the host; cases outside these forms go to the reference kernel, which also
// reports malformed input.
#include <algorithm>
#include <cstring>
#include <vector>

#include "core/status_macros.h"
#include "runtime/cuda/cuda_context.h"
#include "runtime/cuda/kernels.h"
#include "runtime/cuda/layout_impl.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace cuda {
namespace {

constexpr int M = 18;

bool Movable(const Tensor* t) {
  if (t == nullptr || IsQuantized(t->dtype())) return false;
  const int es = ElementSize(t->dtype());
  return (es == 1 || es == 2 || es == 4 || es == 8) && t->rank() <= kMaxRank;
}

// Runs one strided copy from x into a new tensor of `out` shape and sets output 0.
absl::Status CopyOut(KernelContext& ctx, const Tensor& x, const Shape& out,
                     const StridedShape& s, int64_t x_base) {
  RETURN_IF_ERROR(CudaReady(ctx));
  const int es = ElementSize(x.dtype());
  ASSIGN_OR_RETURN(int64_t n, NumElements(out));
  ASSIGN_OR_RETURN(DeviceBuffer dx, Upload(ctx, x));
  ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, n * es));
  RETURN_IF_ERROR(CudaCheck(ctx, LaunchStridedCopy(dx.get(), x_base, dy.get(), 0, es, s),
                            "strided copy kernel"));
  ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, x.dtype(), out));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

void SetPackedDest(const Shape& out, StridedShape* s) {
  const std::vector<int64_t> st = RowMajorStrides(out);
  for (size_t d = 0; d < out.size(); ++d) s->strides[1][d] = st[d];
}

absl::Status TransposeKernel(KernelContext& ctx, const KernelFn& fb) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  if (!Movable(x)) return RunFallback(ctx, fb);
  const int rank = x->rank();
  std::vector<int64_t> perm(rank);
  for (int i = 0; i < rank; ++i) perm[i] = rank - 1 - i;
  perm = ctx.GetInts("perm", perm);
  std::vector<bool> seen(rank, false);
  if (static_cast<int>(perm.size()) != rank) return RunFallback(ctx, fb);
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[p]) return RunFallback(ctx, fb);
    seen[p] = true;
  }
  const std::vector<int64_t> in_strides = RowMajorStrides(x->shape());
  Shape out(rank);
  StridedShape s;
  s.rank = rank;
  for (int i = 0; i < rank; ++i) {
    out[i] = x->shape()[perm[i]];
    s.dims[i] = out[i];
    s.strides[0][i] = in_strides[perm[i]];
  }
  SetPackedDest(out, &s);
  return CopyOut(ctx, *x, out, s, 0);
}

absl::Status ExpandKernel(KernelContext& ctx, const KernelFn& fb) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* shape_t, ctx.Input(1));
  if (!Movable(x)) return RunFallback(ctx, fb);
  absl::StatusOr<std::vector<int64_t>> dims = ReadInts(*shape_t);
  if (!dims.ok()) return RunFallback(ctx, fb);
  absl::StatusOr<Shape> out = BroadcastShapes({x->shape(), Shape(dims->begin(), dims->end())});
  StridedShape s;
  if (!out.ok() || !MakeStrided(*out, {x->shape()}, &s)) return RunFallback(ctx, fb);
  SetPackedDest(*out, &s);
  return CopyOut(ctx, *x, *out, s, 0);
}

absl::Status SliceKernel(KernelContext& ctx, const KernelFn& fb) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  if (ctx.opset() < 10 || !Movable(x)) return RunFallback(ctx, fb);
  ASSIGN_OR_RETURN(const Tensor* starts_t, ctx.Input(1));
  ASSIGN_OR_RETURN(const Tensor* ends_t, ctx.Input(2));
  absl::StatusOr<std::vector<int64_t>> starts = ReadInts(*starts_t);
  absl::StatusOr<std::vector<int64_t>> ends = ReadInts(*ends_t);
  if (!starts.ok() || !ends.ok() || starts->size() != ends->size()) return RunFallback(ctx, fb);
  const int rank = x->rank();
  const size_t n = starts->size();
  std::vector<int64_t> axes(n), steps(n, 1);
  for (size_t i = 0; i < n; ++i) axes[i] = static_cast<int64_t>(i);
  if (const Tensor* a = ctx.OptionalInput(3)) {
    absl::StatusOr<std::vector<int64_t>> v = ReadInts(*a);
    if (!v.ok() || v->size() != n) return RunFallback(ctx, fb);
    axes = *v;
  }
  if (const Tensor* st = ctx.OptionalInput(4)) {
    absl::StatusOr<std::vector<int64_t>> v = ReadInts(*st);
    if (!v.ok() || v->size() != n) return RunFallback(ctx, fb);
    steps = *v;
  }
  const Shape& in = x->shape();
  const std::vector<int64_t> in_strides = RowMajorStrides(in);
  Shape out = in;
  std::vector<int64_t> first(rank, 0), step(rank, 1);
  std::vector<bool> seen(rank, false);
  for (size_t i = 0; i < n; ++i) {
    int64_t axis = axes[i];
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank || seen[axis] || steps[i] == 0) return RunFallback(ctx, fb);
    seen[axis] = true;
    const int64_t dim = in[axis];
    int64_t start = (*starts)[i], end = (*ends)[i];
    const int64_t stp = steps[i];
    if (start < 0) start += dim;
    if (end < 0) end += dim;
    int64_t count;
    if (stp > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
      count = end > start ? (end - start + stp - 1) / stp : 0;
    } else {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
      count = start > end ? (start - end - stp - 1) / (-stp) : 0;
    }
    out[axis] = count;
    first[axis] = count > 0 ? start : 0;
    step[axis] = stp;
  }
  StridedShape s;
  s.rank = rank;
  int64_t base = 0;
  for (int d = 0; d < rank; ++d) {
    s.dims[d] = out[d];
    s.strides[0][d] = step[d] * in_strides[d];
    base += first[d] * in_strides[d];
  }
  SetPackedDest(out, &s);
  return CopyOut(ctx, *x, out, s, base);
}

absl::Status ConcatKernel(KernelContext& ctx, const KernelFn& fb) {
  std::vector<const Tensor*> ins;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    ASSIGN_OR_RETURN(const Tensor* t, ctx.Input(i));
    if (!Movable(t)) return RunFallback(ctx, fb);
    ins.push_back(t);
  }
  if (ins.empty()) return RunFallback(ctx, fb);
  const int rank = ins[0]->rank();
  int64_t axis = ctx.GetInt("axis", 0);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return RunFallback(ctx, fb);
  Shape out = ins[0]->shape();
  out[axis] = 0;
  for (const Tensor* t : ins) {
    if (t->dtype() != ins[0]->dtype() || t->rank() != rank) return RunFallback(ctx, fb);
    for (int d = 0; d < rank; ++d) {
      if (d != axis && t->shape()[d] != out[d]) return RunFallback(ctx, fb);
    }
    out[axis] += t->shape()[axis];
  }
  RETURN_IF_ERROR(CudaReady(ctx));
  const int es = ElementSize(ins[0]->dtype());
  ASSIGN_OR_RETURN(int64_t total, NumElements(out));
  ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, total * es));
  const std::vector<int64_t> out_strides = RowMajorStrides(out);
  int64_t offset = 0;
  for (const Tensor* t : ins) {
    if (t->num_elements() > 0) {
      ASSIGN_OR_RETURN(DeviceBuffer dx, Upload(ctx, *t));
      StridedShape s;
      s.rank = rank;
      const std::vector<int64_t> st = RowMajorStrides(t->shape());
      for (int d = 0; d < rank; ++d) {
        s.dims[d] = t->shape()[d];
        s.strides[0][d] = st[d];
        s.strides[1][d] = out_strides[d];
      }
      RETURN_IF_ERROR(CudaCheck(ctx,
                                LaunchStridedCopy(dx.get(), 0, dy.get(),
                                                  offset * out_strides[axis], es, s),
                                "concat copy kernel"));
      // dx returns to the cache; the next upload into it queues behind this copy.
    }
    offset += t->shape()[axis];
  }
  ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, ins[0]->dtype(), out));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status GatherKernel(KernelContext& ctx, const KernelFn& fb) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* idx_t, ctx.Input(1));
  if (!Movable(x) || (idx_t->dtype() != DType::kI64 && idx_t->dtype() != DType::kI32)) {
    return RunFallback(ctx, fb);
  }
  const int rank = x->rank();
  int64_t axis = ctx.GetInt("axis", 0);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return RunFallback(ctx, fb);
  absl::StatusOr<std::vector<int64_t>> idx = ReadAs<int64_t>(*idx_t);
  if (!idx.ok()) return RunFallback(ctx, fb);
  const int64_t dim = x->shape()[axis];
  for (int64_t& i : *idx) {
    if (i < -dim || i >= dim) return RunFallback(ctx, fb);  // the reference reports it
    if (i < 0) i += dim;
  }
  Shape out(x->shape().begin(), x->shape().begin() + axis);
  out.insert(out.end(), idx_t->shape().begin(), idx_t->shape().end());
  out.insert(out.end(), x->shape().begin() + axis + 1, x->shape().end());
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= x->shape()[d];
  for (int d = axis + 1; d < rank; ++d) inner *= x->shape()[d];
  const int64_t count = static_cast<int64_t>(idx->size());
  RETURN_IF_ERROR(CudaReady(ctx));
  const int es = ElementSize(x->dtype());
  ASSIGN_OR_RETURN(DeviceBuffer dx, Upload(ctx, *x));
  ASSIGN_OR_RETURN(DeviceBuffer di, UploadBytes(ctx, idx->data(), count * 8));
  ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, outer * count * inner * es));
  RETURN_IF_ERROR(CudaCheck(ctx,
                            LaunchGather(dx.get(), di.as<int64_t>(), dy.get(), es, outer, dim,
                                         count, inner),
                            "gather kernel"));
  ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, x->dtype(), out));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

absl::Status PadKernel(KernelContext& ctx, const KernelFn& fb) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  if (ctx.opset() < 11 || !Movable(x) || ctx.HasInput(3)) return RunFallback(ctx, fb);
  const std::string mode_name = ctx.GetString("mode", "constant");
  PadMode mode;
  if (mode_name == "constant") {
    mode = PadMode::kConstant;
  } else if (mode_name == "reflect") {
    mode = PadMode::kReflect;
  } else if (mode_name == "edge") {
    mode = PadMode::kEdge;
  } else {
    return RunFallback(ctx, fb);
  }
  ASSIGN_OR_RETURN(const Tensor* pads_t, ctx.Input(1));
  absl::StatusOr<std::vector<int64_t>> pads = ReadInts(*pads_t);
  const int rank = x->rank();
  if (!pads.ok() || static_cast<int>(pads->size()) != 2 * rank) return RunFallback(ctx, fb);
  uint64_t bits = 0;
  if (const Tensor* v = ctx.OptionalInput(2)) {
    if (v->dtype() != x->dtype() || v->num_elements() != 1) return RunFallback(ctx, fb);
    ASSIGN_OR_RETURN(Tensor packed, v->Contiguous());
    std::memcpy(&bits, packed.data(), ElementSize(v->dtype()));
  }
  PadGeometry g;
  g.rank = rank;
  Shape out(rank);
  for (int d = 0; d < rank; ++d) {
    const int64_t dim = x->shape()[d], pb = (*pads)[d], pe = (*pads)[d + rank];
    out[d] = dim + pb + pe;
    if (out[d] < 0) return RunFallback(ctx, fb);
    if (mode != PadMode::kConstant && (pb > 0 || pe > 0) && dim == 0) return RunFallback(ctx, fb);
    if (mode == PadMode::kReflect && (pb >= dim || pe >= dim) && (pb > 0 || pe > 0)) {
      return RunFallback(ctx, fb);
    }
    g.out_dims[d] = out[d];
    g.in_dims[d] = dim;
    g.pads_begin[d] = pb;
  }
  RETURN_IF_ERROR(CudaReady(ctx));
  const int es = ElementSize(x->dtype());
  ASSIGN_OR_RETURN(int64_t n, NumElements(out));
  ASSIGN_OR_RETURN(DeviceBuffer dx, Upload(ctx, *x));
  ASSIGN_OR_RETURN(DeviceBuffer dy, DeviceBuffer::Allocate(ctx, n * es));
  RETURN_IF_ERROR(
      CudaCheck(ctx, LaunchPad(dx.get(), dy.get(), es, g, mode, bits), "pad kernel"));
  ASSIGN_OR_RETURN(Tensor y, Download(ctx, dy, x->dtype(), out));
  ctx.SetOutput(0, std::move(y));
  return absl::OkStatus();
}

}  // namespace

std::vector<CudaKernelDef> CudaLayoutKernels() {
  return {
      {"Transpose", 1, M, TransposeKernel}, {"Concat", 4, M, ConcatKernel},
      {"Slice", 1, M, SliceKernel},         {"Gather", 1, M, GatherKernel},
      {"Pad", 2, M, PadKernel},             {"Expand", 8, M, ExpandKernel},
  };
}

}  // namespace cuda
}  // namespace rt
}  // namespace tp
