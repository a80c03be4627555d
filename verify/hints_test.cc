#include "verify/hints.h"

#include "gtest/gtest.h"
#include "verify/test_cases.h"

namespace tp {
namespace verify {
namespace {

TEST(HintsTest, FindsPlantedDefects) {
  std::vector<TestCase> cases = ReadTestCases("verify/testdata/hint_cases.txt");
  ASSERT_EQ(cases.size(), 16u);
  for (const TestCase& c : cases) {
    ASSERT_GT(c.x.num_elements(), 0) << c.name;
    std::string expect = c.values.at("expect");
    for (char& ch : expect) {
      if (ch == '_') ch = ' ';
    }
    const std::string hint = ExplainDifference(c.x, c.y, Tolerance{});
    if (expect == "NONE") {
      EXPECT_EQ(hint, "") << c.name;
    } else {
      EXPECT_NE(hint.find(expect), std::string::npos)
          << c.name << ": hint '" << hint << "' lacks '" << expect << "'";
    }
  }
}

TEST(HintsTest, TransposeMatchesIndexing) {
  // [[0, 1, 2], [3, 4, 5]] transposed is [[0, 3], [1, 4], [2, 5]].
  std::vector<double> x = {0, 1, 2, 3, 4, 5};
  std::vector<int64_t> shape = {2, 3};
  std::vector<int> perm = {1, 0};
  EXPECT_EQ(TransposeArray(x, shape, perm), (std::vector<double>{0, 3, 1, 4, 2, 5}));
  std::vector<int> order = {1, 0};
  std::vector<int64_t> shape2 = {1, 6};
  EXPECT_EQ(ReorderChunks(x, shape2, 1, order), (std::vector<double>{3, 4, 5, 0, 1, 2}));
}

}  // namespace
}  // namespace verify
}  // namespace tp
