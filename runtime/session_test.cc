#include "runtime/session.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/tensor_proto.h"
#include "runtime/value.h"

namespace tp {
namespace rt {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const char kDir[] = "runtime/testdata/";

// Expected tensors computed by NumPy (make_session_test_models.py).
std::map<std::string, Tensor> Expected() {
  std::ifstream in(std::string(kDir) + "mlp_expected.pb", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  onnx::GraphProto g;
  EXPECT_TRUE(g.ParseFromString(ss.str()));
  std::map<std::string, Tensor> m;
  for (const auto& t : g.initializer()) m[t.name()] = *TensorFromProto(t, "expected");
  return m;
}

void ExpectNear(const Tensor& actual, const Tensor& expected) {
  ASSERT_EQ(actual.shape(), expected.shape());
  std::vector<double> a = *ToDoubleVector(actual), e = *ToDoubleVector(expected);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], e[i], 1e-5 + 1e-5 * std::fabs(e[i])) << i;
}

TEST(SessionTest, RunsAndMatchesNumPy) {
  auto e = Expected();
  auto s = Session::Load(std::string(kDir) + "mlp.onnx");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_THAT((*s)->input_names(), ElementsAre("x"));
  EXPECT_THAT((*s)->output_names(), ElementsAre("y", "z"));
  auto out = (*s)->Run({{"x", e["x"]}});
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectNear(out->at("y"), e["y"]);
  ExpectNear(out->at("z"), e["z"]);
}

TEST(SessionTest, CapturesEveryOutputOrAFilteredSet) {
  auto e = Expected();
  auto s = *Session::Load(std::string(kDir) + "mlp.onnx");
  std::vector<std::string> names;
  std::map<std::string, Tensor> kept;
  RunOptions run;
  run.capture = [&](const onnx::NodeProto& node, const std::string& name, const Tensor& t) {
    names.push_back(node.op_type() + ":" + name);
    kept[name] = t;
  };
  ASSERT_TRUE(s->Run({{"x", e["x"]}}, run).ok());
  EXPECT_THAT(names,
              ElementsAre("Mul:xs", "Add:h", "Relu:r", "Constant:axes", "ReduceSum:y", "Tanh:z"));
  // Intermediates released by the session stay valid in the capture's copies.
  ExpectNear(kept["h"], e["h"]);

  names.clear();
  run.capture_pattern = "^[hz]$";
  ASSERT_TRUE(s->Run({{"x", e["x"]}}, run).ok());
  EXPECT_THAT(names, ElementsAre("Add:h", "Tanh:z"));

  run.capture_pattern = "(";
  auto bad = s->Run({{"x", e["x"]}}, run);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SessionTest, ProducerInfo) {
  auto s = *Session::Load(std::string(kDir) + "mlp.onnx");
  const ValueProducer* p = s->Producer("h");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->node_name, "/shift/Add");
  EXPECT_EQ(p->op_type, "Add");
  EXPECT_EQ(p->node_index, 1);
  EXPECT_EQ(s->Producer("x"), nullptr);
  EXPECT_EQ(s->Producer("s"), nullptr);
}

TEST(SessionTest, ReplaceInitializer) {
  auto e = Expected();
  auto s = *Session::Load(std::string(kDir) + "mlp.onnx");
  ASSERT_TRUE(s->ReplaceInitializer("s", e["s2"]).ok());
  auto out = s->Run({{"x", e["x"]}});
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectNear(out->at("y"), e["y_replaced"]);
  ExpectNear(out->at("z"), e["z_replaced"]);

  absl::Status wrong = s->ReplaceInitializer("s", Tensor::Zeros(DType::kF32, {2, 2}));
  EXPECT_EQ(wrong.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(wrong.message()), HasSubstr("has shape [2, 2], expected [4]"));
  EXPECT_EQ(s->ReplaceInitializer("nope", e["s2"]).code(), absl::StatusCode::kNotFound);
  // Another element type of the same shape is cast to the initializer's type.
  EXPECT_TRUE(s->ReplaceInitializer("s", *Cast(e["s2"], DType::kF16)).ok());
  EXPECT_EQ(s->initializers().at("s").dtype(), DType::kF32);
}

TEST(SessionTest, OverridesFeedConsumersButOutputsStayComputed) {
  auto e = Expected();
  auto s = *Session::Load(std::string(kDir) + "mlp.onnx");
  RunOptions run;
  run.overrides["h"] = e["h_override"];
  Tensor captured_h;
  run.capture = [&](const onnx::NodeProto&, const std::string& name, const Tensor& t) {
    if (name == "h") captured_h = t;
  };
  auto out = s->Run({{"x", e["x"]}}, run);
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectNear(out->at("y"), e["y_overridden"]);
  ExpectNear(captured_h, e["h"]);

  run.overrides["no_such_value"] = e["h"];
  auto bad = s->Run({{"x", e["x"]}}, run);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("override \"no_such_value\""));
}

TEST(SessionTest, ListsEveryUnsupportedNodeBeforeRunning) {
  auto s = Session::Load(std::string(kDir) + "unsupported.onnx");
  ASSERT_EQ(s.status().code(), absl::StatusCode::kUnimplemented) << s.status();
  const std::string msg(s.status().message());
  EXPECT_THAT(msg,
              HasSubstr("unsupported.onnx: 2 node(s) have no kernel on backend \"reference\""));
  EXPECT_THAT(msg, HasSubstr("'strnorm_node' StringNormalizer (opset 15)"));
  EXPECT_THAT(msg, HasSubstr("'fancy_node' com.example.FancyOp (opset 1)"));
  EXPECT_THAT(msg, ::testing::Not(HasSubstr("relu_node")));
}

TEST(SessionTest, CheckerErrorsNameTheModel) {
  auto s = Session::Load(std::string(kDir) + "bad.onnx");
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.status().message()),
              HasSubstr("bad.onnx: the ONNX checker rejects the model"));
  auto missing = Session::Load(std::string(kDir) + "does_not_exist.onnx");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

TEST(SessionTest, UnknownBackendListsKnownOnes) {
  SessionOptions o;
  o.backend = "tpu";
  auto s = Session::Load(std::string(kDir) + "mlp.onnx", o);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("known: cpu, cuda, reference"));
}

TEST(SessionTest, ComputesTopologicalOrderForShuffledGraphs) {
  auto e = Expected();
  std::ifstream in(std::string(kDir) + "mlp.onnx", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(ss.str()));
  auto* nodes = m.mutable_graph()->mutable_node();
  std::reverse(nodes->begin(), nodes->end());
  SessionOptions o;
  o.run_checker = false;  // the checker insists on sorted graphs
  auto s = Session::FromModel(m, "shuffled", "", o);
  ASSERT_TRUE(s.ok()) << s.status();
  auto out = (*s)->Run({{"x", e["x"]}});
  ASSERT_TRUE(out.ok()) << out.status();
  ExpectNear(out->at("y"), e["y"]);

  // A cycle is reported, not run.
  onnx::ModelProto cyc = m;
  cyc.mutable_graph()->mutable_node(0)->set_input(0, "z");  // Tanh reads its own output
  auto c = Session::FromModel(cyc, "cyclic", "", o);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("cycle"));
}

TEST(SessionTest, InputChecks) {
  auto s = *Session::Load(std::string(kDir) + "mlp.onnx");
  auto missing = s->Run({});
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("graph input \"x\" was not given"));
  auto wrong_type = s->Run({{"x", Tensor::Zeros(DType::kF64, {2, 4})}});
  EXPECT_THAT(std::string(wrong_type.status().message()), HasSubstr("is f64, expected f32"));
  auto wrong_shape = s->Run({{"x", Tensor::Zeros(DType::kF32, {2, 5})}});
  EXPECT_THAT(std::string(wrong_shape.status().message()),
              HasSubstr("has shape [2, 5], expected [batch, 4]"));
}

}  // namespace
}  // namespace rt
}  // namespace tp

namespace tp {
namespace rt {
namespace {

// Hostile shape values become errors naming the node, not huge allocations or crashes.
TEST(SessionTest, HugeOrNegativeRuntimeShapesAreErrors) {
  for (int64_t dim : {int64_t{-3}, int64_t{1} << 40}) {
    onnx::ModelProto m;
    m.set_ir_version(8);
    m.add_opset_import()->set_version(13);
    onnx::GraphProto* g = m.mutable_graph();
    g->set_name("g");
    onnx::NodeProto* n = g->add_node();
    n->set_name("fill");
    n->set_op_type("ConstantOfShape");
    n->add_input("s");
    n->add_output("y");
    onnx::ValueInfoProto* in = g->add_input();
    in->set_name("s");
    in->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::INT64);
    in->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(2);
    onnx::ValueInfoProto* out = g->add_output();
    out->set_name("y");
    out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
    out->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_param("a");
    out->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_param("b");
    auto s = Session::FromModel(m, "hostile.onnx", "");
    ASSERT_TRUE(s.ok()) << s.status();
    Tensor shape = Tensor::Zeros(DType::kI64, {2});
    shape.mutable_data_as<int64_t>()[0] = 4;
    shape.mutable_data_as<int64_t>()[1] = dim;
    auto r = (*s)->Run({{"s", shape}});
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(r.status().message()),
                ::testing::HasSubstr("hostile.onnx: node 'fill' (ConstantOfShape): output shape"));
  }
}

std::map<std::string, Tensor> ReadBundle(const std::string& file) {
  std::ifstream in(std::string(kDir) + file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  onnx::GraphProto g;
  EXPECT_TRUE(g.ParseFromString(ss.str())) << file;
  std::map<std::string, Tensor> m;
  for (const auto& t : g.initializer()) m[t.name()] = *TensorFromProto(t, file);
  return m;
}

Tensor Int64Scalar(int64_t v) {
  Tensor t = Tensor::Zeros(DType::kI64, {});
  t.mutable_data_as<int64_t>()[0] = v;
  return t;
}

// A Loop (trip count from an int64 scalar input) with an If in its body, on both backends;
// expected values from NumPy (make_session_test_models.py).
TEST(SessionTest, LoopWithNestedIfMatchesNumPyAndCapturesByPath) {
  auto e = ReadBundle("control_expected.pb");
  for (const char* backend : {"reference", "cpu"}) {
    SCOPED_TRACE(backend);
    SessionOptions o;
    o.backend = backend;
    auto s = Session::Load(std::string(kDir) + "control.onnx", o);
    ASSERT_TRUE(s.ok()) << s.status();
    std::vector<std::string> names;
    std::map<std::string, Tensor> kept;
    RunOptions run;
    run.capture = [&](const onnx::NodeProto& node, const std::string& name, const Tensor& t) {
      names.push_back(name);
      kept[name] = t;
    };
    auto out = (*s)->RunValues(
        {{"n", Value::FromTensor(Int64Scalar(3))}, {"h0", Value::FromTensor(e["h0"])}}, run);
    ASSERT_TRUE(out.ok()) << out.status();
    ExpectNear(out->at("h_final").tensor(), e["h_final"]);
    ExpectNear(out->at("scans").tensor(), e["scans"]);
    // The sequence output holds the three scans.
    ASSERT_TRUE(out->at("scan_seq").is_sequence());
    ASSERT_EQ(out->at("scan_seq").items().size(), 3u);
    ExpectNear(out->at("scan_seq").items()[2], e["h_final"]);  // the last scan is the final h
    // Captures inside the body carry the iteration, inside the If the branch that ran.
    EXPECT_THAT(names, ::testing::Contains("loop/iter 0/h2"));
    EXPECT_THAT(names, ::testing::Contains("loop/iter 1/maybe_add/then_branch/h_plus"));
    EXPECT_THAT(names, ::testing::Contains("loop/iter 2/maybe_add/else_branch/h_same"));
    EXPECT_THAT(names,
                ::testing::Not(::testing::Contains("loop/iter 1/maybe_add/else_branch/h_same")));
    // A sequence is captured as its elements.
    EXPECT_THAT(names, ::testing::Contains("scan_seq[1]"));
    // Iteration 1 doubled the first scan: 2 * scans[0].
    std::vector<double> s0 = *ToDoubleVector(e["scans"]);
    std::vector<double> h2 = *ToDoubleVector(kept["loop/iter 1/h2"]);
    EXPECT_DOUBLE_EQ(h2[0], 2 * s0[0]);
    EXPECT_DOUBLE_EQ(h2[1], 2 * s0[1]);

    // An override by path changes only that iteration's consumers: h2 of iteration 2 := 0 gives
    // h_out = 0 there (even iteration, no +1), and the last scan is 0.
    RunOptions ov;
    ov.overrides["loop/iter 2/h2"] = Tensor::Zeros(DType::kF32, {2});
    auto o2 = (*s)->RunValues(
        {{"n", Value::FromTensor(Int64Scalar(3))}, {"h0", Value::FromTensor(e["h0"])}}, ov);
    ASSERT_TRUE(o2.ok()) << o2.status();
    std::vector<double> last = *ToDoubleVector(o2->at("h_final").tensor());
    EXPECT_EQ(last, (std::vector<double>{0.0, 0.0}));

    // Zero iterations: the inputs come back, the scans are empty [0, 2].
    auto zero = (*s)->Run({{"n", Int64Scalar(0)}, {"h0", e["h0"]}});
    ASSERT_FALSE(zero.ok());  // scan_seq is a sequence: Run() asks for RunValues
    EXPECT_THAT(std::string(zero.status().message()), HasSubstr("RunValues"));
    auto zv = (*s)->RunValues(
        {{"n", Value::FromTensor(Int64Scalar(0))}, {"h0", Value::FromTensor(e["h0"])}});
    ASSERT_TRUE(zv.ok()) << zv.status();
    ExpectNear(zv->at("h_final").tensor(), e["h0"]);
    EXPECT_EQ(zv->at("scans").tensor().shape(), (Shape{0, 2}));
  }
}

// An optional input may be left out; a sequence input is fed as a Value.
TEST(SessionTest, OptionalInputLeftOutAndSequenceInput) {
  auto s = *Session::Load(std::string(kDir) + "optional.onnx");
  Value seq =
      Value::Sequence(DType::kF32, {TensorFromFloats({1}, {1}), TensorFromFloats({2}, {1, 2})});
  auto absent = s->RunValues({{"seq", seq}});
  ASSERT_TRUE(absent.ok()) << absent.status();
  EXPECT_EQ(*ToDoubleVector(absent->at("y").tensor()), (std::vector<double>{0, 0}));
  EXPECT_EQ(*ToDoubleVector(absent->at("count").tensor()), (std::vector<double>{2}));
  auto given =
      s->RunValues({{"seq", seq}, {"opt", Value::FromTensor(TensorFromFloats({2}, {3, -4}))}});
  ASSERT_TRUE(given.ok()) << given.status();
  EXPECT_EQ(*ToDoubleVector(given->at("y").tensor()), (std::vector<double>{4, -3}));
  // A tensor where a sequence is declared is an error naming the input.
  auto wrong = s->RunValues({{"seq", Value::FromTensor(TensorFromFloats({1}, {1}))}});
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(wrong.status().message()),
              HasSubstr("graph input \"seq\" is a tensor f32 [1], expected a sequence"));
}

TEST(SessionTest, UnsupportedNodesInsideSubgraphsAreListedWithTheirPath) {
  auto s = Session::Load(std::string(kDir) + "unsupported_in_loop.onnx");
  ASSERT_EQ(s.status().code(), absl::StatusCode::kUnimplemented) << s.status();
  const std::string msg(s.status().message());
  EXPECT_THAT(msg, HasSubstr("2 node(s) have no kernel"));
  EXPECT_THAT(msg, HasSubstr("'outer_loop/body/words' StringNormalizer (opset 16)"));
  EXPECT_THAT(msg, HasSubstr("'fancy' com.example.FancyOp (opset 1)"));
}

TEST(SessionTest, TruncatedModelFileIsAnError) {
  std::ifstream in(std::string(kDir) + "mlp.onnx", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string path = ::testing::TempDir() + "/truncated.onnx";
  std::ofstream(path, std::ios::binary) << ss.str().substr(0, ss.str().size() / 2);
  auto s = Session::Load(path);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), ::testing::HasSubstr("truncated.onnx"));
}

}  // namespace
}  // namespace rt
}  // namespace tp
