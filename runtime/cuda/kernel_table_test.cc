// Host-side checks of the cuda kernel table that need no GPU: it lists every op of the reference
// table (GPU kernel or explicit reference entry), no op twice at one opset, runtime/OPERATORS.md
// matches it, and without a device a GPU kernel fails with Unavailable naming the node instead of
// crashing.
#include "runtime/cuda/kernel_table.h"

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <onnx/onnx_pb.h>

#include "core/tensor.h"
#include "gtest/gtest.h"
#include "runtime/cpu/kernel_table.h"
#include "runtime/operators_doc.h"
#include "runtime/reference/kernel_table.h"

namespace tp {
namespace rt {
namespace {

TEST(CudaKernelTableTest, CoversEveryReferenceOp) {
  const KernelTable& cuda = CudaKernelTable();
  EXPECT_EQ(cuda.backend(), "cuda");
  for (const KernelDef& k : ReferenceKernelTable().kernels()) {
    for (int opset : {k.since_version, k.until_version}) {
      EXPECT_NE(cuda.Find(k.domain, k.op_type, opset), nullptr)
          << k.op_type << " at opset " << opset << " is in the reference table but not in cuda";
    }
  }
}

TEST(CudaKernelTableTest, GpuAndReferenceListsAreDisjointAndExplicit) {
  std::set<std::string> gpu(CudaGpuOps().begin(), CudaGpuOps().end());
  for (const std::string& op : CudaReferenceOps()) {
    EXPECT_EQ(gpu.count(op), 0u) << op << " is listed both as GPU and as reference";
  }
  for (const char* op : {"Conv", "ConvTranspose", "MatMul", "Gemm", "LSTM", "Add", "Softmax",
                         "LayerNormalization", "InstanceNormalization", "BatchNormalization",
                         "ReduceMean", "Transpose", "Concat", "Slice", "Gather", "Pad",
                         "Expand"}) {
    EXPECT_EQ(gpu.count(op), 1u) << op << " should have a GPU kernel";
  }
}

TEST(CudaKernelTableTest, NoOverlappingRanges) {
  const std::vector<KernelDef>& ks = CudaKernelTable().kernels();
  for (size_t i = 0; i < ks.size(); ++i) {
    for (size_t j = i + 1; j < ks.size(); ++j) {
      if (ks[i].op_type != ks[j].op_type || ks[i].domain != ks[j].domain) continue;
      const bool overlap = ks[i].since_version <= ks[j].until_version &&
                           ks[j].since_version <= ks[i].until_version;
      EXPECT_FALSE(overlap) << ks[i].op_type << " is listed twice for overlapping opsets";
    }
  }
}

TEST(CudaKernelTableTest, OperatorsMarkdownMatchesTheTables) {
  std::ifstream in("runtime/OPERATORS.md");
  std::stringstream ss;
  ss << in.rdbuf();
  ASSERT_FALSE(ss.str().empty()) << "runtime/OPERATORS.md is missing";
  EXPECT_EQ(ss.str(), OperatorsMarkdown(ReferenceKernelTable(), CpuKernelTable(),
                                        &CudaKernelTable()))
      << "runtime/OPERATORS.md is out of date; regenerate it with "
         "`bazel run --config=cuda //runtime:operators_md > runtime/OPERATORS.md`";
}

TEST(CudaKernelTableTest, WithoutDeviceAGpuKernelReportsUnavailable) {
  if (CudaDeviceStatus().ok()) GTEST_SKIP() << "a CUDA device is visible; this checks the no-GPU path";
  onnx::NodeProto node;
  node.set_name("relu_1");
  node.set_op_type("Relu");
  node.add_input("x");
  node.add_output("y");
  Tensor x = TensorFromFloats({2}, {1.0f, -1.0f});
  KernelContext ctx(node, 17, {&x}, 1);
  const absl::Status s = CudaKernelTable().Find("", "Relu", 17)->fn(ctx);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_NE(s.message().find("node 'relu_1' (Relu)"), absl::string_view::npos) << s;
  EXPECT_NE(s.message().find("no usable CUDA device"), absl::string_view::npos) << s;
}

}  // namespace
}  // namespace rt
}  // namespace tp
