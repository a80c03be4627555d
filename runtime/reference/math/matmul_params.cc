#include "runtime/reference/math/matmul_params.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/status_macros.h"
#include "runtime/reference/util.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
absl::StatusOr<MatMulPlan> PlanMatMul(const KernelContext& ctx, const Shape& a_in,
                                      const Shape& b_in) {
  if (a_in.empty() || b_in.empty()) {
    return ctx.Invalid(absl::StrCat("MatMul operands ", ShapeToString(a_in), " and ",
                                     ShapeToString(b_in), ": expected rank >= 1"));
  }
  Shape a = a_in, b = b_in;
  const bool a_vec = a.size() == 1, b_vec = b.size() == 1;
  if (a_vec) a.insert(a.begin(), 1);
  if (b_vec) b.push_back(1);
  MatMulPlan p;
  p.m = a[a.size() - 2];
  p.k = a[a.size() - 1];
  p.n = b[b.size() - 1];
  if (b[b.size() - 2] != p.k) {
    return ctx.Invalid(absl::StrCat("MatMul A ", ShapeToString(a_in), " and B ",
                                     ShapeToString(b_in), ": inner dims ", p.k, " and ",
                                     b[b.size() - 2], " differ"));
  }
  Shape a_batch(a.begin(), a.end() - 2), b_batch(b.begin(), b.end() - 2);
  absl::StatusOr<Shape> batch_or = BroadcastShapes({a_batch, b_batch});
  if (!batch_or.ok()) {
    return ctx.Invalid(absl::StrCat("MatMul A ", ShapeToString(a_in), " and B ",
                                     ShapeToString(b_in), ": batch dims do not broadcast"));
  }
  const Shape batch = *batch_or;
  p.out_shape = batch;
  if (!a_vec) p.out_shape.push_back(p.m);
  if (!b_vec) p.out_shape.push_back(p.n);
  RETURN_IF_ERROR(CheckOutputSize(ctx, p.out_shape));
  const int64_t count = Product(batch);
  p.a_batch.resize(count);
  p.b_batch.resize(count);
  const size_t r = batch.size();
  std::vector<int64_t> idx(r, 0);
  for (int64_t i = 0; i < count; ++i) {
    int64_t ao = 0, bo = 0;
    for (size_t d = 0; d < r; ++d) {
      const size_t ad = d + a_batch.size();  // index into a_batch when >= r
      if (ad >= r) {
        const int64_t dim = a_batch[ad - r];
        ao = ao * dim + (dim == 1 ? 0 : idx[d]);
      }
      const size_t bd = d + b_batch.size();
      if (bd >= r) {
        const int64_t dim = b_batch[bd - r];
        bo = bo * dim + (dim == 1 ? 0 : idx[d]);
      }
    }
    p.a_batch[i] = ao;
    p.b_batch[i] = bo;
    for (int d = static_cast<int>(r) - 1; d >= 0; --d) {
      if (++idx[d] < batch[d]) break;
      idx[d] = 0;
    }
  }
  return p;
}

absl::StatusOr<GemmParams> ResolveGemm(const KernelContext& ctx, const Shape& a, const Shape& b,
                                       const Tensor* c) {
  if (a.size() != 2 || b.size() != 2) {
    return ctx.Invalid(absl::StrCat("Gemm A ", ShapeToString(a), ", B ", ShapeToString(b),
                                     ": expected 2-D operands"));
  }
  GemmParams p;
  p.trans_a = ctx.GetInt("transA", 0) != 0;
  p.trans_b = ctx.GetInt("transB", 0) != 0;
  p.alpha = ctx.GetFloat("alpha", 1.0f);
  p.beta = ctx.GetFloat("beta", 1.0f);
  p.m = p.trans_a ? a[1] : a[0];
  p.k = p.trans_a ? a[0] : a[1];
  const int64_t kb = p.trans_b ? b[1] : b[0];
  p.n = p.trans_b ? b[0] : b[1];
  if (kb != p.k) {
    return ctx.Invalid(absl::StrCat("Gemm A ", ShapeToString(a), " (transA ", p.trans_a, "), B ",
                                     ShapeToString(b), " (transB ", p.trans_b,
                                     "): inner dims ", p.k, " and ", kb, " differ"));
  }
  if (c != nullptr) {
    const Shape& cs = c->shape();
    Shape c2 = cs;
    if (c2.size() > 2) {
      return ctx.Invalid(absl::StrCat("Gemm C ", ShapeToString(cs), ": expected rank <= 2"));
    }
    while (c2.size() < 2) c2.insert(c2.begin(), 1);
    if ((c2[0] != 1 && c2[0] != p.m) || (c2[1] != 1 && c2[1] != p.n)) {
      return ctx.Invalid(absl::StrCat("Gemm C ", ShapeToString(cs),
                                       " does not broadcast to [", p.m, ", ", p.n, "]"));
    }
    p.has_c = true;
    p.c_row_stride = c2[0] == 1 ? 0 : c2[1];
    p.c_col_stride = c2[1] == 1 ? 0 : 1;
  }
  return p;
}

absl::StatusOr<EinsumPlan> PlanEinsum(const KernelContext& ctx,
                                      const std::vector<Shape>& shapes) {
  std::string eq = ctx.GetString("equation", "");
  eq.erase(std::remove(eq.begin(), eq.end(), ' '), eq.end());
  if (eq.empty()) return ctx.Invalid("attribute 'equation' is missing or empty");
  std::string lhs = eq, rhs;
  const bool explicit_out = eq.find("->") != std::string::npos;
  if (explicit_out) {
    lhs = eq.substr(0, eq.find("->"));
    rhs = eq.substr(eq.find("->") + 2);
  }
  std::vector<std::string> terms = absl::StrSplit(lhs, ',');
  if (terms.size() != shapes.size()) {
    return ctx.Invalid(absl::StrCat("equation \"", eq, "\" has ", terms.size(),
                                     " operands, the node has ", shapes.size(), " inputs"));
  }
  auto letter = [](char c) -> int {
    if (c >= 'a' && c <= 'z') return c - 'a';
    if (c >= 'A' && c <= 'Z') return 26 + (c - 'A');
    return -1;
  };
  // Parse terms into letter lists with an ellipsis position.
  struct Term {
    std::vector<int> before, after;
    bool ellipsis = false;
  };
  auto parse = [&](const std::string& s, Term* t) -> absl::Status {
    size_t i = 0;
    while (i < s.size()) {
      if (s.compare(i, 3, "...") == 0) {
        if (t->ellipsis) return ctx.Invalid(absl::StrCat("equation \"", eq, "\": two '...'"));
        t->ellipsis = true;
        i += 3;
        continue;
      }
      const int l = letter(s[i]);
      if (l < 0) {
        return ctx.Invalid(absl::StrCat("equation \"", eq, "\": unexpected character '",
                                         std::string(1, s[i]),
                                         "'"));
      }
      (t->ellipsis ? t->after : t->before).push_back(l);
      ++i;
    }
    return absl::OkStatus();
  };
  std::vector<Term> parsed(terms.size());
  int ell_rank = 0;
  for (size_t o = 0; o < terms.size(); ++o) {
    RETURN_IF_ERROR(parse(terms[o], &parsed[o]));
    const int named = parsed[o].before.size() + parsed[o].after.size();
    const int rank = shapes[o].size();
    if (parsed[o].ellipsis ? rank < named : rank != named) {
      return ctx.Invalid(absl::StrCat("equation \"", eq, "\": operand ", o, " term \"", terms[o],
                                       "\" does not match its shape ",
                                       ShapeToString(shapes[o])));
    }
    if (parsed[o].ellipsis) ell_rank = std::max(ell_rank, rank - named);
  }
  EinsumPlan p;
  p.num_labels = 52 + ell_rank;
  p.label_size.assign(p.num_labels, -1);
  std::vector<int> count(p.num_labels, 0);
  auto bind = [&](int label, int64_t dim, bool broadcastable) -> absl::Status {
    int64_t& s = p.label_size[label];
    if (s == -1 || (broadcastable && s == 1)) {
      s = dim;
    } else if (dim != s && !(broadcastable && dim == 1)) {
      return ctx.Invalid(absl::StrCat("equation \"", eq, "\": dim of size ", dim,
                                       " does not match earlier size ", s));
    }
    return absl::OkStatus();
  };
  p.operand_labels.resize(terms.size());
  for (size_t o = 0; o < terms.size(); ++o) {
    const Term& t = parsed[o];
    const int rank = shapes[o].size();
    const int e = t.ellipsis ? rank - static_cast<int>(t.before.size() + t.after.size()) : 0;
    std::vector<int>& labels = p.operand_labels[o];
    for (int l : t.before) labels.push_back(l);
    for (int j = 0; j < e; ++j) labels.push_back(52 + ell_rank - e + j);
    for (int l : t.after) labels.push_back(l);
    for (int d = 0; d < rank; ++d) {
      RETURN_IF_ERROR(bind(labels[d], shapes[o][d], labels[d] >= 52));
      ++count[labels[d]];
    }
  }
  if (explicit_out) {
    Term out;
    RETURN_IF_ERROR(parse(rhs, &out));
    for (int l : out.before) p.output_labels.push_back(l);
    if (out.ellipsis) {
      for (int j = 0; j < ell_rank; ++j) p.output_labels.push_back(52 + j);
    }
    for (int l : out.after) p.output_labels.push_back(l);
    for (int l : p.output_labels) {
      if (l < 52 && count[l] == 0) {
        return ctx.Invalid(absl::StrCat("equation \"", eq, "\": output label '",
                                         std::string(1, static_cast<char>(
                                                            l < 26 ? 'a' + l : 'A' + l - 26)),
                                         "' appears in no operand"));
      }
    }
  } else {
    for (int j = 0; j < ell_rank; ++j) p.output_labels.push_back(52 + j);
    // Implicit mode: labels used exactly once, in alphabetical order (upper case sorts first).
    for (int l = 26; l < 52; ++l) {
      if (count[l] == 1) p.output_labels.push_back(l);
    }
    for (int l = 0; l < 26; ++l) {
      if (count[l] == 1) p.output_labels.push_back(l);
    }
  }
  std::vector<bool> in_out(p.num_labels, false);
  for (int l : p.output_labels) {
    if (in_out[l]) {
      return ctx.Invalid(absl::StrCat("equation \"", eq, "\": repeated output label"));
    }
    in_out[l] = true;
  }
  for (int l = 0; l < p.num_labels; ++l) {
    if (count[l] > 0 && !in_out[l]) p.summed_labels.push_back(l);
  }
  for (int l : p.output_labels) p.out_shape.push_back(p.label_size[l] < 0 ? 1 : p.label_size[l]);
  RETURN_IF_ERROR(CheckOutputSize(ctx, p.out_shape));
  return p;
}

absl::StatusOr<SoftmaxGeometry> ResolveSoftmax(const KernelContext& ctx, const Shape& x) {
  const int rank = x.size();
  const int64_t def = ctx.opset() >= 13 ? -1 : 1;
  int64_t axis = ctx.GetInt("axis", def);
  if (axis < -rank || axis >= std::max(rank, 1)) {
    return ctx.Invalid(absl::StrCat("attribute 'axis' = ", axis, " is out of range for input ",
                                     ShapeToString(x)));
  }
  if (axis < 0) axis += rank;
  SoftmaxGeometry g;
  if (rank == 0) return g;
  for (int d = 0; d < axis; ++d) g.outer *= x[d];
  if (ctx.opset() >= 13) {
    g.axis = x[axis];
    for (int d = axis + 1; d < rank; ++d) g.inner *= x[d];
  } else {
    g.axis = 1;
    for (int d = axis; d < rank; ++d) g.axis *= x[d];
  }
  return g;
}

}  // namespace rt
}  // namespace tp
