#include "verify/derived_params.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "core/tensor_ops.h"

namespace tp {
namespace verify {
namespace {

absl::StatusOr<std::vector<double>> Doubles(const Tensor& t) { return ToDoubleVector(t); }

Tensor F64(const Shape& shape, const std::vector<double>& values) {
  Tensor t = Tensor::Zeros(DType::kF64, shape);
  std::copy(values.begin(), values.end(), t.mutable_data_as<double>());
  return t;
}

int64_t Product(const Shape& s, int begin, int end) {
  int64_t p = 1;
  for (int i = begin; i < end; ++i) p *= s[i];
  return p;
}

absl::StatusOr<const Tensor*> Need(const TensorGetter& get, const std::string& name) {
  const Tensor* t = get(name);
  if (t == nullptr) return absl::NotFoundError(absl::StrCat("no tensor \"", name, "\""));
  return t;
}

// gamma / sqrt(var + eps) per channel.
absl::StatusOr<std::vector<double>> BatchNormScale(const BatchNormParams& bn, double eps,
                                                   const TensorGetter& get) {
  ASSIGN_OR_RETURN(const Tensor* w, Need(get, bn.weight));
  ASSIGN_OR_RETURN(const Tensor* v, Need(get, bn.var));
  ASSIGN_OR_RETURN(std::vector<double> gamma, Doubles(*w));
  ASSIGN_OR_RETURN(std::vector<double> var, Doubles(*v));
  if (gamma.size() != var.size()) {
    return absl::InvalidArgumentError(absl::StrCat(bn.module, ": weight and running_var differ"));
  }
  std::vector<double> s(gamma.size());
  for (size_t c = 0; c < s.size(); ++c) s[c] = gamma[c] / std::sqrt(var[c] + eps);
  return s;
}

}  // namespace

std::vector<WeightNormPair> FindWeightNormPairs(const std::vector<std::string>& names,
                                                const TensorGetter& get) {
  static const char* kG[] = {".weight_g", ".parametrizations.weight.original0"};
  static const char* kV[] = {".weight_v", ".parametrizations.weight.original1"};
  std::vector<WeightNormPair> pairs;
  for (const std::string& n : names) {
    for (int k = 0; k < 2; ++k) {
      if (!absl::EndsWith(n, kG[k])) continue;
      const std::string module = n.substr(0, n.size() - std::strlen(kG[k]));
      const std::string v_name = module + kV[k];
      const Tensor* g = get(n);
      const Tensor* v = get(v_name);
      if (g == nullptr || v == nullptr) continue;
      int axis = -1;
      if (g->rank() == v->rank()) {
        for (int a = 0; a < v->rank(); ++a) {
          if (g->shape()[a] != 1 && g->shape()[a] == v->shape()[a]) axis = a;
        }
        // All dims 1: dim 0 of a tensor whose dim 0 is 1, or the norm over everything.
        if (axis < 0 && g->num_elements() == 1 && v->rank() > 0 && v->shape()[0] == 1) axis = 0;
      }
      if (axis < 0 && g->num_elements() != 1) continue;
      pairs.push_back({module + ".weight", n, v_name, axis});
    }
  }
  return pairs;
}

absl::StatusOr<Tensor> WeightNormProduct(const WeightNormPair& p, const TensorGetter& get) {
  ASSIGN_OR_RETURN(const Tensor* g, Need(get, p.g));
  ASSIGN_OR_RETURN(const Tensor* v, Need(get, p.v));
  absl::StatusOr<Tensor> out = WeightNormF64(*g, *v, p.axis);
  if (!out.ok()) return absl::InvalidArgumentError(absl::StrCat(p.g, ": ", out.status().message()));
  return out;
}

std::vector<BatchNormParams> FindBatchNorms(const std::vector<std::string>& names,
                                            const TensorGetter& get) {
  std::vector<BatchNormParams> out;
  for (const std::string& n : names) {
    if (!absl::EndsWith(n, ".running_mean")) continue;
    BatchNormParams bn;
    bn.module = n.substr(0, n.size() - std::strlen(".running_mean"));
    bn.mean = n;
    bn.var = bn.module + ".running_var";
    bn.weight = bn.module + ".weight";
    bn.bias = bn.module + ".bias";
    const Tensor* m = get(bn.mean);
    const Tensor* v = get(bn.var);
    const Tensor* w = get(bn.weight);
    const Tensor* b = get(bn.bias);
    if (m == nullptr || v == nullptr || w == nullptr || b == nullptr || m->rank() != 1) continue;
    bn.channels = m->shape()[0];
    if (v->num_elements() != bn.channels || w->num_elements() != bn.channels ||
        b->num_elements() != bn.channels) {
      continue;
    }
    out.push_back(bn);
  }
  return out;
}

absl::StatusOr<Tensor> FoldBatchNormWeight(const Tensor& weight, const BatchNormParams& bn,
                                           double eps, int axis, const TensorGetter& get) {
  if (axis < 0 || axis >= weight.rank() || weight.shape()[axis] != bn.channels) {
    return absl::InvalidArgumentError(absl::StrCat(bn.module, ": ", bn.channels,
                                                   " channels do not fit weight ",
                                                   ShapeToString(weight.shape())));
  }
  ASSIGN_OR_RETURN(std::vector<double> s, BatchNormScale(bn, eps, get));
  ASSIGN_OR_RETURN(std::vector<double> w, Doubles(weight));
  const int64_t outer = Product(weight.shape(), 0, axis);
  const int64_t inner = Product(weight.shape(), axis + 1, weight.rank());
  for (int64_t a = 0; a < outer; ++a)
    for (int64_t c = 0; c < bn.channels; ++c)
      for (int64_t i = 0; i < inner; ++i) w[(a * bn.channels + c) * inner + i] *= s[c];
  return F64(weight.shape(), w);
}

absl::StatusOr<Tensor> FoldBatchNormBias(const Tensor* bias, const BatchNormParams& bn,
                                         double eps, const TensorGetter& get) {
  ASSIGN_OR_RETURN(std::vector<double> s, BatchNormScale(bn, eps, get));
  ASSIGN_OR_RETURN(const Tensor* m, Need(get, bn.mean));
  ASSIGN_OR_RETURN(const Tensor* beta_t, Need(get, bn.bias));
  ASSIGN_OR_RETURN(std::vector<double> mean, Doubles(*m));
  ASSIGN_OR_RETURN(std::vector<double> beta, Doubles(*beta_t));
  std::vector<double> b(bn.channels, 0.0);
  if (bias != nullptr) {
    ASSIGN_OR_RETURN(b, Doubles(*bias));
    if (static_cast<int64_t>(b.size()) != bn.channels) {
      return absl::InvalidArgumentError(absl::StrCat(bn.module, ": conv bias has ", b.size(),
                                                     " values, expected ", bn.channels));
    }
  }
  for (int64_t c = 0; c < bn.channels; ++c) b[c] = (b[c] - mean[c]) * s[c] + beta[c];
  return F64({bn.channels}, b);
}

absl::StatusOr<double> EstimateBatchNormEps(const Tensor& weight, const Tensor& folded,
                                            const BatchNormParams& bn, int axis,
                                            const TensorGetter& get) {
  if (weight.shape() != folded.shape() || axis < 0 || axis >= weight.rank() ||
      weight.shape()[axis] != bn.channels) {
    return absl::InvalidArgumentError("shapes do not fit a folded BatchNorm");
  }
  ASSIGN_OR_RETURN(std::vector<double> w, Doubles(weight));
  ASSIGN_OR_RETURN(std::vector<double> f, Doubles(folded));
  ASSIGN_OR_RETURN(const Tensor* gt, Need(get, bn.weight));
  ASSIGN_OR_RETURN(const Tensor* vt, Need(get, bn.var));
  ASSIGN_OR_RETURN(std::vector<double> gamma, Doubles(*gt));
  ASSIGN_OR_RETURN(std::vector<double> var, Doubles(*vt));
  const int64_t outer = Product(weight.shape(), 0, axis);
  const int64_t inner = Product(weight.shape(), axis + 1, weight.rank());
  std::vector<double> eps;
  for (int64_t c = 0; c < bn.channels; ++c) {
    double best = 0;
    int64_t at = -1;
    for (int64_t a = 0; a < outer; ++a)
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t k = (a * bn.channels + c) * inner + i;
        if (std::fabs(w[k]) > best) {
          best = std::fabs(w[k]);
          at = k;
        }
      }
    if (at < 0 || f[at] == 0) continue;
    const double scale = f[at] / w[at];  // gamma / sqrt(var + eps)
    if (scale == 0) continue;
    eps.push_back(gamma[c] * gamma[c] / (scale * scale) - var[c]);
  }
  if (eps.empty()) return absl::InvalidArgumentError("no channel with a usable weight");
  std::nth_element(eps.begin(), eps.begin() + eps.size() / 2, eps.end());
  return std::max(0.0, eps[eps.size() / 2]);
}

std::vector<RecurrentBlock> FindRecurrentBlocks(const std::vector<std::string>& names,
                                                const TensorGetter& get) {
  std::vector<RecurrentBlock> out;
  for (const std::string& n : names) {
    const size_t at = n.rfind(".weight_ih_l");
    if (at == std::string::npos || absl::EndsWith(n, "_reverse")) continue;
    const std::string prefix = n.substr(0, at), layer = n.substr(at + 12);
    const Tensor* ih = get(n);
    const Tensor* hh = get(absl::StrCat(prefix, ".weight_hh_l", layer));
    if (ih == nullptr || hh == nullptr || hh->rank() != 2 || hh->shape()[1] == 0 ||
        hh->shape()[0] % hh->shape()[1] != 0) {
      continue;
    }
    const int64_t gates = hh->shape()[0] / hh->shape()[1];
    const char* op = gates == 4 ? "LSTM" : gates == 3 ? "GRU" : gates == 1 ? "RNN" : nullptr;
    if (op == nullptr) continue;
    std::vector<std::string> dirs = {""};
    if (get(absl::StrCat(prefix, ".weight_ih_l", layer, "_reverse")) != nullptr) {
      dirs.push_back("_reverse");
    }
    for (const auto& [key, parts] :
         {std::make_pair("W", std::vector<std::string>{"weight_ih"}),
          std::make_pair("R", std::vector<std::string>{"weight_hh"}),
          std::make_pair("B", std::vector<std::string>{"bias_ih", "bias_hh"})}) {
      RecurrentBlock b;
      b.key = absl::StrCat(prefix, ".l", layer, ".", key);
      b.op = op;
      bool complete = true;
      for (const std::string& sfx : dirs) {
        for (const std::string& part : parts) {
          const std::string name = absl::StrCat(prefix, ".", part, "_l", layer, sfx);
          complete = complete && get(name) != nullptr;
          b.sources.push_back(name);
        }
      }
      if (complete) out.push_back(std::move(b));
    }
  }
  return out;
}

absl::StatusOr<Tensor> RecurrentBlockValue(const RecurrentBlock& block, const TensorGetter& get) {
  // Gate order of ONNX in terms of PyTorch's gate blocks.
  std::vector<int> order = {0};
  int gates = 1;
  if (block.op == "LSTM") {
    order = {0, 3, 1, 2};  // i, f, g, o -> i, o, f, c
    gates = 4;
  } else if (block.op == "GRU") {
    order = {1, 0, 2};     // r, z, n -> z, r, h
    gates = 3;
  }
  const bool is_bias = absl::EndsWith(block.key, ".B");
  const int per_dir = is_bias ? 2 : 1;
  const int dirs = static_cast<int>(block.sources.size()) / per_dir;
  std::vector<double> all;
  int64_t rows = 0, cols = 0;
  for (const std::string& name : block.sources) {
    ASSIGN_OR_RETURN(const Tensor* t, Need(get, name));
    if (t->rank() < 1 || t->shape()[0] % gates != 0) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": shape ", ShapeToString(t->shape()),
                                                     " does not split into ", gates, " gates"));
    }
    ASSIGN_OR_RETURN(std::vector<double> v, Doubles(*t));
    const int64_t gate = static_cast<int64_t>(v.size()) / gates;
    for (int g : order) all.insert(all.end(), v.begin() + g * gate, v.begin() + (g + 1) * gate);
    rows = t->shape()[0];
    cols = t->rank() == 2 ? t->shape()[1] : 0;
  }
  const Shape shape = is_bias ? Shape{dirs, static_cast<int64_t>(all.size()) / dirs}
                              : Shape{dirs, rows, cols};
  return F64(shape, all);
}

}  // namespace verify
}  // namespace tp
