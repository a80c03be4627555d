// Differential test: every fast kernel of the cpu table against the reference kernel of the same
// op, on random and edge-case inputs (odd sizes, dilation, groups, every padding mode,
// broadcasting, empty dims, sequence lengths), with 1, 2 and 3 threads. One test per fast kernel
// (parameterized over the table's fast entries), so shuffling, filtering or sharding cannot skip
// a check; an op with a fast kernel and fewer than three cases fails its own test. The cases live
// in differential_*_cases.cc by op group (differential_case.h). The reference kernels themselves
// are checked against PyTorch in runtime/reference/nn_kernels_test.cc and against ONNX's
// conformance data; the ops the cpu table takes from the reference backend unchanged run the very
// same code on both.
#include <onnx/onnx_pb.h>

#include <set>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "gtest/gtest.h"
#include "runtime/cpu/differential_case.h"
#include "runtime/cpu/kernel_table.h"
#include "runtime/kernel.h"
#include "runtime/reference/kernel_table.h"

namespace tp {
namespace rt {
namespace {

TEST(DifferentialTest, FastKernelsAreEnabledHere) {
  // The machines of this project have AVX2/FMA; if this fails the rest tests reference vs itself.
  EXPECT_TRUE(CpuFastKernelsEnabled());
}

// Ops whose cpu table entry is a fast kernel (not the reference function).
std::vector<std::string> FastOps() {
  std::set<std::string> ops;
  for (const KernelDef& k : CpuKernelTable().kernels()) {
    const KernelDef* r = ReferenceKernelTable().Find(k.domain, k.op_type, k.since_version);
    if (r == nullptr || r->fn != k.fn) ops.insert(k.op_type);
  }
  return std::vector<std::string>(ops.begin(), ops.end());
}

class FastKernelTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FastKernelTest, MatchesReference) {
  const std::vector<Case> cases = CasesFor(GetParam());
  ASSERT_GE(cases.size(), 3u) << GetParam() << " has a fast kernel but too few differential cases";
  for (const Case& c : cases) {
    ASSERT_EQ(c.node().op_type(), GetParam());
    Check(c);
  }
}

INSTANTIATE_TEST_SUITE_P(Cpu, FastKernelTest, ::testing::ValuesIn(FastOps()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST(DifferentialTest, EnoughFastKernels) {
  // Guards the parameterization itself: an empty list would run no differential test at all.
  EXPECT_GE(FastOps().size(), 20u);
}

TEST(DifferentialTest, ErrorsMatchReference) {
  Case c("bad_conv", "Conv");
  c.In(Random({1, 3, 8}, 600)).In(Random({4, 2, 3}, 601)).Outputs(1);
  KernelContext ctx(c.node(), 17, c.InputPtrs(), 2);
  absl::Status s = CpuKernelTable().Find("", "Conv", 17)->fn(ctx);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("node 'bad_conv' (Conv)"), std::string::npos) << s;

  Case add("bad_add", "Add");
  add.In(Random({2, 3}, 602)).In(Random({4}, 603)).Outputs(1);
  KernelContext actx(add.node(), 17, add.InputPtrs(), 2);
  absl::Status as = CpuKernelTable().Find("", "Add", 17)->fn(actx);
  EXPECT_EQ(as.code(), absl::StatusCode::kInvalidArgument) << as;
}

TEST(DifferentialTest, CpuTableCoversTheReferenceTable) {
  for (const KernelDef& k : ReferenceKernelTable().kernels()) {
    for (int v : {k.since_version, k.until_version}) {
      EXPECT_NE(CpuKernelTable().Find(k.domain, k.op_type, v), nullptr)
          << k.op_type << " opset " << v << " is missing from the cpu table";
    }
  }
}

}  // namespace
}  // namespace rt
}  // namespace tp
