#include "verify/weight_diagnosis.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/half.h"
#include "core/status_macros.h"
#include "core/tensor_ops.h"
#include "re2/re2.h"
#include "verify/hints.h"

namespace tp {
namespace verify {
namespace {

// A dense row-major array in double.
struct Arr {
  Shape shape;
  std::vector<double> v;
};

absl::StatusOr<Arr> ToArr(const Tensor& t) {
  ASSIGN_OR_RETURN(std::vector<double> v, ToDoubleVector(t));
  return Arr{t.shape(), std::move(v)};
}

Tensor ToTensor(const Arr& a) {
  Tensor t = Tensor::Zeros(DType::kF64, a.shape);
  std::copy(a.v.begin(), a.v.end(), t.mutable_data_as<double>());
  return t;
}

std::vector<int> IdentityPerm(int rank) {
  std::vector<int> p(rank);
  std::iota(p.begin(), p.end(), 0);
  return p;
}

bool IsIdentity(const std::vector<int>& p) { return p == IdentityPerm(static_cast<int>(p.size())); }

Shape Permuted(const Shape& s, const std::vector<int>& q) {
  Shape out;
  for (int a : q) out.push_back(s[a]);
  return out;
}

std::string Tuple(const std::vector<int>& p) {
  return absl::StrCat("(", absl::StrJoin(p, ", "), ")");
}

// The value as the converted dtype stores it (q8_0 is judged by its quantization step instead).
double RoundTo(double x, DType d) {
  switch (d) {
    case DType::kF32:
      return static_cast<float>(x);
    case DType::kF16:
      return F16BitsToF32(F32ToF16Bits(static_cast<float>(x)));
    case DType::kBF16:
      return BF16BitsToF32(F32ToBF16Bits(static_cast<float>(x)));
    default:
      return x;
  }
}

// The converted tensor, and whether a hypothesis reproduces it.
class Fit {
 public:
  Fit(Arr c, DType dtype, const DiagnosisOptions& o)
      : c_(std::move(c)), dtype_(dtype), atol_(o.atol), rtol_(o.rtol) {}

  const Arr& converted() const { return c_; }

  // Same element count, every element within the band; the shapes must agree unless
  // `any_shape` (a reinterpretation compares the bytes only).
  bool Fits(const Arr& h, bool any_shape) const {
    if (h.v.size() != c_.v.size() || (!any_shape && h.shape != c_.shape)) return false;
    int64_t block = -1;
    double q_step = 0;
    for (size_t i = 0; i < h.v.size(); ++i) {
      const double a = RoundTo(h.v[i], dtype_), b = c_.v[i];
      if (a == b || (std::isnan(a) && std::isnan(b))) continue;
      if (!std::isfinite(a) || !std::isfinite(b)) return false;
      const double x = std::max(std::fabs(a), std::fabs(b));
      double step = DTypeUlp(x, dtype_);
      if (dtype_ == DType::kQ8_0) {
        if (static_cast<int64_t>(i) / kQ8_0BlockSize != block) {
          block = static_cast<int64_t>(i) / kQ8_0BlockSize;
          double amax = 0;
          for (size_t k = block * kQ8_0BlockSize;
               k < std::min(h.v.size(), static_cast<size_t>((block + 1) * kQ8_0BlockSize)); ++k) {
            amax = std::max(amax, std::fabs(h.v[k]));
          }
          q_step = amax / 127.0 * (1.0 + 127.0 / 2048.0);
        }
        step = q_step;
      }
      const double band = step + 16 * DTypeUlp(x, DType::kF32) + atol_ + rtol_ * std::fabs(a);
      if (!(std::fabs(a - b) <= band)) return false;
    }
    return true;
  }

 private:
  Arr c_;
  DType dtype_;
  double atol_, rtol_;
};

// Replays steps [from, to) of a plan over `values`: a combining step (arity != 1) makes one
// value of them all, the others apply to each value alike.
absl::StatusOr<std::vector<Tensor>> ReplayRange(std::vector<Tensor> values,
                                                const std::vector<Transform>& chain, size_t from,
                                                size_t to) {
  for (size_t k = from; k < to; ++k) {
    const Transform& t = chain[k];
    const TransformDef* def = FindTransform(t.op);
    if (def == nullptr) {
      return absl::UnimplementedError(absl::StrCat("transform \"", t.op, "\" is not registered"));
    }
    if (def->arity != 1) {
      if (def->arity > 0 && static_cast<int>(values.size()) != def->arity) {
        return absl::InvalidArgumentError(absl::StrCat(t.Describe(), " takes ", def->arity,
                                                       " inputs, the plan has ", values.size()));
      }
      ASSIGN_OR_RETURN(Tensor out, ApplyTransform(t, values));
      values = {std::move(out)};
      continue;
    }
    for (Tensor& v : values) {
      ASSIGN_OR_RETURN(v, ApplyTransform(t, {v}));
    }
  }
  return values;
}

absl::StatusOr<Arr> Replay(std::vector<Tensor> values, const std::vector<Transform>& chain,
                           size_t from, size_t to) {
  ASSIGN_OR_RETURN(std::vector<Tensor> out, ReplayRange(std::move(values), chain, from, to));
  if (out.size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat("the plan leaves ", out.size(), " values"));
  }
  return ToArr(out[0]);
}

// ---- names -------------------------------------------------------------------------------------

// "P.weight_ih_l0_reverse": a recurrent layer's tensor.
struct RecurrentName {
  std::string module, kind, layer;
  bool reverse = false;
  std::string Counterpart() const {
    return absl::StrCat(module, ".", kind, "_l", layer, reverse ? "" : "_reverse");
  }
};

std::optional<RecurrentName> ParseRecurrent(const std::string& name) {
  static const RE2* re =
      new RE2(R"((.*)\.(weight_ih|weight_hh|bias_ih|bias_hh)_l(\d+)(_reverse)?)");
  RecurrentName r;
  std::string rev;
  if (!RE2::FullMatch(name, *re, &r.module, &r.kind, &r.layer, &rev)) return std::nullopt;
  r.reverse = !rev.empty();
  return r;
}

// Gates per hidden unit (4 LSTM, 3 GRU, 1 RNN) from weight_hh's shape [gates x H, H]; 0 when
// unknown.
int GateCount(const RecurrentName& r, const TensorGetter& get) {
  const Tensor* hh =
      get(absl::StrCat(r.module, ".weight_hh_l", r.layer, r.reverse ? "_reverse" : ""));
  if (hh == nullptr || hh->rank() != 2 || hh->shape()[1] == 0 ||
      hh->shape()[0] % hh->shape()[1] != 0) {
    return 0;
  }
  return static_cast<int>(hh->shape()[0] / hh->shape()[1]);
}

// Names for the axes of the expected output, and what kind of weight it is.
struct Axes {
  std::vector<std::string> names;  // one per axis; empty: unnamed
  std::string role = "the tensor";
  std::string caveat;           // appended when the layout had to be assumed
  std::vector<int> chain_perm;  // source axis of each output axis; empty when a reshape hides it
};

Axes SourceAxes(const std::string& name, int rank, WeightLayout layout, const TensorGetter& get) {
  Axes a;
  if (std::optional<RecurrentName> r = ParseRecurrent(name)) {
    const int g = GateCount(*r, get);
    const char* op = g == 4 ? "LSTM" : g == 3 ? "GRU" : "RNN";
    const std::string gates = g > 1 ? absl::StrCat(g, "H") : "H";
    if (rank == 2) a.names = {gates, r->kind == "weight_ih" ? "in" : "H"};
    if (rank == 1) a.names = {gates};
    a.role = absl::StrCat("an ", op, " ", r->kind);
    return a;
  }
  if (layout == WeightLayout::kUnknown) {
    if (rank == 2) {
      a.names = {"out", "in"};
      a.role = "a matrix";
      return a;
    }
    if (rank == 3 || rank == 4) {
      layout = WeightLayout::kConv;
      a.caveat = rank == 3 ? " (axes named as for a Conv1d; a ConvTranspose1d has [I, O, K])"
                           : " (axes named as for a Conv2d; a ConvTranspose2d has [I, O, kH, kW])";
    }
  }
  switch (layout) {
    case WeightLayout::kConv:
    case WeightLayout::kConvTranspose: {
      const bool t = layout == WeightLayout::kConvTranspose;
      if (rank < 3 || rank > 5) break;
      a.names = {t ? "I" : "O", t ? "O" : "I"};
      if (rank == 3) a.names.push_back("K");
      if (rank == 5) a.names.push_back("kD");
      if (rank >= 4) {
        a.names.push_back("kH");
        a.names.push_back("kW");
      }
      a.role = absl::StrCat("a ", t ? "ConvTranspose" : "Conv", rank - 2, "d weight");
      break;
    }
    case WeightLayout::kLinear:
      if (rank == 2) a.names = {"out", "in"};
      a.role = "a Linear weight";
      break;
    case WeightLayout::kEmbedding:
      if (rank == 2) a.names = {"rows", "dim"};
      a.role = "an embedding";
      break;
    case WeightLayout::kUnknown:
      break;
  }
  return a;
}

// The axes carried through steps [0, to) of the plan.
void CarryAxes(const std::vector<Transform>& chain, size_t to, int out_rank, Axes& a) {
  a.chain_perm = IdentityPerm(a.names.empty() ? out_rank : static_cast<int>(a.names.size()));
  for (size_t k = 0; k < to; ++k) {
    const Transform& t = chain[k];
    if (t.op == "permute" && t.perm.size() == a.chain_perm.size()) {
      std::vector<int> p;
      std::vector<std::string> n;
      for (int i : t.perm) {
        p.push_back(a.chain_perm[i]);
        if (!a.names.empty()) n.push_back(a.names[i]);
      }
      a.chain_perm = p;
      a.names = n;
    } else if (t.op == "reshape" && t.shape_before != t.shape_after) {
      a.names.clear();
      a.chain_perm.clear();
    }
  }
  if (static_cast<int>(a.names.size()) != out_rank) a.names.clear();
  if (static_cast<int>(a.chain_perm.size()) != out_rank) a.chain_perm.clear();
}

// "[O, K, I] (shape [32, 7, 8])": the expected axes in order `q`.
std::string Layout(const Axes& a, const std::vector<int>& q, const Shape& expected) {
  const std::string shape = ShapeToString(Permuted(expected, q));
  if (a.names.empty()) return absl::StrCat("axes ", Tuple(q), " (shape ", shape, ")");
  std::vector<std::string> n;
  for (int i : q) n.push_back(a.names[i]);
  return absl::StrCat("[", absl::StrJoin(n, ", "), "] (shape ", shape, ")");
}

std::string Gain(double k) {
  return absl::StrFormat("a gain of %+.2f dB", 20 * std::log10(std::fabs(k)));
}

WeightDiagnosis Named(WeightMistake m, std::string text) {
  WeightDiagnosis d;
  d.mistake = m;
  d.text = std::move(text);
  return d;
}

// ---- hypotheses --------------------------------------------------------------------------------

// g * v / ||v||, the norm over the axes in `mask` (bit k: axis k), with `with_g` / `with_norm`
// false leaving that factor out; g broadcasts by its own shape.
std::optional<Arr> WeightNormVariant(const Arr& g, const Arr& v, unsigned mask, bool with_g,
                                     bool with_norm) {
  const int r = static_cast<int>(v.shape.size());
  const bool g_scalar = g.v.size() == 1;
  if (with_g && !g_scalar) {
    if (static_cast<int>(g.shape.size()) != r) return std::nullopt;
    for (int k = 0; k < r; ++k) {
      if (g.shape[k] != 1 && g.shape[k] != v.shape[k]) return std::nullopt;
    }
  }
  std::vector<int64_t> n_stride(r, 0), g_stride(r, 0);
  int64_t n_size = 1, gs = 1;
  for (int k = r - 1; k >= 0; --k) {
    if (!(mask & (1u << k))) {
      n_stride[k] = n_size;
      n_size *= v.shape[k];
    }
    if (with_g && !g_scalar && g.shape[k] != 1) {
      g_stride[k] = gs;
      gs *= g.shape[k];
    }
  }
  auto walk = [&](auto&& f) {
    std::vector<int64_t> idx(r, 0);
    for (size_t e = 0; e < v.v.size(); ++e) {
      int64_t ni = 0, gi = 0;
      for (int k = 0; k < r; ++k) {
        ni += idx[k] * n_stride[k];
        gi += idx[k] * g_stride[k];
      }
      f(e, ni, gi);
      for (int k = r - 1; k >= 0; --k) {
        if (++idx[k] < v.shape[k]) break;
        idx[k] = 0;
      }
    }
  };
  std::vector<double> norm(n_size, 0.0);
  if (with_norm) {
    walk([&](size_t e, int64_t ni, int64_t) { norm[ni] += v.v[e] * v.v[e]; });
    for (double& x : norm) x = std::sqrt(x);
  }
  Arr out{v.shape, std::vector<double>(v.v.size())};
  walk([&](size_t e, int64_t ni, int64_t gi) {
    double x = v.v[e];
    if (with_norm) x /= norm[ni];
    if (with_g) x *= g_scalar ? g.v[0] : g.v[gi];
    out.v[e] = x;
  });
  return out;
}

std::string AxesSet(unsigned mask, int rank) {
  std::vector<int> axes;
  for (int k = 0; k < rank; ++k) {
    if (mask & (1u << k)) axes.push_back(k);
  }
  if (static_cast<int>(axes.size()) == rank) return "all axes (one norm for the whole tensor)";
  std::string s = absl::StrCat(axes.size() == 1 ? "axis " : "axes ",
                               axes.size() == 1 ? absl::StrCat(axes[0]) : Tuple(axes));
  if (static_cast<int>(axes.size()) == rank - 1) {
    for (int k = 0; k < rank; ++k) {
      if (!(mask & (1u << k))) absl::StrAppend(&s, " (PyTorch's dim=", k, ")");
    }
  }
  return s;
}

class Diagnoser {
 public:
  Diagnoser(const WeightCase& c, const TensorGetter& get, const DiagnosisOptions& o, Fit fit)
      : c_(c), get_(get), o_(o), fit_(std::move(fit)) {}

  absl::StatusOr<WeightDiagnosis> Run() {
    body_end_ = c_.transforms.size();
    while (body_end_ > 0 && c_.transforms[body_end_ - 1].op == "cast") --body_end_;
    std::vector<Tensor> inputs;
    for (const std::string& s : c_.sources) {
      const Tensor* t = get_(s);
      if (t == nullptr) return absl::NotFoundError(absl::StrCat("no source tensor \"", s, "\""));
      inputs.push_back(*t);
    }
    if (inputs.empty()) return absl::InvalidArgumentError("the plan names no source tensor");
    ASSIGN_OR_RETURN(expected_, Replay(inputs, c_.transforms, 0, body_end_));
    if (fit_.Fits(expected_, false)) return WeightDiagnosis();
    const Tensor& first = inputs.back();  // v of a weight-norm pair, a part of a concat
    axes_ = SourceAxes(c_.sources.back(), first.rank(), c_.layout, get_);
    CarryAxes(c_.transforms, body_end_, static_cast<int>(expected_.shape.size()), axes_);
    search_ = static_cast<int64_t>(expected_.v.size()) <= o_.max_search_elements;
    for (auto step : {&Diagnoser::WeightNorm, &Diagnoser::Gates, &Diagnoser::Directions}) {
      ASSIGN_OR_RETURN(std::optional<WeightDiagnosis> d, (this->*step)(inputs));
      if (d) return *d;
    }
    WeightDiagnosis d = OutputHypotheses(expected_, axes_, fit_, search_);
    if (d.mistake == WeightMistake::kNone && !search_ && skipped_.empty()) {
      skipped_ = "axis permutations";
    }
    if (d.mistake == WeightMistake::kNone && !skipped_.empty()) {
      d.note = absl::StrCat("not searched: ", skipped_, " (", expected_.v.size(),
                            " elements, above the cap of ", o_.max_search_elements, ")");
    }
    return d;
  }

  // Hypotheses on the expected value itself: axes permuted, bytes reinterpreted, scaled.
  static WeightDiagnosis OutputHypotheses(const Arr& e, const Axes& axes, const Fit& fit,
                                          bool search) {
    const Arr& c = fit.converted();
    const int r = static_cast<int>(e.shape.size());
    // Only a shape that is a permutation of the expected one can be a layout confusion.
    Shape sorted_e = e.shape, sorted_c = c.shape;
    std::sort(sorted_e.begin(), sorted_e.end());
    std::sort(sorted_c.begin(), sorted_c.end());
    if (r >= 1 && r <= 4 && sorted_e == sorted_c) {
      std::vector<int> q = IdentityPerm(r);
      do {
        const bool same_shape = Permuted(e.shape, q) == c.shape;
        if (same_shape && IsIdentity(q)) continue;  // the expected value itself: judged already
        if (!search && !IsIdentity(q)) break;
        Arr h{Permuted(e.shape, q), IsIdentity(q) ? e.v : TransposeArray(e.v, e.shape, q)};
        if (!fit.Fits(h, !same_shape)) continue;
        return same_shape
                   ? Named(WeightMistake::kPermuted, PermutedText(e, axes, q))
                   : Named(WeightMistake::kReinterpreted, ReinterpretedText(e, axes, q, c.shape));
      } while (std::next_permutation(q.begin(), q.end()));
    }
    if (e.shape != c.shape) return WeightDiagnosis();
    double sxx = 0, sxy = 0;
    for (size_t i = 0; i < e.v.size(); ++i) {
      sxx += e.v[i] * e.v[i];
      sxy += e.v[i] * c.v[i];
    }
    if (sxx == 0) return WeightDiagnosis();
    const double fitted = sxy / sxx;
    if (fitted == 0 || std::fabs(fitted - 1) < 1e-6) return WeightDiagnosis();
    auto scaled = [&](double k) {
      Arr h{e.shape, e.v};
      for (double& x : h.v) x *= k;
      return fit.Fits(h, false);
    };
    if (!scaled(fitted)) return WeightDiagnosis();
    // The least-squares factor carries the converted dtype's rounding: name the shortest factor
    // that fits as well.
    double k = fitted;
    for (int digits = 1; digits < 6; ++digits) {
      const double snapped = std::stod(absl::StrFormat("%.*g", digits, fitted));
      if (snapped != 0 && std::fabs(snapped - 1) >= 1e-6 && scaled(snapped)) {
        k = snapped;
        break;
      }
    }
    return Named(WeightMistake::kScaled,
                 absl::StrFormat("a scaled copy: converted = %.6g x expected (%s%s)", k,
                                 k < 0 ? "sign flipped, " : "", Gain(k)));
  }

 private:
  static bool MissingTranspose(const Axes& a, const std::vector<int>& q) {
    return !a.chain_perm.empty() && !IsIdentity(a.chain_perm) &&
           q == InversePermutation(a.chain_perm);
  }

  static std::string PermutedText(const Arr& e, const Axes& a, const std::vector<int>& q) {
    const std::vector<int> id = IdentityPerm(static_cast<int>(q.size()));
    if (MissingTranspose(a, q)) {
      return absl::StrCat(a.role, " stored in the source layout ", Layout(a, q, e.shape), " where ",
                          Layout(a, id, e.shape), " is expected: the transpose ",
                          Tuple(a.chain_perm), " is missing", a.caveat);
    }
    if (q.size() == 2) {
      return absl::StrCat("a transposed matrix: ", a.role, " stored as ", Layout(a, q, e.shape),
                          " where ", Layout(a, id, e.shape), " is expected",
                          e.shape[0] == e.shape[1] ? " (square: the shapes agree)" : "");
    }
    return absl::StrCat(a.role, " stored as ", Layout(a, q, e.shape), " where ",
                        Layout(a, id, e.shape),
                        " is expected: the transpose was applied with the wrong permutation "
                        "(converted = expected permuted by ",
                        Tuple(q), ")", a.caveat);
  }

  static std::string ReinterpretedText(const Arr& e, const Axes& a, const std::vector<int>& q,
                                       const Shape& stored) {
    const int r = static_cast<int>(q.size());
    // What the stored shape claims, in the expected axes (the expected order first).
    std::string claim = absl::StrCat("shape ", ShapeToString(stored));
    std::vector<int> p = IdentityPerm(r);
    do {
      if (Permuted(e.shape, p) == stored) {
        claim = Layout(a, p, e.shape);
        break;
      }
    } while (std::next_permutation(p.begin(), p.end()));
    std::string bytes = IsIdentity(q) ? absl::StrCat("the expected ", Layout(a, q, e.shape))
                        : MissingTranspose(a, q)
                            ? absl::StrCat("the source layout ", Layout(a, q, e.shape))
                            : absl::StrCat("the layout ", Layout(a, q, e.shape));
    return absl::StrCat(a.role, ": the bytes are those of ", bytes, " but the shape says ", claim,
                        ": a missing transpose, the data reinterpreted (reshaped) instead of "
                        "permuted",
                        a.caveat);
  }

  absl::StatusOr<std::optional<WeightDiagnosis>> Fits(std::vector<Tensor> values, size_t from,
                                                      WeightMistake m, std::string text) {
    absl::StatusOr<Arr> h = Replay(std::move(values), c_.transforms, from, body_end_);
    if (!h.ok() || !fit_.Fits(*h, false)) return std::optional<WeightDiagnosis>();
    return std::optional<WeightDiagnosis>(Named(m, std::move(text)));
  }

  // 1. Weight norm: the fuse step's g and v combined otherwise.
  absl::StatusOr<std::optional<WeightDiagnosis>> WeightNorm(const std::vector<Tensor>& inputs) {
    size_t m = 0;
    while (m < body_end_ && c_.transforms[m].op != "fuse_weight_norm") ++m;
    if (m == body_end_ || inputs.size() != 2) return std::optional<WeightDiagnosis>();
    ASSIGN_OR_RETURN(std::vector<Tensor> gv, ReplayRange(inputs, c_.transforms, 0, m));
    if (gv.size() != 2) return std::optional<WeightDiagnosis>();
    ASSIGN_OR_RETURN(Arr g, ToArr(gv[0]));
    ASSIGN_OR_RETURN(Arr v, ToArr(gv[1]));
    const int r = static_cast<int>(v.shape.size());
    if (r > 5) return std::optional<WeightDiagnosis>();
    const int kept = c_.transforms[m].axis;
    const unsigned all = (1u << r) - 1;
    const unsigned right = kept < 0 ? all : all & ~(1u << kept);
    const std::string& g_name = c_.sources[0];
    const std::string& v_name = c_.sources[1];
    const std::string expected =
        kept < 0
            ? "PyTorch's weight norm over the whole tensor"
            : absl::StrCat("PyTorch's dim=", kept, " (the norm over every axis but ", kept, ")");
    auto attempt = [&](std::optional<Arr> f, WeightMistake mk,
                       std::string text) -> absl::StatusOr<std::optional<WeightDiagnosis>> {
      if (!f) return std::optional<WeightDiagnosis>();
      return Fits({ToTensor(*f)}, m + 1, mk, std::move(text));
    };
    for (unsigned mask = 1; mask <= all; ++mask) {
      if (mask == right) continue;
      ASSIGN_OR_RETURN(
          std::optional<WeightDiagnosis> d,
          attempt(WeightNormVariant(g, v, mask, true, true), WeightMistake::kWeightNormAxes,
                  absl::StrCat("weight norm over the wrong axes: g * v / ||v|| with the norm of v "
                               "over ",
                               AxesSet(mask, r), " where ", expected, " is expected")));
      if (d) return d;
    }
    const std::string unfused = "weight norm not fused: the tensor is ";
    ASSIGN_OR_RETURN(std::optional<WeightDiagnosis> d,
                     attempt(v, WeightMistake::kWeightNormUnfused,
                             absl::StrCat(unfused, "v itself (\"", v_name,
                                          "\", the direction without g / ||v||)")));
    if (d) return d;
    ASSIGN_OR_RETURN(
        d, attempt(WeightNormVariant(g, v, 0, true, false), WeightMistake::kWeightNormUnfused,
                   absl::StrCat(unfused, "g * v (\"", g_name, "\" times \"", v_name,
                                "\") without the division by ||v||")));
    if (d) return d;
    return attempt(WeightNormVariant(g, v, right, false, true), WeightMistake::kWeightNormUnfused,
                   absl::StrCat("weight norm without its magnitude: the tensor is v / ||v||, the "
                                "factor g (\"",
                                g_name, "\") is missing"));
  }

  // 2. Recurrent gate blocks in another order along the gate axis (dim 0 of every source).
  absl::StatusOr<std::optional<WeightDiagnosis>> Gates(const std::vector<Tensor>& inputs) {
    std::optional<RecurrentName> rn = ParseRecurrent(c_.sources[0]);
    if (!rn) return std::optional<WeightDiagnosis>();
    const int gates = GateCount(*rn, get_);
    if (gates != 3 && gates != 4) return std::optional<WeightDiagnosis>();
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!ParseRecurrent(c_.sources[i]) || inputs[i].rank() < 1 ||
          inputs[i].shape()[0] % gates != 0) {
        return std::optional<WeightDiagnosis>();
      }
    }
    if (!search_) {
      skipped_ = "gate orders";
      return std::optional<WeightDiagnosis>();
    }
    std::vector<Arr> src;
    for (const Tensor& t : inputs) {
      ASSIGN_OR_RETURN(Arr a, ToArr(t));
      src.push_back(std::move(a));
    }
    const bool lstm = gates == 4;
    const std::vector<std::string> names = lstm ? std::vector<std::string>{"i", "f", "g", "o"}
                                                : std::vector<std::string>{"r", "z", "n"};
    const std::vector<int> onnx = lstm ? std::vector<int>{0, 3, 1, 2} : std::vector<int>{1, 0, 2};
    // Every order is tried: a tensor holding part of the gates (split_gates) may fit several.
    std::vector<std::vector<int>> fitting;
    std::vector<int> order = IdentityPerm(gates);
    while (std::next_permutation(order.begin(), order.end())) {
      std::vector<Tensor> values;
      for (const Arr& a : src) {
        values.push_back(ToTensor(Arr{a.shape, ReorderChunks(a.v, a.shape, 0, order)}));
      }
      ASSIGN_OR_RETURN(std::optional<WeightDiagnosis> d,
                       Fits(std::move(values), 0, WeightMistake::kGateOrder, ""));
      if (d) fitting.push_back(order);
    }
    if (fitting.empty()) return std::optional<WeightDiagnosis>();
    const std::string kind = lstm ? "LSTM" : "GRU";
    const std::string blocks =
        absl::StrCat(" (PyTorch's order ", absl::StrJoin(names, ", "), "; blocks of ",
                     inputs[0].shape()[0] / gates, " rows along dim 0)");
    std::string text;
    const std::string onnx_order =
        lstm ? "ONNX's order i, o, f, c" : "ONNX's and Keras's order z, r, h";
    if (fitting.size() == 1) {
      const std::vector<int>& named = fitting[0];
      std::vector<std::string> got;
      for (int k : named) got.push_back(names[k]);
      text = absl::StrCat(kind, " gate blocks in order ", absl::StrJoin(got, ", "));
      if (named == onnx) absl::StrAppend(&text, " (", onnx_order, ")");
      absl::StrAppend(&text, " where PyTorch's ", absl::StrJoin(names, ", "),
                      " is expected (blocks of ", inputs[0].shape()[0] / gates,
                      " rows along dim 0)");
    } else {
      // Only some blocks are pinned down (a tensor holding part of the gates): name those.
      std::vector<std::string> held, wanted;
      for (int j = 0; j < gates; ++j) {
        bool agree = true;
        for (const std::vector<int>& f : fitting) agree = agree && f[j] == fitting[0][j];
        if (!agree || fitting[0][j] == j) continue;
        held.push_back(names[fitting[0][j]]);
        wanted.push_back(names[j]);
      }
      if (held.empty()) return std::optional<WeightDiagnosis>();
      text = absl::StrCat(kind, " gate blocks exchanged: it holds gate ", absl::StrJoin(held, ", "),
                          " where gate ", absl::StrJoin(wanted, ", "), " is expected", blocks);
      if (std::find(fitting.begin(), fitting.end(), onnx) != fitting.end()) {
        absl::StrAppend(&text, ", consistent with ", onnx_order);
      }
    }
    return std::optional<WeightDiagnosis>(Named(WeightMistake::kGateOrder, std::move(text)));
  }

  // 3. The other direction's tensors in place of this direction's.
  absl::StatusOr<std::optional<WeightDiagnosis>> Directions(const std::vector<Tensor>& inputs) {
    std::vector<Tensor> swapped;
    std::vector<std::string> names;
    bool forward = false, reverse = false;
    for (size_t i = 0; i < inputs.size(); ++i) {
      std::optional<RecurrentName> rn = ParseRecurrent(c_.sources[i]);
      if (!rn) return std::optional<WeightDiagnosis>();
      (rn->reverse ? reverse : forward) = true;
      const Tensor* other = get_(rn->Counterpart());
      if (other == nullptr || other->shape() != inputs[i].shape()) {
        return std::optional<WeightDiagnosis>();
      }
      swapped.push_back(*other);
      names.push_back(rn->Counterpart());
    }
    const std::string text =
        forward && reverse
            ? std::string(
                  "the bidirectional directions are swapped: the forward and reverse "
                  "parts are exchanged within the tensor")
            : absl::StrCat("the bidirectional directions are swapped: it holds the ",
                           reverse ? "forward" : "reverse", " direction's values (\"",
                           absl::StrJoin(names, "\", \""), "\") where \"",
                           absl::StrJoin(c_.sources, "\", \""), "\" is expected");
    return Fits(std::move(swapped), 0, WeightMistake::kDirectionsSwapped, text);
  }

  const WeightCase& c_;
  const TensorGetter& get_;
  const DiagnosisOptions& o_;
  Fit fit_;
  size_t body_end_ = 0;
  Arr expected_;
  Axes axes_;
  bool search_ = true;
  std::string skipped_;
};

absl::StatusOr<Fit> MakeFit(const Tensor& converted, const DiagnosisOptions& o) {
  if (!IsFloating(converted.dtype()) && converted.dtype() != DType::kQ8_0) {
    return absl::InvalidArgumentError("not a float tensor");
  }
  if (converted.num_elements() > o.max_elements) {
    return absl::ResourceExhaustedError(
        absl::StrCat(converted.num_elements(), " elements, above the cap of ", o.max_elements));
  }
  ASSIGN_OR_RETURN(Arr c, ToArr(converted));
  return Fit(std::move(c), converted.dtype(), o);
}

WeightDiagnosis NotDiagnosed(const absl::Status& s) {
  WeightDiagnosis d;
  if (s.code() == absl::StatusCode::kResourceExhausted) {
    d.note = absl::StrCat("not diagnosed: ", s.message());
  }
  return d;
}

}  // namespace

const char* WeightMistakeName(WeightMistake m) {
  switch (m) {
    case WeightMistake::kNone:
      return "none";
    case WeightMistake::kWeightNormAxes:
      return "weight-norm-axes";
    case WeightMistake::kWeightNormUnfused:
      return "weight-norm-unfused";
    case WeightMistake::kGateOrder:
      return "gate-order";
    case WeightMistake::kDirectionsSwapped:
      return "directions-swapped";
    case WeightMistake::kPermuted:
      return "permuted";
    case WeightMistake::kReinterpreted:
      return "reinterpreted";
    case WeightMistake::kScaled:
      return "scaled";
  }
  return "?";
}

WeightLayout LayoutOfOp(absl::string_view op) {
  if (op == "Conv") return WeightLayout::kConv;
  if (op == "ConvTranspose") return WeightLayout::kConvTranspose;
  if (op == "Gemm" || op == "MatMul") return WeightLayout::kLinear;
  if (op == "Gather") return WeightLayout::kEmbedding;
  return WeightLayout::kUnknown;
}

double DTypeUlp(double x, DType dtype) {
  int mantissa = 0, min_exp = 0;
  switch (dtype) {
    case DType::kF32:
      mantissa = 23;
      min_exp = -126;
      break;
    case DType::kF16:
      mantissa = 10;
      min_exp = -14;
      break;
    case DType::kBF16:
      mantissa = 7;
      min_exp = -126;
      break;
    case DType::kF64:
      mantissa = 52;
      min_exp = -1022;
      break;
    default:
      return 0;
  }
  int e = 0;
  std::frexp(std::fabs(x), &e);  // |x| = m 2^e, m in [0.5, 1): the exponent of x is e - 1
  const int exponent = (x == 0 || !std::isfinite(x)) ? min_exp : std::max(e - 1, min_exp);
  return std::ldexp(1.0, exponent - mantissa);
}

WeightDiagnosis DiagnoseWeight(const WeightCase& c, const TensorGetter& source,
                               const DiagnosisOptions& o) {
  absl::StatusOr<Fit> fit = MakeFit(c.converted, o);
  if (!fit.ok()) return NotDiagnosed(fit.status());
  Diagnoser d(c, source, o, *std::move(fit));
  absl::StatusOr<WeightDiagnosis> r = d.Run();
  return r.ok() ? *r : NotDiagnosed(r.status());
}

WeightDiagnosis DiagnoseAgainst(const Tensor& expected, const Tensor& converted,
                                WeightLayout layout, const DiagnosisOptions& o) {
  absl::StatusOr<Fit> fit = MakeFit(converted, o);
  if (!fit.ok()) return NotDiagnosed(fit.status());
  if (expected.num_elements() > o.max_elements) {
    return NotDiagnosed(absl::ResourceExhaustedError("expected tensor above the cap"));
  }
  absl::StatusOr<Arr> e = ToArr(expected);
  if (!e.ok() || fit->Fits(*e, false)) return WeightDiagnosis();
  TensorGetter none = [](const std::string&) { return nullptr; };
  Axes axes = SourceAxes("", expected.rank(), layout, none);
  axes.chain_perm.clear();
  if (static_cast<int>(axes.names.size()) != expected.rank()) axes.names.clear();
  return Diagnoser::OutputHypotheses(*e, axes, *fit,
                                     expected.num_elements() <= o.max_search_elements);
}

}  // namespace verify
}  // namespace tp
