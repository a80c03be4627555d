// End to end on the bundled reference models (reference_dumps/): each model runs through a
// Session on the cuda backend and on the reference backend; every node output must agree, and the
// graph outputs must match PyTorch's float32 dump (reference.npz), an independent source.
//
// Without a visible CUDA device every test skips with the reason.
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/tensor.h"
#include "formats/npy/npz.h"
#include "gtest/gtest.h"
#include "runtime/cuda/kernel_table.h"
#include "runtime/session.h"

namespace tp {
namespace rt {
namespace {

class CudaModelsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const absl::Status s = CudaDeviceStatus();
    if (!s.ok()) GTEST_SKIP() << "no visible CUDA GPU (" << s.message() << ")";
  }
};

// Worst |a - b| / (atol + rtol * |b|); <= 1 passes.
double Worst(const Tensor& got, const Tensor& want, double atol, double rtol) {
  std::vector<double> g = *ToDoubleVector(got), w = *ToDoubleVector(want);
  double worst = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    if (g[i] == w[i] || (std::isnan(g[i]) && std::isnan(w[i]))) continue;
    const double r = std::fabs(g[i] - w[i]) / (atol + rtol * std::fabs(w[i]));
    worst = std::max(worst, std::isnan(r) ? 1e30 : r);
  }
  return worst;
}

absl::StatusOr<std::map<std::string, Tensor>> RunCapturing(const std::string& dir,
                                                           const std::string& backend,
                                                           const std::map<std::string, Tensor>& in,
                                                           std::map<std::string, Tensor>* seen) {
  SessionOptions options;
  options.backend = backend;
  absl::StatusOr<std::unique_ptr<Session>> s = Session::Load(dir + "/model.onnx", options);
  if (!s.ok()) return s.status();
  RunOptions run;
  run.capture = [seen](const onnx::NodeProto&, const std::string& name, const Tensor& t) {
    (*seen)[name] = t;
  };
  return (*s)->Run(in, run);
}

TEST_P(CudaModelsTest, MatchesReferenceBackendAndPyTorch) {
  const std::string dir = "reference_dumps/" + GetParam();
  absl::StatusOr<Checkpoint> inputs = ReadNpzFile(dir + "/inputs.npz");
  ASSERT_TRUE(inputs.ok()) << inputs.status();
  std::map<std::string, Tensor> feed;
  for (const NamedTensor& t : inputs->tensors) feed[t.name] = t.tensor;

  std::map<std::string, Tensor> ref_seen, cuda_seen;
  absl::StatusOr<std::map<std::string, Tensor>> ref = RunCapturing(dir, "reference", feed, &ref_seen);
  ASSERT_TRUE(ref.ok()) << ref.status();
  absl::StatusOr<std::map<std::string, Tensor>> got = RunCapturing(dir, "cuda", feed, &cuda_seen);
  ASSERT_TRUE(got.ok()) << got.status();

  ASSERT_EQ(ref_seen.size(), cuda_seen.size());
  for (const auto& [name, want] : ref_seen) {
    SCOPED_TRACE(name);
    auto it = cuda_seen.find(name);
    ASSERT_NE(it, cuda_seen.end());
    ASSERT_EQ(ShapeToString(it->second.shape()), ShapeToString(want.shape()));
    ASSERT_EQ(it->second.dtype(), want.dtype());
    EXPECT_LE(Worst(it->second, want, 1e-4, 1e-4), 1.0) << "node output differs from reference";
  }

  absl::StatusOr<Checkpoint> dump = ReadNpzFile(dir + "/reference.npz");
  ASSERT_TRUE(dump.ok()) << dump.status();
  for (const auto& [name, value] : *got) {
    SCOPED_TRACE(name);
    const Tensor* want = dump->Find(name);
    ASSERT_NE(want, nullptr) << "reference.npz has no entry " << name;
    ASSERT_EQ(ShapeToString(value.shape()), ShapeToString(want->shape()));
    EXPECT_LE(Worst(value, *want, 1e-4, 1e-3), 1.0) << "output differs from PyTorch";
  }
}

INSTANTIATE_TEST_SUITE_P(Bundled, CudaModelsTest,
                         ::testing::Values("vocoder", "encoder", "dit", "text_encoder"));

}  // namespace
}  // namespace rt
}  // namespace tp
