#include "runtime/reference/nn_kernels.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "core/tensor.h"
#include "runtime/reference/nn_params.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace {

// Conv / ConvTranspose operands read as double, with the resolved geometry (bias zeros when B is
// absent).
struct ConvOperands {
  ConvParams p;
  DType dtype;
  std::vector<double> x, w, b;
};

absl::StatusOr<ConvOperands> ReadConvOperands(KernelContext& ctx, bool transpose) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* w, ctx.Input(1));
  const Tensor* b = ctx.OptionalInput(2);
  RETURN_IF_ERROR(CheckFloatInput(ctx, *x, "input X"));
  RETURN_IF_ERROR(CheckFloatInput(ctx, *w, "input W"));
  ConvOperands io;
  if (transpose) {
    ASSIGN_OR_RETURN(io.p, ResolveConvTranspose(ctx, x->shape(), w->shape()));
  } else {
    ASSIGN_OR_RETURN(io.p, ResolveConv(ctx, x->shape(), w->shape()));
  }
  RETURN_IF_ERROR(CheckBias(ctx, b, io.p.c_out));
  io.dtype = x->dtype();
  ASSIGN_OR_RETURN(io.x, ReadAs<double>(*x));
  ASSIGN_OR_RETURN(io.w, ReadAs<double>(*w));
  io.b.assign(io.p.c_out, 0.0);
  if (b != nullptr) {
    ASSIGN_OR_RETURN(io.b, ReadAs<double>(*b));
  }
  return io;
}

absl::Status ConvRef(KernelContext& ctx) {
  ASSIGN_OR_RETURN(ConvOperands io, ReadConvOperands(ctx, /*transpose=*/false));
  const ConvParams& p = io.p;
  const std::vector<double>& xv = io.x;
  const std::vector<double>& wv = io.w;
  const std::vector<double>& bv = io.b;

  const int nd = p.spatial_rank();
  const int64_t ks = p.KernelSize(), os = p.OutSpatialSize(), is = p.InSpatialSize();
  const int64_t cin_g = p.c_in / p.group, cout_g = p.c_out / p.group;
  const std::vector<int64_t> kc = CoordinateTable(p.kernel);
  const std::vector<int64_t> oc = CoordinateTable(p.out_spatial);
  std::vector<double> y(p.batch * p.c_out * os, 0.0);
  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t m = 0; m < p.c_out; ++m) {
      const int64_t g = m / cout_g;
      for (int64_t o = 0; o < os; ++o) {
        double acc = bv[m];
        for (int64_t ci = 0; ci < cin_g; ++ci) {
          const int64_t c = g * cin_g + ci;
          for (int64_t k = 0; k < ks; ++k) {
            int64_t flat;
            if (!p.TapIndex(&oc[o * nd], &kc[k * nd], p.in_spatial, &flat)) continue;
            acc += xv[(n * p.c_in + c) * is + flat] * wv[(m * cin_g + ci) * ks + k];
          }
        }
        y[(n * p.c_out + m) * os + o] = acc;
      }
    }
  }
  ASSIGN_OR_RETURN(Tensor out, WriteAs<double>(io.dtype, p.OutputShape(), y));
  ctx.SetOutput(0, std::move(out));
  return absl::OkStatus();
}

// ConvTranspose as the scatter the ONNX definition describes: every input element adds
// x * w to the output positions i * stride - pad_begin + k * dilation.
absl::Status ConvTransposeRef(KernelContext& ctx) {
  ASSIGN_OR_RETURN(ConvOperands io, ReadConvOperands(ctx, /*transpose=*/true));
  const ConvParams& p = io.p;
  const std::vector<double>& xv = io.x;
  const std::vector<double>& wv = io.w;
  const std::vector<double>& bv = io.b;

  const int nd = p.spatial_rank();
  const int64_t ks = p.KernelSize(), os = p.OutSpatialSize(), is = p.InSpatialSize();
  const int64_t cin_g = p.c_in / p.group, cout_g = p.c_out / p.group;
  const std::vector<int64_t> kc = CoordinateTable(p.kernel);
  const std::vector<int64_t> ic = CoordinateTable(p.in_spatial);
  std::vector<double> y(p.batch * p.c_out * os, 0.0);
  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t m = 0; m < p.c_out; ++m) {
      for (int64_t o = 0; o < os; ++o) y[(n * p.c_out + m) * os + o] = bv[m];
    }
    for (int64_t c = 0; c < p.c_in; ++c) {
      const int64_t g = c / cin_g;
      for (int64_t i = 0; i < is; ++i) {
        const double xval = xv[(n * p.c_in + c) * is + i];
        for (int64_t k = 0; k < ks; ++k) {
          int64_t flat;
          if (!p.TapIndex(&ic[i * nd], &kc[k * nd], p.out_spatial, &flat)) continue;
          for (int64_t mo = 0; mo < cout_g; ++mo) {
            const int64_t m = g * cout_g + mo;
            y[(n * p.c_out + m) * os + flat] += xval * wv[(c * cout_g + mo) * ks + k];
          }
        }
      }
    }
  }
  ASSIGN_OR_RETURN(Tensor out, WriteAs<double>(io.dtype, p.OutputShape(), y));
  ctx.SetOutput(0, std::move(out));
  return absl::OkStatus();
}

absl::Status PoolRef(KernelContext& ctx, bool is_max) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  // MaxPool also takes int8 / uint8 (opset 12); every value is exact in double.
  if (!is_max || IsQuantized(x->dtype()) || x->dtype() == DType::kBool) {
    RETURN_IF_ERROR(CheckFloatInput(ctx, *x, "input X"));
  }
  ASSIGN_OR_RETURN(PoolParams p, ResolvePool(ctx, x->shape()));
  const int64_t storage_order = ctx.GetInt("storage_order", 0);
  ASSIGN_OR_RETURN(std::vector<double> xv, ReadAs<double>(*x));
  const int nd = p.spatial_rank();
  std::vector<int64_t> os_dims = p.out_spatial;
  const std::vector<int64_t> kc = CoordinateTable(p.kernel);
  const std::vector<int64_t> oc = CoordinateTable(p.out_spatial);
  int64_t ks = 1, os = 1, is = 1;
  for (int d = 0; d < nd; ++d) {
    ks *= p.kernel[d];
    os *= p.out_spatial[d];
    is *= p.in_spatial[d];
  }
  const bool want_indices = is_max && ctx.WantsOutput(1);
  std::vector<double> y(p.batch * p.channels * os, 0.0);
  std::vector<int64_t> indices(want_indices ? y.size() : 0, 0);
  for (int64_t nc = 0; nc < p.batch * p.channels; ++nc) {
    for (int64_t o = 0; o < os; ++o) {
      double best = -std::numeric_limits<double>::infinity();
      int64_t best_index = 0;
      double sum = 0;
      int64_t valid = 0, padded = 0;
      for (int64_t k = 0; k < ks; ++k) {
        int64_t flat = 0, col_major = 0, col_stride = 1;
        bool inside = true, in_padded = true;
        for (int d = 0; d < nd; ++d) {
          const int64_t pos = oc[o * nd + d] * p.strides[d] - p.pads_begin[d] +
                              kc[k * nd + d] * p.dilations[d];
          if (pos < 0 || pos >= p.in_spatial[d]) inside = false;
          if (pos < -p.pads_begin[d] || pos >= p.in_spatial[d] + p.pads_end[d]) in_padded = false;
          flat = flat * p.in_spatial[d] + pos;
          col_major += pos * col_stride;
          col_stride *= p.in_spatial[d];
        }
        if (in_padded) ++padded;
        if (!inside) continue;
        ++valid;
        const double v = xv[nc * is + flat];
        sum += v;
        // NaN propagates (as in PyTorch); the first maximum wins ties.
        if (valid == 1 || (!std::isnan(best) && (v > best || std::isnan(v)))) {
          best = v;
          best_index = nc * is + (storage_order == 0 ? flat : col_major);
        }
      }
      if (is_max) {
        y[nc * os + o] = valid > 0 ? best : -std::numeric_limits<double>::infinity();
        if (want_indices) indices[nc * os + o] = best_index;
      } else {
        const int64_t divisor = p.count_include_pad ? padded : valid;
        y[nc * os + o] = divisor > 0 ? sum / divisor : 0.0;
      }
    }
  }
  ASSIGN_OR_RETURN(Tensor out, WriteAs<double>(x->dtype(), p.OutputShape(), y));
  ctx.SetOutput(0, std::move(out));
  if (want_indices) {
    ASSIGN_OR_RETURN(Tensor idx, WriteAs<int64_t>(DType::kI64, p.OutputShape(), indices));
    ctx.SetOutput(1, std::move(idx));
  }
  return absl::OkStatus();
}

absl::Status MatMulRef(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* a, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* b, ctx.Input(1));
  RETURN_IF_ERROR(CheckFloatInput(ctx, *a, "input A"));
  RETURN_IF_ERROR(CheckFloatInput(ctx, *b, "input B"));
  ASSIGN_OR_RETURN(MatMulPlan p, PlanMatMul(ctx, a->shape(), b->shape()));
  ASSIGN_OR_RETURN(std::vector<double> av, ReadAs<double>(*a));
  ASSIGN_OR_RETURN(std::vector<double> bv, ReadAs<double>(*b));
  const int64_t batches = p.a_batch.size();
  std::vector<double> y(batches * p.m * p.n, 0.0);
  for (int64_t i = 0; i < batches; ++i) {
    const double* am = av.data() + p.a_batch[i] * p.m * p.k;
    const double* bm = bv.data() + p.b_batch[i] * p.k * p.n;
    double* ym = y.data() + i * p.m * p.n;
    for (int64_t r = 0; r < p.m; ++r) {
      for (int64_t c = 0; c < p.n; ++c) {
        double acc = 0;
        for (int64_t j = 0; j < p.k; ++j) acc += am[r * p.k + j] * bm[j * p.n + c];
        ym[r * p.n + c] = acc;
      }
    }
  }
  ASSIGN_OR_RETURN(Tensor out, WriteAs<double>(a->dtype(), p.out_shape, y));
  ctx.SetOutput(0, std::move(out));
  return absl::OkStatus();
}

absl::Status GemmRef(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* a, ctx.Input(0));
  ASSIGN_OR_RETURN(const Tensor* b, ctx.Input(1));
  const Tensor* c = ctx.OptionalInput(2);
  RETURN_IF_ERROR(CheckFloatInput(ctx, *a, "input A"));
  RETURN_IF_ERROR(CheckFloatInput(ctx, *b, "input B"));
  ASSIGN_OR_RETURN(GemmParams p, ResolveGemm(ctx, a->shape(), b->shape(), c));
  ASSIGN_OR_RETURN(std::vector<double> av, ReadAs<double>(*a));
  ASSIGN_OR_RETURN(std::vector<double> bv, ReadAs<double>(*b));
  std::vector<double> cv;
  if (c != nullptr) {
    ASSIGN_OR_RETURN(cv, ReadAs<double>(*c));
  }
  std::vector<double> y(p.m * p.n, 0.0);
  for (int64_t i = 0; i < p.m; ++i) {
    for (int64_t j = 0; j < p.n; ++j) {
      double acc = 0;
      for (int64_t l = 0; l < p.k; ++l) {
        const double x = p.trans_a ? av[l * p.m + i] : av[i * p.k + l];
        const double w = p.trans_b ? bv[j * p.k + l] : bv[l * p.n + j];
        acc += x * w;
      }
      double v = p.alpha * acc;
      if (p.has_c) v += p.beta * cv[i * p.c_row_stride + j * p.c_col_stride];
      y[i * p.n + j] = v;
    }
  }
  ASSIGN_OR_RETURN(Tensor out, WriteAs<double>(a->dtype(), {p.m, p.n}, y));
  ctx.SetOutput(0, std::move(out));
  return absl::OkStatus();
}

double Clip(double v, double clip) {
  if (clip <= 0) return v;
  return std::max(-clip, std::min(clip, v));
}

// LSTM and GRU share everything but the cell update.
absl::Status RnnRef(KernelContext& ctx, bool is_lstm) {
  ASSIGN_OR_RETURN(RnnParams p, ResolveRnn(ctx, is_lstm));
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  RETURN_IF_ERROR(CheckFloatInput(ctx, *x, "input X"));
  ASSIGN_OR_RETURN(std::vector<double> xv, ReadAs<double>(*x));
  ASSIGN_OR_RETURN(std::vector<double> wv, ReadAs<double>(**ctx.Input(1)));
  ASSIGN_OR_RETURN(std::vector<double> rv, ReadAs<double>(**ctx.Input(2)));
  const int64_t H = p.hidden, I = p.input_size, G = p.num_gates;
  std::vector<double> bv(p.num_directions * 2 * G * H, 0.0);
  if (const Tensor* b = ctx.OptionalInput(3)) {
    ASSIGN_OR_RETURN(bv, ReadAs<double>(*b));
  }
  const int64_t state_size = p.num_directions * p.batch * H;
  std::vector<double> h0(state_size, 0.0), c0(state_size, 0.0);
  if (const Tensor* t = ctx.OptionalInput(5)) {
    ASSIGN_OR_RETURN(h0, ReadAs<double>(*t));
  }
  std::vector<double> pv(p.num_directions * 3 * H, 0.0);
  if (is_lstm) {
    if (const Tensor* t = ctx.OptionalInput(6)) {
    ASSIGN_OR_RETURN(c0, ReadAs<double>(*t));
  }
    if (const Tensor* t = ctx.OptionalInput(7)) {
    ASSIGN_OR_RETURN(pv, ReadAs<double>(*t));
  }
  }
  std::vector<double> y(p.seq_len * p.num_directions * p.batch * H, 0.0);
  std::vector<double> yh(state_size, 0.0), yc(state_size, 0.0);
  std::vector<double> xg(G * H), hg(G * H), h(H), c(H), hnew(H);
  for (int d = 0; d < p.num_directions; ++d) {
    const double* W = wv.data() + d * G * H * I;
    const double* R = rv.data() + d * G * H * H;
    const double* Wb = bv.data() + d * 2 * G * H;
    const double* Rb = Wb + G * H;
    const double* P = pv.data() + d * 3 * H;
    const std::vector<RnnActivation>& act = p.activations[d];
    for (int64_t b = 0; b < p.batch; ++b) {
      for (int64_t j = 0; j < H; ++j) {
        h[j] = h0[p.HOffset(d, b) + j];
        c[j] = c0[p.HOffset(d, b) + j];
      }
      const int64_t len = p.lengths[b];
      for (int64_t step = 0; step < len; ++step) {
        const int64_t t = p.Reverse(d) ? len - 1 - step : step;
        const double* xt = xv.data() + p.XOffset(t, b);
        // xg = W x + Wb, hg = R h + Rb (kept apart for GRU's linear_before_reset).
        for (int64_t g = 0; g < G * H; ++g) {
          double ax = Wb[g], ah = Rb[g];
          for (int64_t i = 0; i < I; ++i) ax += W[g * I + i] * xt[i];
          for (int64_t j = 0; j < H; ++j) ah += R[g * H + j] * h[j];
          xg[g] = ax;
          hg[g] = ah;
        }
        if (is_lstm) {
          // Gate blocks: i, o, f, c. Peepholes P: i, o, f.
          for (int64_t j = 0; j < H; ++j) {
            const double gi = xg[j] + hg[j] + P[j] * c[j];
            const double gf = xg[2 * H + j] + hg[2 * H + j] + P[2 * H + j] * c[j];
            const double gc = xg[3 * H + j] + hg[3 * H + j];
            const double it = act[0].Apply(Clip(gi, p.clip));
            const double ft = act[0].Apply(Clip(gf, p.clip));
            const double ct = act[1].Apply(Clip(gc, p.clip));
            const double cnew = ft * c[j] + it * ct;
            const double go = xg[H + j] + hg[H + j] + P[H + j] * cnew;
            const double ot = act[0].Apply(Clip(go, p.clip));
            c[j] = cnew;
            hnew[j] = ot * act[2].Apply(cnew);
          }
        } else {
          // Gate blocks: z, r, h.
          std::vector<double> r(H);
          for (int64_t j = 0; j < H; ++j) {
            r[j] = act[0].Apply(Clip(xg[H + j] + hg[H + j], p.clip));
          }
          for (int64_t j = 0; j < H; ++j) {
            const double z = act[0].Apply(Clip(xg[j] + hg[j], p.clip));
            double pre;
            if (p.linear_before_reset) {
              pre = xg[2 * H + j] + r[j] * hg[2 * H + j];
            } else {
              double acc = Rb[2 * H + j];
              for (int64_t k = 0; k < H; ++k) acc += R[(2 * H + j) * H + k] * (r[k] * h[k]);
              pre = xg[2 * H + j] + acc;
            }
            const double ht = act[1].Apply(Clip(pre, p.clip));
            hnew[j] = (1 - z) * ht + z * h[j];
          }
        }
        h = hnew;
        for (int64_t j = 0; j < H; ++j) y[p.YOffset(t, d, b) + j] = h[j];
      }
      for (int64_t j = 0; j < H; ++j) {
        yh[p.HOffset(d, b) + j] = h[j];
        yc[p.HOffset(d, b) + j] = c[j];
      }
    }
  }
  if (ctx.WantsOutput(0)) {
    ASSIGN_OR_RETURN(Tensor t, WriteAs<double>(x->dtype(), p.YShape(), y));
    ctx.SetOutput(0, std::move(t));
  }
  if (ctx.WantsOutput(1)) {
    ASSIGN_OR_RETURN(Tensor t, WriteAs<double>(x->dtype(), p.YhShape(), yh));
    ctx.SetOutput(1, std::move(t));
  }
  if (is_lstm && ctx.WantsOutput(2)) {
    ASSIGN_OR_RETURN(Tensor t, WriteAs<double>(x->dtype(), p.YhShape(), yc));
    ctx.SetOutput(2, std::move(t));
  }
  return absl::OkStatus();
}

// Einsum by direct index loops over every (output, summed) label combination.
absl::Status EinsumRef(KernelContext& ctx) {
  std::vector<Shape> shapes;
  std::vector<std::vector<double>> values;
  DType dtype = DType::kF32;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    ASSIGN_OR_RETURN(const Tensor* t, ctx.Input(i));
    RETURN_IF_ERROR(CheckFloatInput(ctx, *t, absl::StrCat("input ", i)));
    if (i == 0) dtype = t->dtype();
    shapes.push_back(t->shape());
    ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(*t));
    values.push_back(std::move(v));
  }
  if (shapes.empty()) {
    return ctx.Error(absl::StatusCode::kInvalidArgument, "Einsum needs at least one input");
  }
  ASSIGN_OR_RETURN(EinsumPlan p, PlanEinsum(ctx, shapes));
  // Loop labels: output labels first (row-major output order), then the summed ones.
  std::vector<int> loop = p.output_labels;
  loop.insert(loop.end(), p.summed_labels.begin(), p.summed_labels.end());
  std::vector<int64_t> loop_size;
  for (int l : loop) loop_size.push_back(p.label_size[l] < 0 ? 1 : p.label_size[l]);
  // strides[o][position in loop]: how far operand o moves when that label advances.
  const size_t num_ops = shapes.size();
  std::vector<std::vector<int64_t>> strides(num_ops, std::vector<int64_t>(loop.size(), 0));
  for (size_t o = 0; o < num_ops; ++o) {
    const std::vector<int64_t> rm = RowMajorStrides(shapes[o]);
    for (size_t dim = 0; dim < shapes[o].size(); ++dim) {
      if (shapes[o][dim] == 1 && p.label_size[p.operand_labels[o][dim]] != 1) continue;
      const size_t pos =
          std::find(loop.begin(), loop.end(), p.operand_labels[o][dim]) - loop.begin();
      strides[o][pos] += rm[dim];
    }
  }
  int64_t out_count = 1, sum_count = 1;
  for (size_t i = 0; i < p.output_labels.size(); ++i) out_count *= loop_size[i];
  for (size_t i = p.output_labels.size(); i < loop.size(); ++i) sum_count *= loop_size[i];
  if (sum_count > 0 && out_count > (int64_t{1} << 40) / sum_count) {
    return ctx.Error(absl::StatusCode::kUnimplemented,
                     absl::StrCat("Einsum needs ", out_count, " x ", sum_count,
                                  " products, more than the reference kernel's limit of 2^40"));
  }
  std::vector<double> y(out_count, 0.0);
  if (sum_count > 0) {
    std::vector<int64_t> idx(loop.size(), 0);
    std::vector<int64_t> offset(num_ops, 0);
    const int64_t total = out_count * sum_count;
    for (int64_t it = 0; it < total; ++it) {
      double prod = 1;
      for (size_t o = 0; o < num_ops; ++o) prod *= values[o][offset[o]];
      y[it / sum_count] += prod;
      for (int i = static_cast<int>(loop.size()) - 1; i >= 0; --i) {
        ++idx[i];
        for (size_t o = 0; o < num_ops; ++o) offset[o] += strides[o][i];
        if (idx[i] < loop_size[i]) break;
        for (size_t o = 0; o < num_ops; ++o) offset[o] -= strides[o][i] * idx[i];
        idx[i] = 0;
      }
    }
  }
  ASSIGN_OR_RETURN(Tensor out, WriteAs<double>(dtype, p.out_shape, y));
  ctx.SetOutput(0, std::move(out));
  return absl::OkStatus();
}

KernelDef Def(const char* op, int since, KernelFn fn) {
  return KernelDef{"", op, since, kNnMaxOpset, std::move(fn)};
}

}  // namespace

std::vector<KernelDef> ReferenceNnKernels() {
  return {
      Def("Conv", 1, ConvRef),
      Def("ConvTranspose", 1, ConvTransposeRef),
      Def("MatMul", 1, MatMulRef),
      Def("Gemm", 1, GemmRef),
      Def("LSTM", 1, [](KernelContext& ctx) { return RnnRef(ctx, /*is_lstm=*/true); }),
      Def("GRU", 1, [](KernelContext& ctx) { return RnnRef(ctx, /*is_lstm=*/false); }),
      Def("MaxPool", 1, [](KernelContext& ctx) { return PoolRef(ctx, /*is_max=*/true); }),
      Def("AveragePool", 1, [](KernelContext& ctx) { return PoolRef(ctx, /*is_max=*/false); }),
      Def("Einsum", 12, EinsumRef),
  };
}

}  // namespace rt
}  // namespace tp
