// Differential cases of the reductions and tensor ops: ReduceMean, Transpose.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/tensor.h"
#include "runtime/cpu/differential_case.h"

namespace tp {
namespace rt {
namespace {

void ReduceMeanCases(std::vector<Case>* out) {
  uint32_t seed = 1000;
  out->push_back(Case("rm_last_keep", "ReduceMean")
                     .In(Random({2, 500, 512}, seed++))
                     .Outputs(1)
                     .Ints("axes", {-1}));
  out->push_back(Case("rm_last_drop", "ReduceMean")
                     .In(Random({3, 7}, seed++))
                     .Outputs(1)
                     .Ints("axes", {1})
                     .Int("keepdims", 0));
  out->push_back(Case("rm_two_trailing", "ReduceMean")
                     .In(Random({2, 3, 5}, seed++))
                     .Outputs(1)
                     .Ints("axes", {2, 1}));
  out->push_back(Case("rm_leading_axis", "ReduceMean")
                     .In(Random({4, 6}, seed++))
                     .Outputs(1)
                     .Ints("axes", {0}));
  out->push_back(Case("rm_all_axes_default", "ReduceMean").In(Random({4, 6}, seed++)).Outputs(1));
  out->push_back(Case("rm_opset18_input", "ReduceMean", 18)
                     .In(Random({2, 9}, seed++))
                     .In(IntsI64({1}, {-1}))
                     .Outputs(1));
  out->push_back(
      Case("rm_empty_rows", "ReduceMean").In(Random({0, 9}, seed++)).Outputs(1).Ints("axes", {-1}));
}

void TransposeCases(std::vector<Case>* out) {
  uint32_t seed = 1100;
  out->push_back(Case("tr_default", "Transpose").In(Random({3, 4, 5}, seed++)).Outputs(1));
  out->push_back(Case("tr_attention_qkv", "Transpose")
                     .In(Random({1, 50, 3, 8, 16}, seed++))
                     .Outputs(1)
                     .Ints("perm", {2, 0, 3, 1, 4}));
  out->push_back(Case("tr_last_two", "Transpose")
                     .In(Random({2, 8, 33, 16}, seed++))
                     .Outputs(1)
                     .Ints("perm", {0, 1, 3, 2}));
  out->push_back(
      Case("tr_identity", "Transpose").In(Random({4, 6}, seed++)).Outputs(1).Ints("perm", {0, 1}));
  out->push_back(Case("tr_big", "Transpose")
                     .In(Random({1, 500, 8, 64}, seed++))
                     .Outputs(1)
                     .Ints("perm", {0, 2, 1, 3}));
  out->push_back(Case("tr_huge", "Transpose")
                     .In(Random({1, 1200, 8, 64}, seed++))
                     .Outputs(1)
                     .Ints("perm", {0, 2, 1, 3}));
  out->push_back(Case("tr_empty", "Transpose")
                     .In(Random({0, 3, 2}, seed++))
                     .Outputs(1)
                     .Ints("perm", {1, 2, 0}));
  out->push_back(
      (Case("tr_i64", "Transpose").In(IntsI64({2, 3}, {1, 2, 3, 4, 5, 6})).Outputs(1)).Rtol(0.0));
  out->push_back((Case("tr_f16", "Transpose")
                      .In(*Cast(Random({3, 5, 2}, seed++), DType::kF16))
                      .Outputs(1)
                      .Ints("perm", {2, 1, 0}))
                     .Rtol(0.0));
}


const CaseRegistration kReduceMean({"ReduceMean"},
                                   [](const std::string&, std::vector<Case>* out) {
                                     ReduceMeanCases(out);
                                   });
const CaseRegistration kTranspose({"Transpose"}, [](const std::string&, std::vector<Case>* out) {
  TransposeCases(out);
});

}  // namespace
}  // namespace rt
}  // namespace tp
