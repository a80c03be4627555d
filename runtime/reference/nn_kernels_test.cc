// Checks the reference nn kernels against PyTorch / NumPy results (make_nn_cases.py), plus the
// error paths on malformed nodes.
#include "runtime/reference/kernel_table.h"

#include <cmath>
#include <fstream>
#include <map>
#include <string>

#include <onnx/onnx_pb.h>

#include "absl/strings/str_cat.h"
#include "core/tensor.h"
#include "gtest/gtest.h"
#include "runtime/tensor_proto.h"

namespace tp {
namespace rt {
namespace {

const KernelTable& Table() { return ReferenceKernelTable(); }

onnx::ModelProto LoadCases() {
  onnx::ModelProto model;
  std::ifstream in("runtime/reference/nn_cases.onnx", std::ios::binary);
  EXPECT_TRUE(in.good()) << "nn_cases.onnx is missing";
  EXPECT_TRUE(model.ParseFromIstream(&in));
  return model;
}

// Max over elements of |got - want| / (atol + rtol * |want|); <= 1 passes.
double WorstRatio(const std::vector<double>& got, const std::vector<double>& want, double atol,
                  double rtol) {
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double r = std::fabs(got[i] - want[i]) / (atol + rtol * std::fabs(want[i]));
    worst = std::max(worst, std::isnan(r) ? 1e30 : r);
  }
  return worst;
}

TEST(NnKernelsTest, MatchesPyTorchAndNumPy) {
  onnx::ModelProto model = LoadCases();
  std::map<std::string, Tensor> values;
  for (const onnx::TensorProto& init : model.graph().initializer()) {
    absl::StatusOr<Tensor> t = TensorFromProto(init, "nn_cases.onnx");
    ASSERT_TRUE(t.ok()) << t.status();
    values[init.name()] = *t;
  }
  int checked = 0;
  std::map<std::string, int> per_op;
  for (const onnx::NodeProto& node : model.graph().node()) {
    SCOPED_TRACE(node.name());
    const KernelDef* def = Table().Find("", node.op_type(), 17);
    ASSERT_NE(def, nullptr) << node.op_type();
    std::vector<const Tensor*> inputs;
    for (const std::string& name : node.input()) {
      inputs.push_back(name.empty() ? nullptr : &values.at(name));
    }
    KernelContext ctx(node, 17, inputs, 1);
    absl::Status s = def->fn(ctx);
    ASSERT_TRUE(s.ok()) << s;
    for (int i = 0; i < node.output_size(); ++i) {
      const Tensor& want = values.at(node.output(i));
      const Tensor& got = ctx.outputs()[i];
      ASSERT_EQ(ShapeToString(got.shape()), ShapeToString(want.shape())) << "output " << i;
      ASSERT_EQ(got.dtype(), want.dtype()) << "output " << i;
      std::vector<double> g = *ToDoubleVector(got), w = *ToDoubleVector(want);
      // float64 cases: PyTorch and the reference both compute in double; float32 cases round.
      const bool f32 = want.dtype() == DType::kF32;
      const double ratio = WorstRatio(g, w, f32 ? 1e-5 : 1e-10, f32 ? 1e-5 : 1e-9);
      EXPECT_LE(ratio, 1.0) << "output " << i << " differs from the expected values";
      ++checked;
    }
    ++per_op[node.op_type()];
  }
  EXPECT_GE(checked, 60);
  for (const char* op : {"Conv", "ConvTranspose", "MaxPool", "AveragePool", "MatMul", "Gemm",
                         "LSTM", "GRU", "Einsum"}) {
    EXPECT_GE(per_op[op], 2) << op;
  }
}

// Error paths: one-line InvalidArgument naming the node and what was expected.
onnx::NodeProto MakeNode(const std::string& op, int num_inputs) {
  onnx::NodeProto node;
  node.set_name("bad");
  node.set_op_type(op);
  for (int i = 0; i < num_inputs; ++i) node.add_input(absl::StrCat("in", i));
  node.add_output("y");
  return node;
}

absl::Status RunNode(const onnx::NodeProto& node, std::vector<const Tensor*> inputs) {
  KernelContext ctx(node, 17, std::move(inputs), 1);
  return Table().Find("", node.op_type(), 17)->fn(ctx);
}

TEST(NnKernelsTest, ConvRejectsChannelMismatch) {
  Tensor x = Tensor::Zeros(DType::kF32, {1, 3, 8});
  Tensor w = Tensor::Zeros(DType::kF32, {4, 2, 3});
  absl::Status s = RunNode(MakeNode("Conv", 2), {&x, &w});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("node 'bad' (Conv)"), std::string::npos) << s;
  EXPECT_NE(s.message().find("W[1] * group == X[1]"), std::string::npos) << s;
}

TEST(NnKernelsTest, ConvRejectsKernelLargerThanInput) {
  Tensor x = Tensor::Zeros(DType::kF32, {1, 1, 2});
  Tensor w = Tensor::Zeros(DType::kF32, {1, 1, 5});
  absl::Status s = RunNode(MakeNode("Conv", 2), {&x, &w});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("smaller than the dilated kernel 5"), std::string::npos) << s;
}

TEST(NnKernelsTest, MatMulRejectsInnerMismatch) {
  Tensor a = Tensor::Zeros(DType::kF32, {2, 3});
  Tensor b = Tensor::Zeros(DType::kF32, {4, 5});
  absl::Status s = RunNode(MakeNode("MatMul", 2), {&a, &b});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("inner dims 3 and 4 differ"), std::string::npos) << s;
}

TEST(NnKernelsTest, LstmRejectsBadWeightShape) {
  Tensor x = Tensor::Zeros(DType::kF32, {2, 1, 3});
  Tensor w = Tensor::Zeros(DType::kF32, {1, 8, 4});
  Tensor r = Tensor::Zeros(DType::kF32, {1, 8, 2});
  absl::Status s = RunNode(MakeNode("LSTM", 3), {&x, &w, &r});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("input W has shape [1, 8, 4]"), std::string::npos) << s;
}

TEST(NnKernelsTest, EinsumRejectsOperandCount) {
  onnx::NodeProto node = MakeNode("Einsum", 1);
  onnx::AttributeProto* a = node.add_attribute();
  a->set_name("equation");
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s("ij,jk->ik");
  Tensor x = Tensor::Zeros(DType::kF32, {2, 2});
  absl::Status s = RunNode(node, {&x});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("has 2 operands, the node has 1 inputs"), std::string::npos) << s;
}

TEST(NnKernelsTest, ConvTransposeRejectsHugeOutput) {
  Tensor x = Tensor::Zeros(DType::kF32, {1, 1, 4});
  Tensor w = Tensor::Zeros(DType::kF32, {1, 1, 2});
  onnx::NodeProto node = MakeNode("ConvTranspose", 2);
  onnx::AttributeProto* a = node.add_attribute();
  a->set_name("strides");
  a->set_type(onnx::AttributeProto::INTS);
  a->add_ints(int64_t{1} << 40);
  absl::Status s = RunNode(node, {&x, &w});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("expected at most"), std::string::npos) << s;
}

TEST(NnKernelsTest, IntegerInputIsUnimplemented) {
  Tensor a = Tensor::Zeros(DType::kI64, {2, 2});
  absl::Status s = RunNode(MakeNode("MatMul", 2), {&a, &a});
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented);
}

TEST(NnKernelsTest, EmptyBatchGivesEmptyOutput) {
  Tensor x = Tensor::Zeros(DType::kF32, {0, 2, 5});
  Tensor w = Tensor::Zeros(DType::kF32, {3, 2, 3});
  onnx::NodeProto node = MakeNode("Conv", 2);
  KernelContext ctx(node, 17, {&x, &w}, 1);
  ASSERT_TRUE(Table().Find("", "Conv", 17)->fn(ctx).ok());
  EXPECT_EQ(ShapeToString(ctx.outputs()[0].shape()), "[0, 3, 3]");
}

}  // namespace
}  // namespace rt
}  // namespace tp
