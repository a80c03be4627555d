// The benchmark suite's six architectures at test size (runtime/benchmarks/suite_models.py
// --size small: a MobileNetV3 text detector, ResNet-50, a wav2vec2-style encoder, a HiFi-GAN
// generator, a DiT block, a recurrent model), run on the cpu backend both rewritten (runs without
// capture) and as written (the path `verify` takes):
//   - no node that reads or writes float32 data may run a reference-backend kernel (the test
//     prints every one that did); the only exceptions are the ops whose reference kernels neither
//     compute nor copy element data (kMetadataOps);
//   - the outputs must match the reference backend's (double-precision loops).
// ONNX Runtime's outputs on the same models are checked by suite_ort_test.sh.
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "runtime/session.h"
#include "runtime/testing/session_test_util.h"

namespace tp {
namespace rt {
namespace {

const char kDir[] = "tests/runtime_suite/models/";

// Ops whose reference kernels only look at shapes or hand out views of their input (Reshape and
// friends return Tensor::Reshaped views, Shape / Size read dims, Constant hands out the value
// the model holds): no float32 arithmetic or copy runs on the reference path for them.
const std::set<std::string>& MetadataOps() {
  static const auto* ops = new std::set<std::string>{"Identity",  "Reshape", "Flatten", "Squeeze",
                                                     "Unsqueeze", "Shape",   "Size",    "Constant"};
  return *ops;
}

std::map<std::string, Tensor> Inputs(const std::string& model) {
  return testutil::ReadTensorSetOrFail(std::string(kDir) + model + ".inputs.pb");
}

std::unique_ptr<Session> Load(const std::string& model, const std::string& backend, bool fuse,
                              int threads) {
  SessionOptions o;
  o.backend = backend;
  o.fuse = fuse;
  o.num_threads = threads;
  return testutil::LoadOrFail(std::string(kDir) + model + ".onnx", o);
}

class SuiteTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SuiteTest, NoFloatNodeOnTheReferencePathAndOutputsMatchTheReference) {
  const std::string model = GetParam();
  const std::map<std::string, Tensor> inputs = Inputs(model);
  auto reference = Load(model, "reference", false, 1);
  ASSERT_NE(reference, nullptr);
  auto expected = reference->Run(inputs);
  ASSERT_TRUE(expected.ok()) << expected.status();
  for (bool rewritten : {true, false}) {
    SCOPED_TRACE(rewritten ? "rewritten" : "as written");
    auto s = Load(model, "cpu", rewritten, 2);
    ASSERT_NE(s, nullptr);
    if (rewritten) {
      EXPECT_TRUE(s->fusion().changed()) << "no rewrite applied to " << model;
    }
    std::vector<KernelRecord> log;
    RunOptions run;
    run.kernel_log = &log;
    auto out = s->Run(inputs, run);
    ASSERT_TRUE(out.ok()) << out.status();
    ASSERT_FALSE(log.empty());
    std::vector<std::string> slow;
    for (const KernelRecord& r : log) {
      if (r.reference && r.float32 && !MetadataOps().count(r.op_type)) {
        slow.push_back(absl::StrCat(r.op_type, " '", r.node, "' ", r.shape));
      }
    }
    EXPECT_TRUE(slow.empty()) << slow.size() << " float32 node(s) ran a reference kernel: "
                              << absl::StrJoin(slow, "; ");
    for (const auto& [name, t] : *expected) {
      SCOPED_TRACE(name);
      EXPECT_EQ(ShapeToString(out->at(name).shape()), ShapeToString(t.shape()));
      EXPECT_LE(testutil::MaxRelativeError(out->at(name), t), 1e-4);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Suite, SuiteTest,
                         ::testing::Values("mbv3_det", "resnet50", "wav2vec2", "hifigan",
                                           "dit_block", "rnn"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace rt
}  // namespace tp
