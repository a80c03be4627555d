// Pass `fuse_weight_norm`: X.weight_g + X.weight_v (or parametrizations.weight.original0/1)
// become X.weight = g * v / ||v||, the norm over every axis but the one g keeps, in double; and
// the "fuse_weight_norm" transform it records (not undone: two tensors become one).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "convert/planner.h"
#include "core/status_macros.h"
#include "core/tensor_ops.h"

namespace tp {
namespace {

absl::Status PlanFuseWeightNormImpl(Planner& pl, const schema::FuseWeightNorm& f, int index) {
  std::unique_ptr<RE2> re = f.pattern().empty() ? nullptr : CompilePattern(f.pattern());
  struct Pair {
    int g = -1, v = -1;
  };
  std::map<std::string, Pair> pairs;  // by module path X
  std::vector<std::string> order;
  static const char* kG[] = {".weight_g", ".parametrizations.weight.original0"};
  static const char* kV[] = {".weight_v", ".parametrizations.weight.original1"};
  for (int i = 0; i < static_cast<int>(pl.nodes().size()); ++i) {
    const std::string& name = pl.nodes()[i].name;
    for (int k = 0; k < 2; ++k) {
      const bool is_g = absl::EndsWith(name, kG[k]);
      const bool is_v = absl::EndsWith(name, kV[k]);
      if (!is_g && !is_v) continue;
      std::string x = name.substr(0, name.size() - std::strlen(is_g ? kG[k] : kV[k]));
      if (re != nullptr && !MatchesName(*re, x)) continue;
      std::string key = absl::StrCat(x, "#", k);
      if (!pairs.count(key)) order.push_back(key);
      (is_g ? pairs[key].g : pairs[key].v) = i;
    }
  }
  std::vector<std::string> unpaired;
  for (const std::string& key : order) {
    const Pair& p = pairs[key];
    if (p.g < 0 || p.v < 0) {
      const Node& n = pl.nodes()[p.g >= 0 ? p.g : p.v];
      unpaired.push_back(absl::StrCat("\"", n.name, "\" has no ",
                                      p.g >= 0 ? "magnitude partner (v)" : "direction partner (g)"));
    }
  }
  if (!unpaired.empty()) {
    // Phrase it the way users search for it.
    for (std::string& u : unpaired) {
      if (absl::StrContains(u, "(v)")) {
        u = absl::StrCat(u.substr(0, u.find(" has no")), " has no matching weight_v / original1");
      } else {
        u = absl::StrCat(u.substr(0, u.find(" has no")), " has no matching weight_g / original0");
      }
    }
    return absl::InvalidArgumentError(absl::StrCat(pl.Where(index), ": fuse_weight_norm: unpaired ",
                                                   "weight norm tensors: ",
                                                   absl::StrJoin(unpaired, "; ")));
  }
  std::vector<bool> remove(pl.nodes().size(), false);
  std::map<int, Node> replace;
  for (const std::string& key : order) {
    const Pair& p = pairs[key];
    const Node& g = pl.nodes()[p.g];
    const Node& v = pl.nodes()[p.v];
    int axis = -1;
    const std::string x = key.substr(0, key.rfind('#'));
    if (g.shape.empty() || (g.shape.size() == 1 && g.shape[0] == 1 && v.shape.size() != 1)) {
      axis = -1;
    } else {
      if (g.shape.size() != v.shape.size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            pl.Where(index), ": fuse_weight_norm \"", x, "\": g has shape ", ShapeToString(g.shape),
            ", v has shape ", ShapeToString(v.shape), "; expected the same rank"));
      }
      std::vector<int> non_one;
      for (int d = 0; d < static_cast<int>(g.shape.size()); ++d) {
        if (g.shape[d] != 1) non_one.push_back(d);
      }
      if (f.has_dim()) {
        ASSIGN_OR_RETURN(axis, NormalizeAxis(f.dim(), v.shape.size(), pl.Where(index)));
      } else if (non_one.empty()) {
        axis = 0;
      } else if (non_one.size() == 1) {
        axis = non_one[0];
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            pl.Where(index), ": fuse_weight_norm \"", x, "\": g has shape ", ShapeToString(g.shape),
            ", expected all dims 1 but one"));
      }
      for (int d = 0; d < static_cast<int>(g.shape.size()); ++d) {
        const int64_t want = d == axis ? v.shape[d] : 1;
        if (g.shape[d] != want) {
          return absl::InvalidArgumentError(absl::StrCat(
              pl.Where(index), ": fuse_weight_norm \"", x, "\": g has shape ",
              ShapeToString(g.shape), ", v has shape ", ShapeToString(v.shape),
              "; expected g's dim ", d, " to be ", want));
        }
      }
    }
    Node out;
    out.name = absl::StrCat(x, ".weight");
    out.dtype = v.dtype;
    out.shape = v.shape;
    out.sources = g.sources;
    out.sources.insert(out.sources.end(), v.sources.begin(), v.sources.end());
    out.source_dtype = v.source_dtype;
    out.source_shape = v.source_shape;
    out.source_bytes = g.source_bytes + v.source_bytes;
    out.source_tensors = g.source_tensors;
    out.source_tensors.insert(out.source_tensors.end(), v.source_tensors.begin(),
                              v.source_tensors.end());
    out.transforms = v.transforms;
    Transform t;
    t.op = "fuse_weight_norm";
    t.from_name = v.name;
    t.to_name = out.name;
    t.axis = axis;
    t.shape_before = v.shape;
    t.shape_after = v.shape;
    t.dtype_before = v.dtype;
    t.dtype_after = v.dtype;
    out.transforms.push_back(t);
    // Fusing is a transform, not a naming decision: it does not count as mapping.
    out.mapped = g.mapped || v.mapped;
    Producer mg = g.make, mv = v.make;
    out.make = ApplyingTransform(t, {mg, mv});
    const int first = std::min(p.g, p.v);
    remove[std::max(p.g, p.v)] = true;
    replace[first] = std::move(out);
  }
  pl.RebuildNodes(remove, &replace);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Tensor> FuseWeightNorm(const Tensor& g, const Tensor& v, int axis) {
  absl::StatusOr<Tensor> out = WeightNormF64(g, v, axis);
  if (!out.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("fuse_weight_norm: ", out.status().message()));
  }
  if (v.dtype() == DType::kF64) return out;
  return Cast(*out, v.dtype());
}


absl::Status PlanFuseWeightNorm(Planner& pl, const schema::FuseWeightNorm& f, int index) {
  return PlanFuseWeightNormImpl(pl, f, index);
}

namespace {

const TransformRegistration kFuseTransform({
    .op = "fuse_weight_norm",
    .describe = [](const Transform& t) {
      return t.axis < 0 ? std::string("fuse_weight_norm(all)")
                        : absl::StrCat("fuse_weight_norm(dim=", t.axis, ")");
    },
    .apply = [](const std::vector<Tensor>& in, const Transform& t) -> absl::StatusOr<Tensor> {
      if (in.size() != 2) return absl::InvalidArgumentError("fuse_weight_norm takes g and v");
      return FuseWeightNorm(in[0], in[1], t.axis);
    },
    .invert = nullptr,
    .arity = 2,
});

const PassRegistration kFuse({
    .op_case = schema::Pass::kFuseWeightNorm,
    .id = "fuse_weight_norm",
    .validate = [](const schema::Pass& p, absl::string_view source, int i) {
      return CheckPattern(p.fuse_weight_norm().pattern(), source, i, "fuse_weight_norm.pattern",
                          false);
    },
    .plan = [](const schema::Pass& p, int index, Planner& pl) {
      return PlanFuseWeightNorm(pl, p.fuse_weight_norm(), index);
    },
    .patterns = [](const schema::Pass& p) {
      return std::vector<std::string>{p.fuse_weight_norm().pattern()};
    },
});

}  // namespace
}  // namespace tp
