#include "runtime/kernel.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/reference/kernel_table.h"

namespace tp {
namespace rt {
namespace {

using ::testing::HasSubstr;

absl::Status Noop(KernelContext&) { return absl::OkStatus(); }

TEST(KernelTableTest, FindHonoursOpsetRangesAndDomains) {
  KernelTable t("test", {{"", "Clip", 6, 10, Noop}, {"", "Clip", 11, 17, Noop},
                         {"com.example", "Fancy", 1, 1, Noop}});
  EXPECT_EQ(t.Find("", "Clip", 5), nullptr);
  EXPECT_EQ(t.Find("", "Clip", 6)->until_version, 10);
  EXPECT_EQ(t.Find("", "Clip", 11)->since_version, 11);
  EXPECT_EQ(t.Find("ai.onnx", "Clip", 17)->since_version, 11);
  EXPECT_EQ(t.Find("", "Clip", 18), nullptr);
  EXPECT_NE(t.Find("com.example", "Fancy", 1), nullptr);
  EXPECT_EQ(t.Find("", "Fancy", 1), nullptr);
}

TEST(KernelContextTest, AttributesInputsAndErrors) {
  onnx::NodeProto node;
  node.set_name("n1");
  node.set_op_type("Foo");
  node.add_input("a");
  node.add_input("");
  node.add_output("y");
  auto* alpha = node.add_attribute();
  alpha->set_name("alpha");
  alpha->set_f(0.25f);
  auto* axes = node.add_attribute();
  axes->set_name("axes");
  axes->add_ints(1);
  axes->add_ints(-1);
  Tensor a = Tensor::Zeros(DType::kF32, {2});
  KernelContext ctx(node, 13, {&a, nullptr}, 1);
  EXPECT_FLOAT_EQ(ctx.GetFloat("alpha", 1.0f), 0.25f);
  EXPECT_FLOAT_EQ(ctx.GetFloat("beta", 1.5f), 1.5f);
  EXPECT_EQ(ctx.GetInts("axes", {}), (std::vector<int64_t>{1, -1}));
  EXPECT_EQ(ctx.GetString("mode", "constant"), "constant");
  EXPECT_TRUE(ctx.HasInput(0));
  EXPECT_FALSE(ctx.HasInput(1));
  EXPECT_FALSE(ctx.HasInput(2));
  EXPECT_EQ(ctx.OptionalInput(1), nullptr);
  auto missing = ctx.Input(1);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("node 'n1' (Foo): input 1 is missing"));
  EXPECT_TRUE(ctx.WantsOutput(0));
  EXPECT_FALSE(ctx.WantsOutput(1));
}

TEST(BackendsTest, KnownAndUnknownBackends) {
  ASSERT_TRUE(GetKernelTable("reference").ok());
  EXPECT_EQ((*GetKernelTable("reference"))->backend(), "reference");
  ASSERT_TRUE(GetKernelTable("cpu").ok());
  EXPECT_EQ((*GetKernelTable("cpu"))->backend(), "cpu");
  auto tpu = GetKernelTable("tpu");
  EXPECT_EQ(tpu.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(tpu.status().message()), HasSubstr("known: cpu, cuda, reference"));
}

// Every op the issue lists for PyTorch 1.13 audio/TTS exports at opsets 13-17 has a reference
// kernel.
TEST(ReferenceTableTest, CoversTheIssueOpList) {
  const KernelTable& t = ReferenceKernelTable();
  for (const char* op :
       {"Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Reciprocal", "Neg", "Abs", "Exp", "Log", "Sin",
        "Cos", "Tanh", "Sigmoid", "Relu", "LeakyRelu", "Elu", "Selu", "Softplus", "Erf", "Clip",
        "Where", "Equal", "Less", "Greater", "Not", "And", "Or", "Softmax", "LogSoftmax",
        "LayerNormalization", "InstanceNormalization", "BatchNormalization", "ReduceMean",
        "ReduceSum", "ReduceMax", "ReduceL2", "Reshape", "Transpose", "Concat", "Split", "Slice",
        "Gather", "GatherElements", "Unsqueeze", "Squeeze", "Flatten", "Expand", "Tile", "Pad",
        "Resize", "Shape", "Size", "Constant", "ConstantOfShape", "Range", "Cast", "CumSum",
        "Identity", "Dropout", "Trilu", "ScatterND", "Conv", "ConvTranspose", "MatMul", "Gemm",
        "LSTM", "GRU", "MaxPool", "AveragePool", "Einsum"}) {
    for (int opset : {13, 14, 15, 16, 17}) {
      // These ops exist from opset 17 and 14.
      if (std::string(op) == "LayerNormalization" && opset < 17) continue;
      if (std::string(op) == "Trilu" && opset < 14) continue;
      EXPECT_NE(t.Find("", op, opset), nullptr) << op << " at opset " << opset;
    }
  }
}

}  // namespace
}  // namespace rt
}  // namespace tp
