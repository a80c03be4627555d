#include "verify/align.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"
#include "core/tensor_ops.h"
#include "core/tensor_reader.h"
#include "re2/re2.h"
#include "verify/metrics.h"

namespace tp {
namespace verify {
namespace {

// At most this many entries on either side (the alignment table is n x m).
constexpr int kMaxEntries = 4000;

// A layout-free summary of a tensor's values: 33 quantiles, mean and spread.
struct Fingerprint {
  std::vector<double> q;
  double mean = 0, std = 0;
};

absl::StatusOr<Fingerprint> MakeFingerprint(const Tensor& t) {
  Fingerprint f;
  std::vector<double> v;
  constexpr int64_t kSample = int64_t{1} << 20;  // the first million values are enough
  TensorBlockReader reader(t);
  std::vector<double> buf;
  while (static_cast<int64_t>(v.size()) < kSample) {
    ASSIGN_OR_RETURN(TensorBlock b, reader.Next(1 << 16));
    if (b.count == 0) break;
    buf.resize(b.count);
    DecodeToDouble(t.dtype(), b.data, b.count, buf.data());
    for (double x : buf) {
      if (std::isfinite(x)) v.push_back(x);
    }
  }
  if (v.empty()) return f;
  double s = 0, s2 = 0;
  for (double x : v) s += x;
  f.mean = s / v.size();
  for (double x : v) s2 += (x - f.mean) * (x - f.mean);
  f.std = std::sqrt(s2 / v.size());
  std::sort(v.begin(), v.end());
  for (int k = 0; k <= 32; ++k) f.q.push_back(v[(v.size() - 1) * k / 32]);
  return f;
}

double Similarity(const Fingerprint& a, const Fingerprint& b) {
  if (a.q.empty() || b.q.empty()) return a.q.empty() && b.q.empty() ? 1 : 0;
  double d = 0;
  for (size_t k = 0; k < a.q.size(); ++k) d += std::fabs(a.q[k] - b.q[k]);
  d /= a.q.size();
  const double scale = 0.5 * (a.std + b.std) + 1e-12;
  return 1.0 / (1.0 + d / scale);
}

// Lowercase word tokens of a layer name: split at separators, case changes and digits; numbers
// (layer indices) dropped. "flow.blk0.selfAttention" -> flow, blk, self, attention.
std::vector<std::string> NameTokens(const std::string& name) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) out.push_back(cur);
    cur.clear();
  };
  for (size_t k = 0; k < name.size(); ++k) {
    const char c = name[k];
    if (std::isalpha(static_cast<unsigned char>(c))) {
      if (std::isupper(static_cast<unsigned char>(c)) && k > 0 &&
          std::islower(static_cast<unsigned char>(name[k - 1]))) {
        flush();
      }
      cur.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else {
      flush();
    }
  }
  flush();
  return out;
}

// Whether one word abbreviates the other: equal, a prefix of at least 3 letters, or the shorter's
// letters in order within the longer, starting with the same letter ("attn" / "attention",
// "blk" / "block", "mod" / "modulated").
bool Abbreviates(const std::string& a, const std::string& b) {
  const std::string& s = a.size() <= b.size() ? a : b;
  const std::string& l = a.size() <= b.size() ? b : a;
  if (s.size() < 2 || s[0] != l[0]) return s == l;
  size_t k = 0;
  for (char c : l) {
    if (k < s.size() && c == s[k]) ++k;
  }
  return k == s.size() && (s.size() >= 3 || l.size() <= 4);
}

// 0..1: how well the candidate's words name the reference layer; its last word counts most.
double NameSimilarity(const std::vector<std::string>& ref, const std::vector<std::string>& cand) {
  if (ref.empty() || cand.empty()) return 0;
  auto found = [&](const std::string& w) {
    for (const std::string& c : cand) {
      if (Abbreviates(w, c)) return true;
    }
    return false;
  };
  int matched = 0;
  for (const std::string& w : ref) matched += found(w);
  return 0.6 * found(ref.back()) + 0.4 * matched / ref.size();
}

Shape NonUnit(const Shape& s) {
  Shape out;
  for (int64_t d : s) {
    if (d != 1) out.push_back(d);
  }
  return out;
}

// Whether `want` (non-unit dims) is `dims` with runs of consecutive dims merged.
bool MergesTo(const Shape& dims, const Shape& want) {
  size_t i = 0;
  for (int64_t w : want) {
    int64_t p = 1;
    while (i < dims.size() && p < w) p *= dims[i++];
    if (p != w) return false;
  }
  return i == dims.size();
}

struct LayoutOption {
  int score = 0;
  std::string how;
  Shape reshape;
  std::vector<int> perm;
};

// Every way to bring a candidate of shape `c` into the reference shape `r`, best class first.
std::vector<LayoutOption> Layouts(const Shape& c, const Shape& r) {
  std::vector<LayoutOption> out;
  absl::StatusOr<int64_t> nc = NumElements(c), nr = NumElements(r);
  if (!nc.ok() || !nr.ok() || *nc != *nr) return out;
  if (c == r) return {{3000, "shape", {}, {}}};
  if (NonUnit(c) == NonUnit(r)) return {{2800, "squeezed", r, {}}};
  const int rank = static_cast<int>(r.size());
  if (rank >= 2 && rank <= 5) {
    std::vector<int> p(rank);
    if (static_cast<int>(c.size()) == rank) {
      std::iota(p.begin(), p.end(), 0);
      while (std::next_permutation(p.begin(), p.end())) {
        bool fits = true;
        for (int i = 0; i < rank && fits; ++i) fits = c[p[i]] == r[i];
        if (fits) out.push_back({2000, "permuted", {}, p});
      }
      if (!out.empty()) return out;
    }
    // Reshaped then permuted: the candidate is the reference permuted by q, then some runs of
    // its axes merged (a port's [B*T, C] for [B, C, T]).
    std::vector<int> q(rank);
    std::iota(q.begin(), q.end(), 0);
    do {
      Shape permuted(rank);
      for (int k = 0; k < rank; ++k) permuted[k] = r[q[k]];
      bool identity = true;
      for (int k = 0; k < rank; ++k) identity = identity && q[k] == k;
      if (identity) continue;
      if (MergesTo(NonUnit(permuted), NonUnit(c))) {
        out.push_back({1600, "reshaped+permuted", permuted, InversePermutation(q)});
      }
    } while (std::next_permutation(q.begin(), q.end()));
    if (!out.empty()) return out;
  }
  return {{400, "count", r, {}}};
}

absl::StatusOr<Tensor> ApplyLayout(const Tensor& t, const LayoutOption& o) {
  Tensor x = t;
  if (!o.reshape.empty()) {
    ASSIGN_OR_RETURN(Tensor c, x.Contiguous());
    ASSIGN_OR_RETURN(x, c.Reshaped(o.reshape));
  }
  if (!o.perm.empty()) {
    ASSIGN_OR_RETURN(x, PermuteTensor(x, o.perm));
  }
  return x;
}

std::string LayoutText(const AlignedPair& p, const Shape& cand_shape) {
  if (p.how == "name" || p.how == "shape") return "";
  std::string s = ShapeToString(cand_shape);
  if (!p.reshape.empty()) absl::StrAppend(&s, " reshaped to ", ShapeToString(p.reshape));
  if (!p.perm.empty()) absl::StrAppend(&s, " permuted [", absl::StrJoin(p.perm, ","), "]");
  return s;
}

}  // namespace

bool NamesMostlyDiffer(const Checkpoint& reference, const Checkpoint& candidate,
                       const NameMapping& mapping) {
  std::set<std::string> names;
  for (const NamedTensor& t : reference.tensors) names.insert(t.name);
  int common = 0;
  for (const NamedTensor& t : candidate.tensors) common += names.count(mapping.MapName(t.name));
  return 2 * common < static_cast<int>(candidate.tensors.size());
}

absl::StatusOr<Alignment> AlignDumps(const Checkpoint& reference, const Checkpoint& candidate,
                                     const NameMapping& mapping) {
  const int n = static_cast<int>(reference.tensors.size());
  const int m = static_cast<int>(candidate.tensors.size());
  if (n > kMaxEntries || m > kMaxEntries) {
    return absl::InvalidArgumentError(absl::StrCat("automatic alignment handles up to ",
                                                   kMaxEntries, " entries a side (reference ", n,
                                                   ", candidate ", m, "); give a --map"));
  }
  std::vector<Fingerprint> fr(n), fc(m);
  for (int i = 0; i < n; ++i) {
    ASSIGN_OR_RETURN(fr[i], MakeFingerprint(reference.tensors[i].tensor));
  }
  for (int j = 0; j < m; ++j) {
    ASSIGN_OR_RETURN(fc[j], MakeFingerprint(candidate.tensors[j].tensor));
  }
  std::vector<std::string> mapped(m);
  for (int j = 0; j < m; ++j) mapped[j] = mapping.MapName(candidate.tensors[j].name);
  std::vector<std::vector<std::string>> ref_words(n), cand_words(m);
  for (int i = 0; i < n; ++i) ref_words[i] = NameTokens(reference.tensors[i].name);
  for (int j = 0; j < m; ++j) cand_words[j] = NameTokens(mapped[j]);
  // A wrapper module dumps the same tensor as the module it wraps (norm.norm, norm): consecutive
  // reference entries with the same bytes are one step of the alignment, and the candidate pairs
  // with the member its name fits best (the outermost on a tie). DiffDumps compares the others
  // through it.
  std::vector<std::vector<int>> groups;
  for (int i = 0; i < n; ++i) {
    bool same = false;
    if (i > 0) {
      ASSIGN_OR_RETURN(same,
                       SameValues(reference.tensors[i - 1].tensor, reference.tensors[i].tensor));
    }
    if (same) {
      groups.back().push_back(i);
    } else {
      groups.push_back({i});
    }
  }
  const int g = static_cast<int>(groups.size());
  // The member of group `k` that candidate `j` names best.
  auto member = [&](int k, int j) {
    int best = groups[k].back();
    double best_sim = -1;
    for (int i : groups[k]) {
      const double sim = mapped[j] == reference.tensors[i].name
                             ? 2.0
                             : NameSimilarity(ref_words[i], cand_words[j]);
      if (sim >= best_sim) {
        best_sim = sim;
        best = i;
      }
    }
    return best;
  };
  // Pair weights: the shape class decides, the name dominates, similarity breaks ties. Shapes
  // repeat, so their classes are computed once per pair of shapes.
  std::map<std::pair<Shape, Shape>, int> class_score;
  auto weight = [&](int i, int j) -> double {
    const Shape& cs = candidate.tensors[j].tensor.shape();
    const Shape& rs = reference.tensors[i].tensor.shape();
    auto it = class_score.find({cs, rs});
    if (it == class_score.end()) {
      const std::vector<LayoutOption> opts = Layouts(cs, rs);
      it = class_score.emplace(std::make_pair(cs, rs), opts.empty() ? 0 : opts.front().score).first;
    }
    if (it->second == 0) return 0;
    double w = it->second + 60 * NameSimilarity(ref_words[i], cand_words[j]) +
               40 * Similarity(fr[i], fc[j]);
    if (mapped[j] == reference.tensors[i].name) w += 10000;
    return w;
  };
  // S[i][j]: best total over the first i reference groups and j candidate entries.
  std::vector<std::vector<double>> S(g + 1, std::vector<double>(m + 1, 0));
  std::vector<std::vector<uint8_t>> how(g + 1, std::vector<uint8_t>(m + 1, 0));
  for (int i = 1; i <= g; ++i) {
    for (int j = 1; j <= m; ++j) {
      double best = S[i - 1][j];
      uint8_t move = 1;  // skip a reference entry
      if (S[i][j - 1] > best) {
        best = S[i][j - 1];
        move = 2;  // skip a candidate entry
      }
      const double w = weight(member(i - 1, j - 1), j - 1);
      if (w > 0 && S[i - 1][j - 1] + w > best) {
        best = S[i - 1][j - 1] + w;
        move = 3;
      }
      S[i][j] = best;
      how[i][j] = move;
    }
  }
  Alignment a;
  std::vector<bool> ref_used(n, false), cand_used(m, false);
  for (int i = g, j = m; i > 0 && j > 0;) {
    if (how[i][j] == 3) {
      AlignedPair p;
      p.ref = member(i - 1, j - 1);
      p.cand = j - 1;
      a.pairs.push_back(p);
      for (int r : groups[i - 1]) ref_used[r] = true;
      cand_used[j - 1] = true;
      --i;
      --j;
    } else if (how[i][j] == 1) {
      --i;
    } else {
      --j;
    }
  }
  std::reverse(a.pairs.begin(), a.pairs.end());
  // The layout of each pair: among equally direct options, the one closest to the reference.
  for (AlignedPair& p : a.pairs) {
    const Tensor& ref = reference.tensors[p.ref].tensor;
    const Tensor& cand = candidate.tensors[p.cand].tensor;
    std::vector<LayoutOption> opts = Layouts(cand.shape(), ref.shape());
    const int top = opts.front().score;
    opts.erase(std::remove_if(opts.begin(), opts.end(),
                              [&](const LayoutOption& o) { return o.score != top; }),
               opts.end());
    size_t best = 0;
    if (opts.size() > 1) {
      double best_sqnr = -INFINITY;
      for (size_t k = 0; k < opts.size(); ++k) {
        ASSIGN_OR_RETURN(Tensor x, ApplyLayout(cand, opts[k]));
        ASSIGN_OR_RETURN(LayerMetrics mt, CompareTensors(ref, x, 0, 0));
        if (mt.sqnr_db > best_sqnr) {
          best_sqnr = mt.sqnr_db;
          best = k;
        }
      }
    }
    p.how = mapped[p.cand] == reference.tensors[p.ref].name && opts[best].how == "shape"
                ? "name"
                : opts[best].how;
    p.reshape = opts[best].reshape;
    p.perm = opts[best].perm;
    p.confidence = Similarity(fr[p.ref], fc[p.cand]) * (opts.size() > 1 ? 0.9 : 1.0);
    if (p.how == "count") p.confidence *= 0.5;
  }
  for (int i = 0; i < n; ++i) {
    if (!ref_used[i]) a.unaligned_ref.push_back(i);
  }
  for (int j = 0; j < m; ++j) {
    if (!cand_used[j]) a.unaligned_cand.push_back(j);
  }
  return a;
}

NameMapping Alignment::ToMapping(const Checkpoint& reference, const Checkpoint& candidate) const {
  NameMapping m;
  for (const AlignedPair& p : pairs) {
    const std::string& ref = reference.tensors[p.ref].name;
    m.AddPair(candidate.tensors[p.cand].name, ref);
    if (!p.reshape.empty() || !p.perm.empty()) {
      // Exact names: the pattern matches this reference layer only.
      m.AddLayout(absl::StrCat("^", RE2::QuoteMeta(ref), "$"), p.perm, "alignment", p.reshape)
          .IgnoreError();
    }
  }
  // Entries that did not align keep a name no reference layer has.
  return m;
}

std::string Alignment::ToMapText(const Checkpoint& reference, const Checkpoint& candidate) const {
  auto quote = [](const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    return out + "\"";
  };
  std::string s =
      "# Written by verify --write-map: candidate entries paired with reference layers by order\n"
      "# and shape. Review it, keep it beside the port, pass it with --map.\n";
  for (const AlignedPair& p : pairs) {
    absl::StrAppend(&s, "pair { candidate: ", quote(candidate.tensors[p.cand].name),
                    " reference: ", quote(reference.tensors[p.ref].name), " }  # ", p.how,
                    absl::StrFormat(", confidence %.2f", p.confidence), "\n");
  }
  for (const AlignedPair& p : pairs) {
    if (p.reshape.empty() && p.perm.empty()) continue;
    absl::StrAppend(&s, "layout { pattern: ",
                    quote(absl::StrCat("^", RE2::QuoteMeta(reference.tensors[p.ref].name), "$")));
    for (int64_t d : p.reshape) absl::StrAppend(&s, " reshape: ", d);
    for (int d : p.perm) absl::StrAppend(&s, " perm: ", d);
    s += " }\n";
  }
  return s;
}

void AnnotateAlignment(const Alignment& a, const Checkpoint& reference, const Checkpoint& candidate,
                       Report& report) {
  std::map<std::string, const AlignedPair*> by_ref;
  for (const AlignedPair& p : a.pairs) by_ref[reference.tensors[p.ref].name] = &p;
  for (LayerResult& l : report.layers) {
    if (l.status == LayerStatus::kExtra) continue;
    auto it = by_ref.find(l.name);
    if (it == by_ref.end() || it->second->how == "name") continue;
    const AlignedPair& p = *it->second;
    const std::string layout = LayoutText(p, candidate.tensors[p.cand].tensor.shape());
    std::string note = absl::StrFormat("aligned by order and %s%s, confidence %.2f",
                                       p.how == "shape" ? "shape" : "layout",
                                       layout.empty() ? "" : " (" + layout + ")", p.confidence);
    l.note = l.note.empty() ? note : absl::StrCat(note, "; ", l.note);
  }
}

std::string FormatAlignment(const Alignment& a, const Checkpoint& reference,
                            const Checkpoint& candidate) {
  std::string s = absl::StrCat("alignment: the candidate's names differ from the reference's; ",
                               a.pairs.size(), " of ", reference.tensors.size(),
                               " reference layers paired with candidate entries by execution "
                               "order and shape (--write-map FILE keeps it for --map)\n");
  size_t width = 0;
  for (const AlignedPair& p : a.pairs)
    width = std::max(width, reference.tensors[p.ref].name.size());
  width = std::min<size_t>(width, 48);
  for (const AlignedPair& p : a.pairs) {
    const std::string layout = LayoutText(p, candidate.tensors[p.cand].tensor.shape());
    absl::StrAppend(&s,
                    absl::StrFormat("  %-*s <- %s%s  (%.2f)\n", static_cast<int>(width),
                                    reference.tensors[p.ref].name, candidate.tensors[p.cand].name,
                                    layout.empty() ? "" : "  [" + layout + "]", p.confidence));
  }
  if (!a.unaligned_cand.empty()) {
    std::vector<std::string> names;
    for (int j : a.unaligned_cand) names.push_back(candidate.tensors[j].name);
    absl::StrAppend(&s, "  candidate entries with no reference layer: ", absl::StrJoin(names, ", "),
                    "\n");
  }
  return s;
}

}  // namespace verify
}  // namespace tp
