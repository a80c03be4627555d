// TfIdfVectorizer on integer input ([C] or [N, C]): counts the pool's n-grams (pool_int64s,
// ngram_counts, ngram_indexes) of lengths min_gram_length..max_gram_length with up to
// max_skip_count skipped items between consecutive items (1-grams counted once), then weights them
// (TF: counts; IDF: min(count, 1) * weight; TFIDF: count * weight). String pools are not
// supported (the runtime has no string tensors).
#include <algorithm>
#include <cstdint>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {

absl::Status TfIdfVectorizerKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x, ctx.Input(0));
  if (!IsIntegral(x->dtype())) return ctx.Invalid("X must be an integer tensor");
  if (ctx.Attr("pool_strings") != nullptr) {
    return ctx.Error(absl::StatusCode::kUnimplemented, "string pools are not supported");
  }
  const std::string mode = ctx.GetString("mode", "TF");
  if (mode != "TF" && mode != "IDF" && mode != "TFIDF") {
    return ctx.Invalid(absl::StrCat("mode \"", mode, "\", expected TF, IDF or TFIDF"));
  }
  const int64_t min_n = ctx.GetInt("min_gram_length", 1);
  const int64_t max_n = ctx.GetInt("max_gram_length", 1);
  const int64_t max_skip = ctx.GetInt("max_skip_count", 0);
  const std::vector<int64_t> pool = ctx.GetInts("pool_int64s", {});
  const std::vector<int64_t> starts = ctx.GetInts("ngram_counts", {});
  const std::vector<int64_t> indexes = ctx.GetInts("ngram_indexes", {});
  const std::vector<float> weights = ctx.GetFloats("weights", {});
  if (min_n < 1 || max_n < min_n || max_skip < 0 || max_n > 64) {
    return ctx.Invalid(absl::StrCat("gram lengths ", min_n, "..", max_n, ", max_skip_count ",
                                    max_skip, "; expected 1 <= min <= max <= 64, skips >= 0"));
  }
  // The pool's n-grams: starts[k] is the first pool position of the (k+1)-grams.
  std::map<std::vector<int64_t>, int64_t> gram_id;  // gram -> its number in the pool
  int64_t id = 0;
  for (size_t k = 0; k < starts.size(); ++k) {
    const int64_t n = static_cast<int64_t>(k) + 1;
    const int64_t begin = starts[k];
    const int64_t end = k + 1 < starts.size() ? starts[k + 1] : static_cast<int64_t>(pool.size());
    if (begin < 0 || end < begin || end > static_cast<int64_t>(pool.size()) ||
        (end - begin) % n != 0) {
      return ctx.Invalid(absl::StrCat("ngram_counts[", k, "] = ", begin,
                                      " does not split pool_int64s into ", n, "-grams"));
    }
    for (int64_t p = begin; p < end; p += n) {
      gram_id[std::vector<int64_t>(pool.begin() + p, pool.begin() + p + n)] = id++;
    }
  }
  if (static_cast<int64_t>(indexes.size()) != id) {
    return ctx.Invalid(
        absl::StrCat("ngram_indexes has ", indexes.size(), " values for ", id, " pool n-grams"));
  }
  if (!weights.empty() && static_cast<int64_t>(weights.size()) != id) {
    return ctx.Invalid(
        absl::StrCat("weights has ", weights.size(), " values for ", id, " pool n-grams"));
  }
  int64_t width = 0;
  for (int64_t i : indexes) {
    if (i < 0) return ctx.Invalid(absl::StrCat("ngram_indexes has ", i, ", expected >= 0"));
    width = std::max(width, i + 1);
  }
  if (x->rank() != 1 && x->rank() != 2) return ctx.Invalid("X must be [C] or [N, C]");
  const int64_t rows = x->rank() == 2 ? x->shape()[0] : 1;
  const int64_t cols = x->shape()[x->rank() - 1];
  const Shape out = x->rank() == 2 ? Shape{rows, width} : Shape{width};
  RETURN_IF_ERROR(ctx.Annotate(CheckOutputShape(out)));
  ASSIGN_OR_RETURN(std::vector<int64_t> v, ReadAs<int64_t>(*x));
  std::vector<double> y(rows * width, 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t* row = v.data() + r * cols;
    std::vector<int64_t> counts(id, 0);
    int64_t first_n = min_n;
    for (int64_t dist = 1; dist <= max_skip + 1; ++dist) {
      for (int64_t start = 0; start < cols; ++start) {
        std::vector<int64_t> gram;
        for (int64_t n = 1, pos = start; n <= max_n && pos < cols; ++n, pos += dist) {
          gram.push_back(row[pos]);
          if (n < first_n) continue;
          auto it = gram_id.find(gram);
          if (it != gram_id.end()) ++counts[it->second];
        }
      }
      // 1-grams do not depend on the skip distance: count them once.
      if (first_n == 1) first_n = 2;
      if (first_n > max_n) break;
    }
    for (int64_t g = 0; g < id; ++g) {
      const double w = weights.empty() ? 1.0 : weights[g];
      double value = static_cast<double>(counts[g]);
      if (mode == "IDF") value = (counts[g] > 0 ? 1.0 : 0.0) * w;
      if (mode == "TFIDF") value *= w;
      y[r * width + indexes[g]] = value;
    }
  }
  ASSIGN_OR_RETURN(Tensor t, WriteAs<double>(DType::kF32, out, y));
  ctx.SetOutput(0, std::move(t));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
