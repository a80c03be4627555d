#include "runtime/rewrite/affine_folding.h"

#include <cmath>
#include <optional>
#include <vector>

#include "core/tensor.h"

namespace tp {
namespace rt {
namespace {

// Values of a float32 constant widened to double, or nullopt.
std::optional<std::vector<double>> Values(const WorkGraph& g, const std::string& name) {
  const Tensor* t = g.Constant(name);
  if (t == nullptr || t->dtype() != DType::kF32) return std::nullopt;
  absl::StatusOr<std::vector<double>> v = ToDoubleVector(*t);
  if (!v.ok()) return std::nullopt;
  return *v;
}

// c broadcast against an output of rank `rank` whose axis `axis` has `channels` entries varies at
// most along that axis: its per-channel values (a scalar repeated), or nullopt.
std::optional<std::vector<double>> PerChannel(const WorkGraph& g, const std::string& name,
                                              int rank, int axis, int64_t channels) {
  const Tensor* t = g.Constant(name);
  std::optional<std::vector<double>> v = Values(g, name);
  if (!v || t->rank() > rank) return std::nullopt;
  if (v->size() == 1) return std::vector<double>(channels, (*v)[0]);
  const int offset = rank - t->rank();  // c's dims align to the output's last dims
  for (int d = 0; d < t->rank(); ++d) {
    const int64_t want = offset + d == axis ? channels : 1;
    if (t->shape()[d] != want) return std::nullopt;
  }
  return *v;
}

Tensor FromDoubles(const Shape& shape, const std::vector<double>& v) {
  Tensor t = Tensor::Uninitialized(DType::kF32, shape);
  float* p = t.mutable_data_as<float>();
  for (size_t i = 0; i < v.size(); ++i) p[i] = static_cast<float>(v[i]);
  return t;
}

struct Affine {
  std::vector<double> scale, shift;  // y' = y * scale[m] + shift[m]
};

// The affine map an op applies to `value` (its operand at one slot) per channel, or nullopt.
std::optional<Affine> AffineOf(const WorkGraph& g, const onnx::NodeProto& n,
                               const std::string& value, int rank, int axis, int64_t channels) {
  auto ones = [&] { return std::vector<double>(channels, 1.0); };
  auto zeros = [&] { return std::vector<double>(channels, 0.0); };
  if (IsOp(n, "BatchNormalization")) {
    if (n.input_size() != 5 || n.input(0) != value || AttrInt(n, "training_mode", 0) != 0) {
      return std::nullopt;
    }
    for (int i = 1; i < n.output_size(); ++i) {
      if (!n.output(i).empty()) return std::nullopt;
    }
    if (axis != 1) return std::nullopt;
    auto gamma = Values(g, n.input(1)), beta = Values(g, n.input(2)),
         mean = Values(g, n.input(3)), var = Values(g, n.input(4));
    if (!gamma || !beta || !mean || !var) return std::nullopt;
    for (const auto* v : {&*gamma, &*beta, &*mean, &*var}) {
      if (static_cast<int64_t>(v->size()) != channels) return std::nullopt;
    }
    const double eps = AttrFloat(n, "epsilon", 1e-5f);
    Affine a{ones(), zeros()};
    for (int64_t m = 0; m < channels; ++m) {
      a.scale[m] = (*gamma)[m] / std::sqrt((*var)[m] + eps);
      a.shift[m] = (*beta)[m] - (*mean)[m] * a.scale[m];
    }
    return a;
  }
  const bool mul = IsOp(n, "Mul"), add = IsOp(n, "Add"), sub = IsOp(n, "Sub"),
             div = IsOp(n, "Div");
  if (!(mul || add || sub || div) || n.input_size() != 2 || n.output_size() != 1) {
    return std::nullopt;
  }
  // Sub and Div fold only with the value on the left.
  int other;
  if (n.input(0) == value && n.input(1) != value) {
    other = 1;
  } else if (n.input(1) == value && n.input(0) != value && (mul || add)) {
    other = 0;
  } else {
    return std::nullopt;
  }
  std::optional<std::vector<double>> c = PerChannel(g, n.input(other), rank, axis, channels);
  if (!c) return std::nullopt;
  Affine a{ones(), zeros()};
  for (int64_t m = 0; m < channels; ++m) {
    if (mul) a.scale[m] = (*c)[m];
    if (div) a.scale[m] = 1.0 / (*c)[m];
    if (add) a.shift[m] = (*c)[m];
    if (sub) a.shift[m] = -(*c)[m];
  }
  return a;
}

// Conv / ConvTranspose followed by an affine op: new weights and bias.
bool FoldIntoConv(WorkGraph* g, onnx::NodeProto* conv, const onnx::NodeProto& next) {
  const bool transpose = IsOp(*conv, "ConvTranspose");
  if (conv->input_size() < 2) return false;
  const Tensor* w = g->Constant(conv->input(1));
  if (w == nullptr || w->dtype() != DType::kF32 || w->rank() < 3) return false;
  const int64_t group = AttrInt(*conv, "group", 1);
  const int64_t per_group = w->shape()[1];  // ConvTranspose: output channels per group
  const int64_t channels = transpose ? per_group * group : w->shape()[0];
  if (group < 1 || (transpose && w->shape()[0] % group != 0)) return false;
  std::optional<Affine> a = AffineOf(*g, next, conv->output(0), w->rank(), 1, channels);
  if (!a) return false;
  const bool has_bias = conv->input_size() > 2 && !conv->input(2).empty();
  std::vector<double> bias(channels, 0.0);
  if (has_bias) {
    std::optional<std::vector<double>> b = Values(*g, conv->input(2));
    if (!b || static_cast<int64_t>(b->size()) != channels) return false;
    bias = *b;
  }
  absl::StatusOr<std::vector<double>> wv = ToDoubleVector(*w);
  if (!wv.ok()) return false;
  const int64_t taps = w->num_elements() / (w->shape()[0] * w->shape()[1]);
  for (int64_t i = 0; i < w->shape()[0]; ++i) {
    for (int64_t j = 0; j < w->shape()[1]; ++j) {
      // Conv: W[m, c, k]; ConvTranspose: W[c, j, k] feeds output channel (c / in_per_group)
      // * per_group + j.
      const int64_t m = transpose ? (i / (w->shape()[0] / group)) * per_group + j : i;
      double* p = wv->data() + (i * w->shape()[1] + j) * taps;
      for (int64_t k = 0; k < taps; ++k) p[k] *= a->scale[m];
    }
  }
  for (int64_t m = 0; m < channels; ++m) bias[m] = bias[m] * a->scale[m] + a->shift[m];
  const std::string wname = g->AddConstant(conv->input(1) + "_folded", FromDoubles(w->shape(), *wv));
  const std::string bname = g->AddConstant(conv->name() + "_bias_folded", FromDoubles({channels}, bias));
  conv->set_input(1, wname);
  if (conv->input_size() > 2) {
    conv->set_input(2, bname);
  } else {
    conv->add_input(bname);
  }
  return true;
}

// MatMul(A, B) / Gemm(A, B, C) followed by an affine op along the last axis.
bool FoldIntoLinear(WorkGraph* g, onnx::NodeProto* lin, const onnx::NodeProto& next) {
  const bool gemm = IsOp(*lin, "Gemm");
  if (lin->input_size() < 2) return false;
  const Tensor* b = g->Constant(lin->input(1));
  if (b == nullptr || b->dtype() != DType::kF32 || b->rank() != 2) return false;
  const bool trans_b = gemm && AttrInt(*lin, "transB", 0) != 0;
  const int64_t n = trans_b ? b->shape()[0] : b->shape()[1];
  // Output rank: 2 for Gemm; for MatMul at least 2 when A's rank is known to be >= 2.
  int rank = 2;
  if (!gemm) {
    const ValueInfo* ai = g->Info(lin->input(0));
    if (ai == nullptr || !ai->has_shape || ai->dims.size() < 2) return false;
    rank = static_cast<int>(ai->dims.size());
  }
  std::optional<Affine> a = AffineOf(*g, next, lin->output(0), rank, rank - 1, n);
  if (!a || IsOp(next, "BatchNormalization")) return false;
  bool shifts = false;
  for (double s : a->shift) shifts = shifts || s != 0.0;
  std::vector<double> c;  // Gemm's C as [N]
  const bool has_c = gemm && lin->input_size() > 2 && !lin->input(2).empty();
  const double beta = gemm ? AttrFloat(*lin, "beta", 1.0f) : 1.0;
  if (!gemm && shifts) return false;  // MatMul + Add is MatMulBias's job
  if (has_c) {
    const Tensor* ct = g->Constant(lin->input(2));
    std::optional<std::vector<double>> cv = Values(*g, lin->input(2));
    if (ct == nullptr || !cv) return false;
    if (cv->size() == 1) {
      c.assign(n, (*cv)[0]);
    } else if (static_cast<int64_t>(cv->size()) == n && ct->shape().back() == n) {
      c = *cv;
    } else {
      return false;
    }
  } else if (gemm) {
    c.assign(n, 0.0);
  }
  absl::StatusOr<std::vector<double>> bv = ToDoubleVector(*b);
  if (!bv.ok()) return false;
  const int64_t rows = b->shape()[0], cols = b->shape()[1];
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t k = 0; k < cols; ++k) (*bv)[r * cols + k] *= a->scale[trans_b ? r : k];
  }
  lin->set_input(1, g->AddConstant(lin->input(1) + "_folded", FromDoubles(b->shape(), *bv)));
  if (gemm) {
    for (int64_t j = 0; j < n; ++j) c[j] = beta * c[j] * a->scale[j] + a->shift[j];
    const std::string cname = g->AddConstant(lin->name() + "_c_folded", FromDoubles({n}, c));
    if (lin->input_size() > 2) {
      lin->set_input(2, cname);
    } else {
      lin->add_input(cname);
    }
    SetAttr(lin, "beta", 1.0f);
  }
  return true;
}

}  // namespace

int FoldAffineOps(WorkGraph* g) {
  int folded = 0;
  for (bool changed = true; changed;) {
    changed = false;
    const auto uses = g->Uses();
    for (size_t i = 0; i < g->nodes.size() && !changed; ++i) {
      onnx::NodeProto& first = g->nodes[i];
      const bool conv = IsOp(first, "Conv") || IsOp(first, "ConvTranspose");
      const bool linear = IsOp(first, "MatMul") || IsOp(first, "Gemm");
      if (!(conv || linear) || first.output_size() != 1) continue;
      const std::string& out = first.output(0);
      auto u = uses.find(out);
      if (g->IsGraphOutput(out) || u == uses.end() || u->second.size() != 1) continue;
      const int next_index = u->second[0].node;
      const onnx::NodeProto next = g->nodes[next_index];
      const bool ok = conv ? FoldIntoConv(g, &first, next) : FoldIntoLinear(g, &first, next);
      if (!ok) continue;
      // The folded node now produces the affine node's output, at the affine node's position
      // (its other inputs are constants, so nothing between the two positions needs it sooner).
      first.set_output(0, next.output(0));
      onnx::NodeProto moved = std::move(first);
      g->nodes[next_index] = std::move(moved);
      g->nodes.erase(g->nodes.begin() + i);
      ++folded;
      changed = true;
    }
  }
  return folded;
}

}  // namespace rt
}  // namespace tp
