// Differential cases of pooling (MaxPool, AveragePool with pads / strides / dilations /
// ceil_mode / count_include_pad, 1-D to 3-D; GlobalAveragePool, GlobalMaxPool), Resize and
// Upsample (nearest with every nearest_mode, linear and cubic with every coordinate transform,
// scales and sizes, 1-D to 4-D, resized leading axes) and Cast / CastLike.
#include <string>
#include <vector>

#include "core/tensor.h"
#include "runtime/cpu/differential_case.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace {

void PoolCases(const std::string& op, std::vector<Case>* out) {
  const uint32_t seed = op == "MaxPool" ? 6000 : 6100;
  out->push_back(Case(op + "_2d", op)
                     .In(Random({2, 3, 11, 9}, seed))
                     .Outputs(1)
                     .Ints("kernel_shape", {3, 3})
                     .Ints("strides", {2, 2})
                     .Ints("pads", {1, 1, 1, 1}));
  out->push_back(Case(op + "_ceil_dil", op)
                     .In(Random({1, 2, 10, 13}, seed + 1))
                     .Outputs(1)
                     .Ints("kernel_shape", {2, 3})
                     .Ints("strides", {3, 2})
                     .Ints("dilations", {2, 1})
                     .Int("ceil_mode", 1));
  out->push_back(Case(op + "_1d", op)
                     .In(Random({2, 4, 17}, seed + 2))
                     .Outputs(1)
                     .Ints("kernel_shape", {4})
                     .Ints("pads", {2, 1}));
  out->push_back(Case(op + "_3d", op)
                     .In(Random({1, 2, 5, 6, 7}, seed + 3))
                     .Outputs(1)
                     .Ints("kernel_shape", {2, 2, 3})
                     .Ints("strides", {1, 2, 2}));
  out->push_back(Case(op + "_special", op)
                     .In(Special().Reshaped({1, 1, 3, 4}).value())
                     .Outputs(1)
                     .Ints("kernel_shape", {2, 2}));
  if (op == "AveragePool") {
    out->push_back(Case("avg_include_pad_ceil", op)
                       .In(Random({1, 3, 9, 9}, seed + 4))
                       .Outputs(1)
                       .Ints("kernel_shape", {3, 3})
                       .Ints("strides", {2, 2})
                       .Ints("pads", {1, 1, 0, 0})
                       .Int("ceil_mode", 1)
                       .Int("count_include_pad", 1));
  } else {
    out->push_back(Case("max_same_upper", op)
                       .In(Random({1, 64, 112, 112}, seed + 4))
                       .Outputs(1)
                       .Ints("kernel_shape", {3, 3})
                       .Ints("strides", {2, 2})
                       .Str("auto_pad", "SAME_UPPER"));
  }
}

void GlobalPoolCases(const std::string& op, std::vector<Case>* out) {
  const uint32_t seed = op == "GlobalMaxPool" ? 6200 : 6210;
  out->push_back(Case(op + "_2d", op).In(Random({2, 16, 7, 9}, seed)).Outputs(1));
  out->push_back(Case(op + "_1d_long", op).In(Random({1, 8, 5000}, seed + 1)).Outputs(1));
  out->push_back(Case(op + "_special", op).In(Special().Reshaped({1, 2, 6}).value()).Outputs(1));
  out->push_back(Case(op + "_big", op).In(Random({1, 960, 15, 20}, seed + 2)).Outputs(1));
}

void ResizeCases(const std::string& op, std::vector<Case>* out) {
  if (op == "Upsample") {
    out->push_back(Case("upsample9_nearest", op, 9)
                       .In(Random({1, 2, 3, 4}, 6300))
                       .In(TensorFromFloats({4}, {1, 1, 2, 3}))
                       .Outputs(1));
    out->push_back(Case("upsample9_linear", op, 9)
                       .In(Random({1, 2, 3, 4}, 6301))
                       .In(TensorFromFloats({4}, {1, 1, 2, 2.5f}))
                       .Outputs(1)
                       .Str("mode", "linear"));
    out->push_back(Case("upsample7_attr", op, 7)
                       .In(Random({2, 5}, 6302))
                       .Outputs(1)
                       .Str("mode", "nearest"));
    Case& c = out->back();
    auto* a = const_cast<onnx::NodeProto&>(c.node()).add_attribute();
    a->set_name("scales");
    a->set_type(onnx::AttributeProto::FLOATS);
    a->add_floats(2.0f);
    a->add_floats(3.0f);
    return;
  }
  auto scales = [](std::vector<float> s) {
    return TensorFromFloats({static_cast<int64_t>(s.size())}, s);
  };
  uint32_t seed = 6400;
  // (mode, coordinate_transformation_mode, nearest_mode)
  const std::vector<std::vector<std::string>> modes = {
      {"nearest", "asymmetric", "floor"},
      {"nearest", "half_pixel", "round_prefer_floor"},
      {"nearest", "align_corners", "round_prefer_ceil"},
      {"nearest", "tf_half_pixel_for_nearest", "ceil"},
      {"linear", "half_pixel", ""},
      {"linear", "pytorch_half_pixel", ""},
      {"linear", "align_corners", ""},
      {"linear", "asymmetric", ""},
      {"cubic", "half_pixel", ""},
      {"cubic", "align_corners", ""},
  };
  for (const auto& m : modes) {
    Case c(absl::StrCat("resize_", m[0], "_", m[1]), op, 13);
    c.In(Random({1, 3, 5, 7}, seed++)).Skip().In(scales({1, 1, 2, 1.5f})).Outputs(1);
    c.Str("mode", m[0]).Str("coordinate_transformation_mode", m[1]);
    if (!m[2].empty()) c.Str("nearest_mode", m[2]);
    out->push_back(c);
  }
  out->push_back(Case("resize_sizes_down", op, 13)
                     .In(Random({1, 2, 9, 10}, seed++))
                     .Skip()
                     .Skip()
                     .In(IntsI64({4}, {1, 2, 4, 3}))
                     .Outputs(1)
                     .Str("mode", "linear"));
  out->push_back(Case("resize_1d", op, 13)
                     .In(Random({2, 3, 11}, seed++))
                     .Skip()
                     .In(scales({1, 1, 3}))
                     .Outputs(1)
                     .Str("mode", "linear"));
  out->push_back(Case("resize_channels_too", op, 13)
                     .In(Random({1, 4, 3, 3}, seed++))
                     .Skip()
                     .In(scales({1, 0.5f, 2, 2}))
                     .Outputs(1));
  out->push_back(Case("resize_crop_extrapolate", op, 13)
                     .In(Random({1, 1, 6, 6}, seed++))
                     .In(TensorFromFloats({8}, {0, 0, -0.2f, 0.1f, 1, 1, 0.9f, 1.3f}))
                     .In(scales({1, 1, 1.5f, 1.5f}))
                     .Outputs(1)
                     .Str("mode", "linear")
                     .Str("coordinate_transformation_mode", "tf_crop_and_resize")
                     .Float("extrapolation_value", 0.25f));
  out->push_back(Case("resize_opset10", op, 10)
                     .In(Random({1, 2, 4, 4}, seed++))
                     .In(scales({1, 1, 2, 2}))
                     .Outputs(1));
  out->push_back(Case("resize_big", op, 13)
                     .In(Random({1, 24, 120, 160}, seed++))
                     .Skip()
                     .In(scales({1, 1, 2, 2}))
                     .Outputs(1)
                     .Str("mode", "linear"));
}

void CastCases(const std::string& op, std::vector<Case>* out) {
  auto cast = [&](const std::string& name, Tensor x, int to) {
    if (op == "CastLike") {
      Tensor like = Tensor::Zeros(*DTypeFromOnnx(to), {1});
      return Case(name, op).In(std::move(x)).In(like).Outputs(1).Rtol(0);
    }
    return Case(name, op).In(std::move(x)).Outputs(1).Int("to", to).Rtol(0);
  };
  out->push_back(cast(op + "_f32_f16", Random({3, 1000}, 6500, 100.0f), 10));
  out->push_back(cast(op + "_f32_i64", Random({3, 100}, 6501, 100.0f), 7));
  out->push_back(cast(op + "_i64_f32", IntsI64({4}, {-5, 0, 7, 123456789}), 1));
  out->push_back(cast(op + "_f32_bool", Special(), 9));
  out->push_back(cast(op + "_f32_bf16_big", Random({1, 600, 1024}, 6502), 16));
  out->push_back(cast(op + "_f16_f32", *Cast(Random({777}, 6503), DType::kF16), 1));
}

const CaseRegistration kPool({"MaxPool", "AveragePool"}, PoolCases);
const CaseRegistration kGlobalPool({"GlobalAveragePool", "GlobalMaxPool"}, GlobalPoolCases);
const CaseRegistration kResize({"Resize", "Upsample"}, ResizeCases);
const CaseRegistration kCast({"Cast", "CastLike"}, CastCases);

}  // namespace
}  // namespace rt
}  // namespace tp
