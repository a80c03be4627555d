// Unique: the distinct elements of the flattened input, or the distinct slices along `axis`,
// sorted ascending (lexicographically for slices; sorted = 1, the default) or in order of first
// occurrence, with the first-occurrence indices, the inverse indices and the counts.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {

absl::Status UniqueKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const Tensor* x_in, ctx.Input(0));
  ASSIGN_OR_RETURN(Tensor x, x_in->Contiguous());
  const bool sorted = ctx.GetInt("sorted", 1) != 0;
  const bool has_axis = ctx.Attr("axis") != nullptr;
  int axis = 0;
  Shape view = {x.num_elements()};  // [outer, slices, inner] below
  if (has_axis) {
    absl::StatusOr<int> a = NormalizeAxis(ctx.GetInt("axis", 0), x.rank());
    RETURN_IF_ERROR(ctx.Annotate(a.status()));
    axis = *a;
  } else {
    ASSIGN_OR_RETURN(x, x.Reshaped(view));
  }
  const Shape& s = x.shape();
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= s[i];
  for (int i = axis + 1; i < x.rank(); ++i) inner *= s[i];
  const int64_t count = s[axis];
  // Each slice as its values (read in double for ordering; integers up to 2^53 are exact).
  ASSIGN_OR_RETURN(std::vector<double> v, ReadAs<double>(x));
  auto slice = [&](int64_t k) {
    std::vector<double> out;
    out.reserve(outer * inner);
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) out.push_back(v[(o * count + k) * inner + i]);
    }
    return out;
  };
  std::map<std::vector<double>, int64_t> first;  // slice -> first index
  std::vector<int64_t> order;                    // unique slices by first index
  std::vector<std::vector<double>> keys(count);
  for (int64_t k = 0; k < count; ++k) {
    keys[k] = slice(k);
    if (first.emplace(keys[k], k).second) order.push_back(k);
  }
  if (sorted) {
    std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return keys[a] < keys[b]; });
  }
  std::map<std::vector<double>, int64_t> position;
  for (size_t u = 0; u < order.size(); ++u) position[keys[order[u]]] = static_cast<int64_t>(u);
  const int64_t uniq = static_cast<int64_t>(order.size());
  std::vector<int64_t> inverse(count), counts(uniq, 0);
  for (int64_t k = 0; k < count; ++k) {
    inverse[k] = position[keys[k]];
    ++counts[inverse[k]];
  }
  // Y: the unique slices gathered along the axis (bytes, so every dtype is exact).
  Shape ys = s;
  ys[axis] = uniq;
  Tensor y = Tensor::Zeros(x.dtype(), ys);
  const int es = ElementSize(x.dtype());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t u = 0; u < uniq; ++u) {
      std::memcpy(y.mutable_data() + ((o * uniq + u) * inner) * es,
                  x.data() + ((o * count + order[u]) * inner) * es, inner * es);
    }
  }
  ctx.SetOutput(0, std::move(y));
  if (ctx.WantsOutput(1)) {
    ASSIGN_OR_RETURN(Tensor t, WriteAs<int64_t>(DType::kI64, {uniq}, order));
    ctx.SetOutput(1, std::move(t));
  }
  if (ctx.WantsOutput(2)) {
    ASSIGN_OR_RETURN(Tensor t, WriteAs<int64_t>(DType::kI64, {count}, inverse));
    ctx.SetOutput(2, std::move(t));
  }
  if (ctx.WantsOutput(3)) {
    ASSIGN_OR_RETURN(Tensor t, WriteAs<int64_t>(DType::kI64, {uniq}, counts));
    ctx.SetOutput(3, std::move(t));
  }
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
