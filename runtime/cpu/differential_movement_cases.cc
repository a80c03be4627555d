// Differential cases of the data-movement ops (runtime/cpu/tensor/copy.h): Concat, Split, Slice,
// Gather, Expand, Tile, Pad, DepthToSpace, SpaceToDepth. They move bytes, so float32, int64 and
// float16 inputs all take the fast path and must match the reference bit for bit (rtol 0); sizes
// above 1 MiB take the threaded copies.
#include <string>
#include <vector>

#include "core/tensor.h"
#include "runtime/cpu/differential_case.h"

namespace tp {
namespace rt {
namespace {

Tensor I64Range(Shape shape) {
  Tensor t = Tensor::Zeros(DType::kI64, shape);
  for (int64_t i = 0; i < t.num_elements(); ++i) t.mutable_data_as<int64_t>()[i] = i * 7 - 3;
  return t;
}

Tensor F16(Shape shape, uint32_t seed) { return *Cast(Random(shape, seed), DType::kF16); }

void ConcatCases(const std::string& op, std::vector<Case>* out) {
  out->push_back(Case("concat_axis1", op)
                     .In(Random({2, 3, 4}, 4000))
                     .In(Random({2, 5, 4}, 4001))
                     .In(Random({2, 1, 4}, 4002))
                     .Outputs(1)
                     .Int("axis", 1)
                     .Rtol(0));
  out->push_back(Case("concat_last_neg", op)
                     .In(Random({3, 2}, 4003))
                     .In(Random({3, 7}, 4004))
                     .Outputs(1)
                     .Int("axis", -1)
                     .Rtol(0));
  out->push_back(Case("concat_i64_axis0", op)
                     .In(I64Range({2, 3}))
                     .In(I64Range({4, 3}))
                     .Outputs(1)
                     .Int("axis", 0)
                     .Rtol(0));
  out->push_back(Case("concat_big_blocked", op)
                     .In(Random({1, 6, 120, 160, 8}, 4005))
                     .In(Random({1, 3, 120, 160, 8}, 4006))
                     .Outputs(1)
                     .Int("axis", 1)
                     .Rtol(0));
  out->push_back(Case("concat_empty_part", op)
                     .In(Random({2, 0}, 4007))
                     .In(Random({2, 3}, 4008))
                     .Outputs(1)
                     .Int("axis", 1)
                     .Rtol(0));
}

void SplitCases(const std::string& op, std::vector<Case>* out) {
  out->push_back(Case("split_equal", op).In(Random({2, 6, 5}, 4100)).Outputs(3).Int("axis", 1).Rtol(0));
  out->push_back(Case("split_sizes_input", op, 13)
                     .In(Random({7, 4}, 4101))
                     .In(IntsI64({3}, {2, 4, 1}))
                     .Outputs(3)
                     .Rtol(0));
  out->push_back(Case("split_attr_opset11_i64", op, 11)
                     .In(I64Range({3, 10}))
                     .Outputs(2)
                     .Int("axis", -1)
                     .Ints("split", {3, 7})
                     .Rtol(0));
  out->push_back(Case("split_num_outputs_uneven", op, 18)
                     .In(Random({10, 3}, 4102))
                     .Outputs(3)
                     .Int("num_outputs", 3)
                     .Rtol(0));
  out->push_back(Case("split_big", op).In(Random({2, 600, 1024}, 4103)).Outputs(2).Int("axis", 0).Rtol(0));
}

void SliceCases(const std::string& op, std::vector<Case>* out) {
  out->push_back(Case("slice_basic", op)
                     .In(Random({5, 6, 7}, 4200))
                     .In(IntsI64({2}, {1, 2}))
                     .In(IntsI64({2}, {4, -1}))
                     .In(IntsI64({2}, {0, 2}))
                     .Outputs(1)
                     .Rtol(0));
  out->push_back(Case("slice_steps_negative", op)
                     .In(Random({8, 9}, 4201))
                     .In(IntsI64({2}, {-1, 1}))
                     .In(IntsI64({2}, {-9, 100}))
                     .In(IntsI64({2}, {0, 1}))
                     .In(IntsI64({2}, {-2, 3}))
                     .Outputs(1)
                     .Rtol(0));
  out->push_back(Case("slice_opset1_attrs", op, 1)
                     .In(I64Range({4, 5}))
                     .Outputs(1)
                     .Ints("starts", {1})
                     .Ints("ends", {3})
                     .Ints("axes", {1})
                     .Rtol(0));
  out->push_back(Case("slice_last_frame", op)
                     .In(Random({1, 768, 50}, 4202))
                     .In(IntsI64({1}, {0}))
                     .In(IntsI64({1}, {-1}))
                     .In(IntsI64({1}, {2}))
                     .Outputs(1)
                     .Rtol(0));
  out->push_back(Case("slice_big", op)
                     .In(Random({3, 600, 1024}, 4203))
                     .In(IntsI64({1}, {1}))
                     .In(IntsI64({1}, {3}))
                     .Outputs(1)
                     .Rtol(0));
  out->push_back(Case("slice_empty", op)
                     .In(Random({4, 4}, 4204))
                     .In(IntsI64({1}, {3}))
                     .In(IntsI64({1}, {1}))
                     .Outputs(1)
                     .Rtol(0));
}

void GatherCases(const std::string& op, std::vector<Case>* out) {
  out->push_back(Case("gather_axis0", op)
                     .In(Random({5, 4}, 4300))
                     .In(IntsI64({3}, {4, 0, -1}))
                     .Outputs(1)
                     .Rtol(0));
  out->push_back(Case("gather_axis1_scalar", op)
                     .In(Random({2, 3, 4}, 4301))
                     .In(IntsI64({}, {2}))
                     .Outputs(1)
                     .Int("axis", 1)
                     .Rtol(0));
  out->push_back(Case("gather_i32_indices_2d", op)
                     .In(F16({6, 8}, 4302))
                     .In(Ints({2, 2}, {5, 1, 1, 0}))
                     .Outputs(1)
                     .Int("axis", 0)
                     .Rtol(0));
  out->push_back(Case("gather_qkv", op)
                     .In(Random({3, 1, 8, 500, 64}, 4303))
                     .In(IntsI64({}, {1}))
                     .Outputs(1)
                     .Rtol(0));
}

void ExpandTileCases(const std::string& op, std::vector<Case>* out) {
  if (op == "Expand") {
    out->push_back(Case("expand_rows", op)
                       .In(Random({3, 1}, 4400))
                       .In(IntsI64({2}, {3, 5}))
                       .Outputs(1)
                       .Rtol(0));
    out->push_back(Case("expand_rank_up", op)
                       .In(Random({4}, 4401))
                       .In(IntsI64({3}, {2, 3, 1}))
                       .Outputs(1)
                       .Rtol(0));
    out->push_back(Case("expand_zeros_state", op)
                       .In(Random({1, 1, 1}, 4402))
                       .In(IntsI64({3}, {2, 1, 256}))
                       .Outputs(1)
                       .Rtol(0));
    out->push_back(Case("expand_big_i64", op)
                       .In(I64Range({1, 1024}))
                       .In(IntsI64({2}, {300, 1024}))
                       .Outputs(1)
                       .Rtol(0));
  } else {
    out->push_back(Case("tile_2d", op)
                       .In(Random({2, 3}, 4410))
                       .In(IntsI64({2}, {3, 2}))
                       .Outputs(1)
                       .Rtol(0));
    out->push_back(Case("tile_zero", op)
                       .In(Random({2, 3}, 4411))
                       .In(IntsI64({2}, {0, 2}))
                       .Outputs(1)
                       .Rtol(0));
    out->push_back(Case("tile_i64_3d", op)
                       .In(I64Range({2, 1, 3}))
                       .In(IntsI64({3}, {1, 4, 2}))
                       .Outputs(1)
                       .Rtol(0));
  }
}

void PadCases(const std::string& op, std::vector<Case>* out) {
  for (const char* mode : {"constant", "reflect", "edge"}) {
    out->push_back(Case(std::string("pad_") + mode, op)
                       .In(Random({2, 3, 5, 6}, 4500))
                       .In(IntsI64({8}, {0, 0, 2, 1, 0, 0, 1, 3}))
                       .In(TensorFromFloats({}, {1.5f}))
                       .Outputs(1)
                       .Str("mode", mode)
                       .Rtol(0));
  }
  out->push_back(Case("pad_crop_negative", op)
                     .In(Random({4, 7}, 4501))
                     .In(IntsI64({4}, {-1, 2, 1, -3}))
                     .Outputs(1)
                     .Rtol(0));
  out->push_back(Case("pad_opset2_attr_i64", op, 2)
                     .In(I64Range({3, 4}))
                     .Outputs(1)
                     .Ints("pads", {1, 0, 0, 2})
                     .Float("value", 7.0f)
                     .Rtol(0));
  out->push_back(Case("pad_axes_opset18", op, 18)
                     .In(Random({2, 3, 8}, 4502))
                     .In(IntsI64({2}, {3, 3}))
                     .Skip()
                     .In(IntsI64({1}, {-1}))
                     .Outputs(1)
                     .Str("mode", "reflect")
                     .Rtol(0));
  out->push_back(Case("pad_big", op)
                     .In(Random({1, 64, 200, 100}, 4503))
                     .In(IntsI64({8}, {0, 0, 1, 1, 0, 0, 1, 1}))
                     .Outputs(1)
                     .Rtol(0));
}

void SpaceDepthCases(const std::string& op, std::vector<Case>* out) {
  if (op == "DepthToSpace") {
    out->push_back(Case("d2s_dcr", op).In(Random({2, 8, 3, 4}, 4600)).Outputs(1).Int("blocksize", 2).Rtol(0));
    out->push_back(Case("d2s_crd", op)
                       .In(Random({1, 18, 2, 3}, 4601))
                       .Outputs(1)
                       .Int("blocksize", 3)
                       .Str("mode", "CRD")
                       .Rtol(0));
    out->push_back(Case("d2s_i64", op).In(I64Range({1, 4, 2, 2})).Outputs(1).Int("blocksize", 2).Rtol(0));
  } else {
    out->push_back(Case("s2d_2", op).In(Random({2, 3, 4, 6}, 4610)).Outputs(1).Int("blocksize", 2).Rtol(0));
    out->push_back(Case("s2d_3", op).In(Random({1, 2, 6, 9}, 4611)).Outputs(1).Int("blocksize", 3).Rtol(0));
    out->push_back(Case("s2d_f16", op).In(F16({1, 2, 4, 4}, 4612)).Outputs(1).Int("blocksize", 2).Rtol(0));
  }
}

const CaseRegistration kConcat({"Concat"}, ConcatCases);
const CaseRegistration kSplit({"Split"}, SplitCases);
const CaseRegistration kSlice({"Slice"}, SliceCases);
const CaseRegistration kGather({"Gather"}, GatherCases);
const CaseRegistration kExpandTile({"Expand", "Tile"}, ExpandTileCases);
const CaseRegistration kPad({"Pad"}, PadCases);
const CaseRegistration kSpaceDepth({"DepthToSpace", "SpaceToDepth"}, SpaceDepthCases);

}  // namespace
}  // namespace rt
}  // namespace tp
