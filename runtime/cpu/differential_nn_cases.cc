// Differential cases of the nn ops: Conv, ConvTranspose (every padding mode, groups, dilation,
// strides, 1-D to 3-D, empty dims).
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

void ConvCases(std::vector<Case>* out) {
  out->push_back(Case("conv1d_groups_dil", "Conv")
                     .In(Random({2, 4, 19}, 1))
                     .In(Random({6, 2, 3}, 2))
                     .In(Random({6}, 3))
                     .Outputs(1)
                     .Int("group", 2)
                     .Ints("dilations", {2})
                     .Ints("pads", {3, 3}));
  out->push_back(Case("conv1d_stride_asym", "Conv")
                     .In(Random({1, 3, 16}, 4))
                     .In(Random({4, 3, 5}, 5))
                     .Outputs(1)
                     .Ints("strides", {3})
                     .Ints("pads", {1, 2}));
  for (const char* mode : {"SAME_UPPER", "SAME_LOWER", "VALID"}) {
    out->push_back(Case(absl::StrCat("conv1d_", mode), "Conv")
                       .In(Random({1, 2, 10}, 6))
                       .In(Random({3, 2, 4}, 7))
                       .In(Random({3}, 8))
                       .Outputs(1)
                       .Ints("strides", {3})
                       .Str("auto_pad", mode));
  }
  out->push_back(Case("conv1d_depthwise", "Conv")
                     .In(Random({1, 8, 33}, 9))
                     .In(Random({8, 1, 7}, 10))
                     .In(Random({8}, 11))
                     .Outputs(1)
                     .Int("group", 8)
                     .Ints("dilations", {3})
                     .Ints("pads", {9, 9}));
  out->push_back(Case("conv1d_pointwise", "Conv")
                     .In(Random({2, 5, 13}, 12))
                     .In(Random({7, 5, 1}, 13))
                     .Outputs(1));
  out->push_back(Case("conv1d_resblock", "Conv")
                     .In(Random({1, 32, 1001}, 14))
                     .In(Random({32, 32, 7}, 15, 0.1f))
                     .In(Random({32}, 16))
                     .Outputs(1)
                     .Ints("dilations", {5})
                     .Ints("pads", {15, 15}));
  // Long enough that the im2col buffer is split into several tiles.
  out->push_back(Case("conv1d_tiled", "Conv")
                     .In(Random({1, 16, 70001}, 17))
                     .In(Random({16, 16, 3}, 18))
                     .Outputs(1)
                     .Ints("pads", {1, 1}));
  out->push_back(Case("conv1d_pad_bigger_than_input", "Conv")
                     .In(Random({1, 2, 1}, 19))
                     .In(Random({3, 2, 3}, 20))
                     .Outputs(1)
                     .Ints("pads", {4, 4}));
  out->push_back(Case("conv2d", "Conv")
                     .In(Random({1, 3, 9, 8}, 21))
                     .In(Random({4, 3, 3, 2}, 22))
                     .In(Random({4}, 23))
                     .Outputs(1)
                     .Ints("strides", {2, 1})
                     .Ints("pads", {1, 0, 1, 0})
                     .Ints("dilations", {1, 2}));
  out->push_back(Case("conv2d_groups", "Conv")
                     .In(Random({2, 6, 7, 7}, 24))
                     .In(Random({6, 2, 3, 3}, 25))
                     .Outputs(1)
                     .Int("group", 3)
                     .Ints("strides", {1, 2})
                     .Ints("pads", {1, 2, 2, 1}));
  out->push_back(Case("conv2d_same_lower", "Conv")
                     .In(Random({1, 2, 11, 6}, 26))
                     .In(Random({5, 2, 4, 3}, 27))
                     .Outputs(1)
                     .Ints("strides", {2, 2})
                     .Str("auto_pad", "SAME_LOWER"));
  out->push_back(Case("conv3d", "Conv")
                     .In(Random({1, 2, 5, 4, 6}, 28))
                     .In(Random({3, 2, 2, 3, 2}, 29))
                     .In(Random({3}, 30))
                     .Outputs(1)
                     .Ints("strides", {1, 1, 2})
                     .Ints("pads", {1, 1, 0, 0, 1, 1}));
  out->push_back(Case("conv1d_empty_batch", "Conv")
                     .In(Random({0, 2, 5}, 31))
                     .In(Random({3, 2, 3}, 32))
                     .Outputs(1));
  // An empty input whose pads alone make the output: bias only.
  out->push_back(Case("conv1d_empty_length_padded", "Conv")
                     .In(Random({1, 2, 0}, 33))
                     .In(Random({3, 2, 1}, 34))
                     .In(Random({3}, 35))
                     .Outputs(1)
                     .Ints("pads", {1, 1}));
  // Other dtypes go to the reference kernel: bit-exact.
  out->push_back(Case("conv_f64", "Conv")
                     .In(*Cast(Random({1, 2, 9}, 500), DType::kF64))
                     .In(*Cast(Random({3, 2, 3}, 501), DType::kF64))
                     .Outputs(1)
                     .Rtol(0.0));
  out->push_back(Case("conv1d_zero_out_channels", "Conv")
                     .In(Random({1, 2, 6}, 36))
                     .In(Random({0, 2, 3}, 37))
                     .Outputs(1));
}

void ConvTransposeCases(std::vector<Case>* out) {
  out->push_back(Case("convt1d", "ConvTranspose")
                     .In(Random({2, 4, 9}, 40))
                     .In(Random({4, 3, 4}, 41))
                     .In(Random({3}, 42))
                     .Outputs(1)
                     .Ints("strides", {2})
                     .Ints("pads", {1, 1}));
  out->push_back(Case("convt1d_groups_outpad_dil", "ConvTranspose")
                     .In(Random({2, 4, 6}, 43))
                     .In(Random({4, 2, 5}, 44))
                     .In(Random({4}, 45))
                     .Outputs(1)
                     .Int("group", 2)
                     .Ints("strides", {3})
                     .Ints("dilations", {2})
                     .Ints("output_padding", {1})
                     .Ints("pads", {2, 1}));
  out->push_back(Case("convt1d_vocoder_up", "ConvTranspose")
                     .In(Random({1, 16, 50}, 46))
                     .In(Random({16, 8, 16}, 47))
                     .In(Random({8}, 48))
                     .Outputs(1)
                     .Ints("strides", {8})
                     .Ints("pads", {4, 4}));
  out->push_back(Case("convt1d_output_shape", "ConvTranspose")
                     .In(Random({1, 3, 6}, 49))
                     .In(Random({3, 2, 4}, 50))
                     .Outputs(1)
                     .Ints("strides", {2})
                     .Ints("output_shape", {12}));
  out->push_back(Case("convt1d_output_shape_larger", "ConvTranspose")
                     .In(Random({1, 3, 6}, 64))
                     .In(Random({3, 2, 4}, 65))
                     .In(Random({2}, 66))
                     .Outputs(1)
                     .Ints("strides", {2})
                     .Ints("output_shape", {15}));
  out->push_back(Case("convt1d_same_upper", "ConvTranspose")
                     .In(Random({1, 3, 5}, 51))
                     .In(Random({3, 2, 4}, 52))
                     .Outputs(1)
                     .Ints("strides", {2})
                     .Str("auto_pad", "SAME_UPPER"));
  out->push_back(Case("convt1d_long", "ConvTranspose")
                     .In(Random({1, 8, 3001}, 53))
                     .In(Random({8, 4, 4}, 54))
                     .Outputs(1)
                     .Ints("strides", {2})
                     .Ints("pads", {1, 1}));
  out->push_back(Case("convt2d", "ConvTranspose")
                     .In(Random({1, 4, 5, 4}, 55))
                     .In(Random({4, 1, 3, 4}, 56))
                     .In(Random({2}, 57))
                     .Outputs(1)
                     .Int("group", 2)
                     .Ints("strides", {2, 3})
                     .Ints("output_padding", {1, 2})
                     .Ints("pads", {1, 0, 0, 1}));
  out->push_back(Case("convt2d_dil", "ConvTranspose")
                     .In(Random({2, 2, 4, 5}, 58))
                     .In(Random({2, 3, 2, 3}, 59))
                     .Outputs(1)
                     .Ints("strides", {1, 2})
                     .Ints("dilations", {2, 1})
                     .Ints("pads", {0, 1, 1, 0}));
  out->push_back(Case("convt3d", "ConvTranspose")
                     .In(Random({1, 2, 3, 2, 3}, 60))
                     .In(Random({2, 2, 2, 2, 2}, 61))
                     .Outputs(1)
                     .Ints("strides", {2, 1, 2}));
  out->push_back(Case("convt1d_empty_batch", "ConvTranspose")
                     .In(Random({0, 2, 5}, 62))
                     .In(Random({2, 3, 3}, 63))
                     .Outputs(1));
}


const CaseRegistration kConv({"Conv"}, [](const std::string&, std::vector<Case>* out) {
  ConvCases(out);
});
const CaseRegistration kConvTranspose({"ConvTranspose"},
                                      [](const std::string&, std::vector<Case>* out) {
                                        ConvTransposeCases(out);
                                      });

}  // namespace
}  // namespace rt
}  // namespace tp
