#include "core/utf8.h"

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace tp {
namespace {

// Cases from utf8_cases.py (Python's UTF-8 codec), made at build time.
std::string CasesPath() { return "core/utf8_cases.txt"; }

std::string Encode(uint32_t cp) {
  std::string s;
  AppendUtf8(cp, &s);
  return s;
}

TEST(Utf8Test, MatchesPython) {
  std::ifstream in(CasesPath());
  ASSERT_TRUE(in.good()) << CasesPath();
  int encodes = 0, seqs = 0;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string kind, a, b;
    fields >> kind >> a >> b;
    if (kind == "encode") {
      const uint32_t cp = std::stoul(a, nullptr, 16);
      EXPECT_EQ(absl::BytesToHexString(Encode(cp)), b) << "code point " << a;
      ++encodes;
    } else if (kind == "seq") {
      EXPECT_EQ(Utf8SequenceLength(absl::HexStringToBytes(a)), std::stoul(b)) << "bytes " << a;
      ++seqs;
    } else {
      ADD_FAILURE() << "unexpected line: " << line;
    }
  }
  EXPECT_GE(encodes, 10);
  EXPECT_GE(seqs, 20);
}

TEST(Utf8Test, PastMaxBecomesReplacementCharacter) {
  EXPECT_EQ(Encode(0x110000), Encode(0xfffd));
  EXPECT_EQ(Encode(0xffffffff), Encode(0xfffd));
}

TEST(Utf8Test, EmptyInputHasNoSequence) { EXPECT_EQ(Utf8SequenceLength(""), 0u); }

}  // namespace
}  // namespace tp
