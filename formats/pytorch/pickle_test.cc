#include "formats/pytorch/pickle.h"

#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/testing/test_util.h"
#include "formats/pytorch/expected_file.h"
#include "gtest/gtest.h"

namespace tp {
namespace {

using ::tp::testutil::ForEachPrefix;
using ::tp::testutil::ReadFileBytes;

using Kind = PickleValue::Kind;

const char kDir[] = "tests/fixtures/pytorch/";

// Test-side walk of the value tree into (key, type, value) lines, the layout of the expected file.
void Walk(const PickleValue* v, const std::string& prefix, std::vector<ExpectedMeta>* out) {
  auto join = [&](const std::string& k) { return prefix.empty() ? k : prefix + "." + k; };
  switch (v->kind) {
    case Kind::kDict:
      for (const auto& kv : v->items) Walk(kv.second, join(kv.first->bytes), out);
      break;
    case Kind::kList:
    case Kind::kTuple:
      for (size_t k = 0; k < v->list.size(); ++k) Walk(v->list[k], join(absl::StrCat(k)), out);
      break;
    case Kind::kInt: out->push_back({prefix, "int", absl::StrCat(v->i)}); break;
    case Kind::kFloat: out->push_back({prefix, "float", absl::StrFormat("%.17g", v->f)}); break;
    case Kind::kString: out->push_back({prefix, "str", v->bytes}); break;
    case Kind::kBool: out->push_back({prefix, "bool", v->b ? "true" : "false"}); break;
    case Kind::kNone: out->push_back({prefix, "none", ""}); break;
    default: out->push_back({prefix, "other", v->Describe()}); break;
  }
}

class ValuesTest : public ::testing::TestWithParam<int> {};

TEST_P(ValuesTest, MatchesPython) {
  const std::string path = absl::StrCat(kDir, "values_p", GetParam(), ".pkl");
  const std::string bytes = ReadFileBytes(path);
  ASSERT_FALSE(bytes.empty()) << path;
  PickleOptions options;
  options.source = path;
  absl::StatusOr<std::unique_ptr<PickleResult>> r = RunPickle(bytes, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)->end_offset, bytes.size());
  EXPECT_TRUE((*r)->warnings.empty());

  absl::StatusOr<ExpectedFile> expected = ReadExpectedFile(absl::StrCat(kDir, "values.expected.txt"));
  ASSERT_TRUE(expected.ok()) << expected.status();
  std::vector<ExpectedMeta> got;
  Walk((*r)->root, "", &got);
  ASSERT_EQ(got.size(), expected->metadata.size());
  for (size_t k = 0; k < got.size(); ++k) {
    const ExpectedMeta& e = expected->metadata[k];
    SCOPED_TRACE(e.key);
    EXPECT_EQ(got[k].key, e.key);
    EXPECT_EQ(got[k].type, e.type);
    if (e.type == "float") {
      double want, have;
      ASSERT_TRUE(absl::SimpleAtod(e.value, &want)) << e.value;
      ASSERT_TRUE(absl::SimpleAtod(got[k].value, &have)) << got[k].value;
      // Compare the doubles themselves: StrCat rounds to 6 digits.
      EXPECT_EQ(want, have);
    } else {
      EXPECT_EQ(got[k].value, e.value);
    }
  }
}

// Float values compared exactly, not through StrCat.
TEST(PickleTest, FloatsAreExact) {
  for (int proto : {0, 2, 5}) {
    const std::string bytes = ReadFileBytes(absl::StrCat(kDir, "values_p", proto, ".pkl"));
    auto r = RunPickle(bytes, PickleOptions());
    ASSERT_TRUE(r.ok()) << r.status();
    const PickleValue* floats = nullptr;
    for (const auto& kv : (*r)->root->items) {
      if (kv.first->bytes == "floats") floats = kv.second;
    }
    ASSERT_NE(floats, nullptr);
    ASSERT_EQ(floats->list.size(), 4u);
    EXPECT_EQ(floats->list[0]->f, 0.5);
    EXPECT_EQ(floats->list[1]->f, -1e300);
    EXPECT_TRUE(std::isinf(floats->list[2]->f));
    EXPECT_EQ(floats->list[3]->f, 5e-324);
  }
}

INSTANTIATE_TEST_SUITE_P(Protocols, ValuesTest, ::testing::Values(0, 2, 5));

TEST(PickleTest, MaliciousGlobalIsRecordedNotCalled) {
  const std::string path = absl::StrCat(kDir, "malicious.pkl");
  const std::string bytes = ReadFileBytes(path);
  PickleOptions options;
  options.source = path;
  auto r = RunPickle(bytes, options);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ((*r)->warnings.size(), 1u);
  EXPECT_NE((*r)->warnings[0].find("posix.system"), std::string::npos) << (*r)->warnings[0];
  EXPECT_NE((*r)->warnings[0].find("security"), std::string::npos);
  const PickleValue* payload = (*r)->root->items.at(0).second;
  EXPECT_EQ(payload->kind, Kind::kObject);
  EXPECT_EQ(payload->qualname, "posix.system");
  ASSERT_NE(payload->args, nullptr);
  EXPECT_EQ(payload->args->list.at(0)->bytes, "touch /tmp/tensorport_pytorch_malicious_marker");
}

TEST(PickleTest, DangerousGlobals) {
  EXPECT_TRUE(IsDangerousGlobal("os", "system"));
  EXPECT_TRUE(IsDangerousGlobal("posix", "system"));
  EXPECT_TRUE(IsDangerousGlobal("nt", "system"));
  EXPECT_TRUE(IsDangerousGlobal("subprocess", "Popen"));
  EXPECT_TRUE(IsDangerousGlobal("builtins", "eval"));
  EXPECT_TRUE(IsDangerousGlobal("builtins", "exec"));
  EXPECT_TRUE(IsDangerousGlobal("__builtin__", "__import__"));
  EXPECT_TRUE(IsDangerousGlobal("importlib.machinery", "SourceFileLoader"));
  EXPECT_FALSE(IsDangerousGlobal("builtins", "set"));
  EXPECT_FALSE(IsDangerousGlobal("collections", "OrderedDict"));
  EXPECT_FALSE(IsDangerousGlobal("torch._utils", "_rebuild_tensor_v2"));
  EXPECT_FALSE(IsDangerousGlobal("argparse", "Namespace"));
}

TEST(PickleTest, TruncationAtEveryByteFails) {
  const std::string bytes = ReadFileBytes(absl::StrCat(kDir, "values_p2.pkl"));
  ASSERT_FALSE(bytes.empty());
  ASSERT_NO_FATAL_FAILURE(ForEachPrefix(bytes, [](size_t n, const std::string& cut) {
    auto r = RunPickle(cut, PickleOptions());
    ASSERT_FALSE(r.ok()) << "prefix " << n;
    EXPECT_FALSE(r.status().message().empty());
  }));
}

// Hand-assembled opcode sequences (opcode values from Python's pickletools documentation).
absl::Status RunBytes(absl::string_view bytes) { return RunPickle(bytes, PickleOptions()).status(); }

TEST(PickleTest, MalformedInputsAreErrors) {
  EXPECT_EQ(RunBytes("").code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(RunBytes(".").code(), absl::StatusCode::kInvalidArgument);          // STOP, empty stack
  EXPECT_EQ(RunBytes("a.").code(), absl::StatusCode::kInvalidArgument);         // APPEND underflow
  EXPECT_EQ(RunBytes("\xff.").code(), absl::StatusCode::kInvalidArgument);      // unknown opcode
  EXPECT_EQ(RunBytes("h\x05.").code(), absl::StatusCode::kInvalidArgument);     // BINGET unset memo
  EXPECT_EQ(RunBytes("e.").code(), absl::StatusCode::kInvalidArgument);         // APPENDS without MARK
  EXPECT_EQ(RunBytes("K\x01K\x02u.").code(), absl::StatusCode::kInvalidArgument);  // SETITEMS no MARK
  EXPECT_EQ(RunBytes("(K\x01.").code(), absl::StatusCode::kInvalidArgument);   // STOP inside MARK
  EXPECT_EQ(RunBytes("X\xff\xff\xff\x7f").code(), absl::StatusCode::kOutOfRange);  // huge length
  EXPECT_EQ(RunBytes("\x8d\xff\xff\xff\xff\xff\xff\xff\xff").code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(RunBytes("\x80\x09.").code(), absl::StatusCode::kInvalidArgument);  // protocol 9
  EXPECT_EQ(RunBytes("K\x01K\x02\x93.").code(), absl::StatusCode::kInvalidArgument);  // STACK_GLOBAL ints
  EXPECT_EQ(RunBytes("N)Q.").code(), absl::StatusCode::kInvalidArgument);      // PERSID without loader
  absl::Status s = RunBytes("\xff.");
  EXPECT_NE(s.message().find("offset 0"), std::string::npos) << s;
}

TEST(PickleTest, MemoCycleIsHeldWithoutLeaking) {
  // EMPTY_LIST BINPUT 0 BINGET 0 APPEND STOP: a list that contains itself.
  auto r = RunPickle(absl::string_view("]q\x00h\x00" "a.", 7), PickleOptions());
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ((*r)->root->list.size(), 1u);
  EXPECT_EQ((*r)->root->list[0], (*r)->root);
}

TEST(PickleTest, ValueBudgetIsEnforced) {
  // Each DUP/EMPTY_LIST makes work; a tiny budget stops it.
  std::string bytes(1000, ']');
  bytes += ".";
  PickleOptions options;
  options.max_values = 100;
  auto r = RunPickle(bytes, options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(PickleTest, BigIntegers) {
  // LONG1 of 10 bytes (the legacy PyTorch magic number) and a negative 2-byte LONG1.
  auto r = RunPickle(absl::string_view("\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.", 13),
                     PickleOptions());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)->root->kind, Kind::kBigInt);
  EXPECT_EQ((*r)->root->bytes.size(), 10u);
  r = RunPickle(absl::string_view("\x8a\x02\x00\xff.", 5), PickleOptions());  // -256
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)->root->i, -256);
}

TEST(PickleTest, StorageDTypes) {
  EXPECT_EQ(*TorchStorageDType("BFloat16Storage"), DType::kBF16);
  EXPECT_EQ(*TorchStorageDType("CharStorage"), DType::kI8);
  EXPECT_EQ(*TorchStorageDType("BoolStorage"), DType::kBool);
  EXPECT_FALSE(TorchStorageDType("ComplexFloatStorage").ok());
}

}  // namespace
}  // namespace tp
