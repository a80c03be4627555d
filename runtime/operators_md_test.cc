// runtime/OPERATORS.md must be what the kernel tables generate (the cuda column is checked by
// //runtime/cuda:kernel_table_test, which links the cuda table).
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "runtime/cpu/kernel_table.h"
#include "runtime/operators_doc.h"
#include "runtime/reference/kernel_table.h"

namespace tp {
namespace rt {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(OperatorsMarkdownTest, CheckedInFileMatchesTheTables) {
  const std::string file = ReadFile("runtime/OPERATORS.md");
  ASSERT_FALSE(file.empty()) << "runtime/OPERATORS.md is missing";
  const std::string generated =
      OperatorsMarkdown(ReferenceKernelTable(), CpuKernelTable(), nullptr);
  EXPECT_EQ(WithoutCudaColumn(file), generated)
      << "runtime/OPERATORS.md is out of date; regenerate it with "
         "`bazel run --config=cuda //runtime:operators_md > runtime/OPERATORS.md`";
}

TEST(OperatorsMarkdownTest, MarksFastKernels) {
  const std::string md = OperatorsMarkdown(ReferenceKernelTable(), CpuKernelTable(), nullptr);
  EXPECT_NE(md.find("| Conv | 1-21 | 1-21 fast | n/a |"), std::string::npos) << md;
  EXPECT_NE(md.find("| Shape | 1-18 | 1-18 | n/a |"), std::string::npos) << md;
}

}  // namespace
}  // namespace rt
}  // namespace tp
