#include "formats/pytorch/pytorch_reader.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/checkpoint.h"
#include "core/tensor.h"
#include "core/testing/test_util.h"
#include "formats/pytorch/expected_file.h"
#include "formats/registry.h"
#include "gtest/gtest.h"

namespace tp {
namespace {

using ::tp::testutil::ForEachPrefixFile;
using ::tp::testutil::ReadFileBytes;
using ::tp::testutil::TempPath;
using ::tp::testutil::WriteFileBytes;

std::string Fixture(const std::string& name) { return "tests/fixtures/pytorch/" + name; }

// Element values read exactly from the packed little-endian copy (integers without going
// through double, so int64 values above 2^53 are compared exactly).
std::vector<int64_t> IntValues(const Tensor& packed) {
  std::vector<int64_t> out(packed.num_elements());
  const int esize = ElementSize(packed.dtype());
  for (int64_t k = 0; k < packed.num_elements(); ++k) {
    const uint8_t* p = packed.data() + k * esize;
    switch (packed.dtype()) {
      case DType::kI64: { int64_t v; std::memcpy(&v, p, 8); out[k] = v; break; }
      case DType::kI32: { int32_t v; std::memcpy(&v, p, 4); out[k] = v; break; }
      case DType::kI16: { int16_t v; std::memcpy(&v, p, 2); out[k] = v; break; }
      case DType::kI8: out[k] = static_cast<int8_t>(*p); break;
      case DType::kU8:
      case DType::kBool: out[k] = *p; break;
      default: break;
    }
  }
  return out;
}

// Every tensor is a zero-copy view into the checkpoint's mapping that can release its pages; a
// misaligned one (legacy files place storages anywhere) must not claim to be packed, so typed
// reads go through Contiguous()'s aligned copy.
void ExpectMappedView(const Tensor& t, const std::string& path) {
  EXPECT_TRUE(t.is_view());
  ASSERT_NE(t.mapped_file(), nullptr);
  EXPECT_EQ(t.mapped_file()->path(), path);
  EXPECT_GE(t.data(), t.mapped_file()->data());
  EXPECT_LE(t.data(), t.mapped_file()->data() + t.mapped_file()->size());
  if (!t.is_aligned()) {
    EXPECT_FALSE(t.is_packed());
  }
}

void ExpectTensorEquals(const Tensor& t, const ExpectedTensor& e) {
  SCOPED_TRACE(e.name);
  EXPECT_EQ(DTypeName(t.dtype()), e.dtype);
  EXPECT_EQ(t.shape(), e.shape);
  absl::StatusOr<Tensor> packed = t.Contiguous();
  ASSERT_TRUE(packed.ok()) << packed.status();
  ASSERT_EQ(static_cast<size_t>(packed->num_elements()), e.values.size());
  if (IsFloating(t.dtype())) {
    absl::StatusOr<std::vector<double>> got = ToDoubleVector(*packed);
    ASSERT_TRUE(got.ok()) << got.status();
    for (size_t k = 0; k < e.values.size(); ++k) {
      double want;
      ASSERT_TRUE(absl::SimpleAtod(e.values[k], &want)) << e.values[k];
      if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan((*got)[k])) << "element " << k;
      } else {
        EXPECT_EQ((*got)[k], want) << "element " << k;
        EXPECT_EQ(std::signbit((*got)[k]), std::signbit(want)) << "element " << k;
      }
    }
  } else {
    std::vector<int64_t> got = IntValues(*packed);
    for (size_t k = 0; k < e.values.size(); ++k) {
      int64_t want;
      ASSERT_TRUE(absl::SimpleAtoi(e.values[k], &want)) << e.values[k];
      EXPECT_EQ(got[k], want) << "element " << k;
    }
  }
}

void ExpectMetaEquals(const std::string& key, const MetaValue& v, const ExpectedMeta& e) {
  SCOPED_TRACE(e.key);
  EXPECT_EQ(key, e.key);
  if (e.type == "int") {
    EXPECT_EQ(v.type, MetaValue::Type::kI64);
    EXPECT_EQ(absl::StrCat(v.i), e.value);
  } else if (e.type == "float") {
    EXPECT_EQ(v.type, MetaValue::Type::kF64);
    double want;
    ASSERT_TRUE(absl::SimpleAtod(e.value, &want));
    EXPECT_EQ(v.f, want);
  } else if (e.type == "str") {
    EXPECT_EQ(v.type, MetaValue::Type::kString);
    EXPECT_EQ(v.s, e.value);
  } else if (e.type == "bool") {
    EXPECT_EQ(v.type, MetaValue::Type::kBool);
    EXPECT_EQ(v.b, e.value == "true");
  } else if (e.type == "none") {
    EXPECT_EQ(v.type, MetaValue::Type::kNone);
  } else {
    ADD_FAILURE() << "unknown expected type " << e.type;
  }
}

// Compares a checkpoint with the expected file: same tensors and metadata, same order.
void ExpectCheckpointEquals(const Checkpoint& ckpt, const ExpectedFile& e, const std::string& path) {
  ASSERT_EQ(ckpt.tensors.size(), e.tensors.size());
  for (size_t k = 0; k < e.tensors.size(); ++k) {
    EXPECT_EQ(ckpt.tensors[k].name, e.tensors[k].name);
    ExpectMappedView(ckpt.tensors[k].tensor, path);
    ExpectTensorEquals(ckpt.tensors[k].tensor, e.tensors[k]);
  }
  ASSERT_EQ(ckpt.metadata.size(), e.metadata.size());
  for (size_t k = 0; k < e.metadata.size(); ++k) {
    ExpectMetaEquals(ckpt.metadata[k].first, ckpt.metadata[k].second, e.metadata[k]);
  }
  if (e.warnings.empty()) {
    EXPECT_TRUE(ckpt.warnings.empty()) << ckpt.warnings[0];
  }
  for (const std::string& w : e.warnings) {
    bool found = false;
    for (const std::string& got : ckpt.warnings) found |= absl::StrContains(got, w);
    EXPECT_TRUE(found) << "no warning mentions " << w;
  }
}

class FixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FixtureTest, EveryValueMatchesPyTorch) {
  const std::string path = Fixture(GetParam() + ".pt");
  absl::StatusOr<ExpectedFile> expected = ReadExpectedFile(Fixture(GetParam() + ".expected.txt"));
  ASSERT_TRUE(expected.ok()) << expected.status();
  ASSERT_FALSE(expected->tensors.empty());
  absl::StatusOr<Checkpoint> ckpt = ReadPyTorch(path);
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  EXPECT_EQ(ckpt->format, "pytorch");
  ExpectCheckpointEquals(*ckpt, *expected, path);
}

TEST_P(FixtureTest, DetectedAndReadThroughTheRegistry) {
  const std::string path = Fixture(GetParam() + ".pt");
  absl::StatusOr<const FormatHandler*> f = DetectFormat(path);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ((*f)->id, "pytorch");
  absl::StatusOr<Checkpoint> ckpt = ReadCheckpoint(path);
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  EXPECT_FALSE(ckpt->tensors.empty());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FixtureTest,
                         ::testing::Values("model", "dtypes", "legacy", "legacy_model", "training",
                                           "bigendian", "legacy_bigendian", "malicious", "malicious_legacy", "tiny",
                                           "tiny_legacy"));

TEST(PyTorchReaderTest, ViewsShareTheMappedStorage) {
  absl::StatusOr<Checkpoint> ckpt = ReadPyTorch(Fixture("dtypes.pt"));
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  const Tensor* base = ckpt->Find("shared.base");
  const Tensor* t = ckpt->Find("shared.transposed");
  const Tensor* row = ckpt->Find("shared.row2");
  ASSERT_TRUE(base && t && row);
  EXPECT_TRUE(base->is_view());
  EXPECT_TRUE(base->is_packed());
  EXPECT_FALSE(t->is_packed());  // non-contiguous: element strides
  EXPECT_EQ(t->strides(), (std::vector<int64_t>{1, 6}));
  EXPECT_EQ(t->data(), base->data());
  EXPECT_EQ(row->data(), base->data() + 2 * 6 * 4);  // storage offset 12 elements
}

// Legacy files put each storage right after its 8-byte count, so storages land at arbitrary
// offsets; they are viewed in place (not copied) and still read back as PyTorch wrote them.
TEST(PyTorchReaderTest, MisalignedLegacyStoragesAreViewedInPlace) {
  const std::string path = Fixture("legacy.pt");
  absl::StatusOr<ExpectedFile> expected = ReadExpectedFile(Fixture("legacy.expected.txt"));
  ASSERT_TRUE(expected.ok()) << expected.status();
  absl::StatusOr<Checkpoint> ckpt = ReadPyTorch(path);
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  int misaligned = 0;
  for (const NamedTensor& nt : ckpt->tensors) {
    ASSERT_NE(nt.tensor.mapped_file(), nullptr) << nt.name;
    if (!nt.tensor.is_aligned()) ++misaligned;
  }
  EXPECT_GT(misaligned, 0) << "the fixture no longer exercises misaligned storages";
  ExpectCheckpointEquals(*ckpt, *expected, path);
}

// ReleasePages() only drops pages from the resident set: values read afterwards (faulted back in
// from the file) are still PyTorch's.
TEST(PyTorchReaderTest, ValuesSurviveReleasePages) {
  for (const std::string name : {"model", "legacy_model"}) {
    SCOPED_TRACE(name);
    const std::string path = Fixture(name + ".pt");
    absl::StatusOr<ExpectedFile> expected = ReadExpectedFile(Fixture(name + ".expected.txt"));
    ASSERT_TRUE(expected.ok()) << expected.status();
    absl::StatusOr<Checkpoint> ckpt = ReadPyTorch(path);
    ASSERT_TRUE(ckpt.ok()) << ckpt.status();
    for (const NamedTensor& nt : ckpt->tensors) {
      ASSERT_TRUE(nt.tensor.Contiguous().ok());
      nt.tensor.ReleasePages();
    }
    ExpectCheckpointEquals(*ckpt, *expected, path);
  }
}

TEST(PyTorchReaderTest, BigEndianByteOrder) {
  absl::StatusOr<Checkpoint> ckpt = ReadPyTorch(Fixture("bigendian.pt"));
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  EXPECT_EQ(ckpt->Find("f32")->byte_order(), ByteOrder::kBig);
  ckpt = ReadPyTorch(Fixture("legacy_bigendian.pt"));
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  EXPECT_EQ(ckpt->Find("f32")->byte_order(), ByteOrder::kBig);
}

TEST(PyTorchReaderTest, MaliciousPickleIsNotExecuted) {
  const std::string marker = "/tmp/tensorport_pytorch_malicious_marker";
  std::remove(marker.c_str());
  for (const char* name : {"malicious.pt", "malicious_legacy.pt"}) {
    absl::StatusOr<Checkpoint> ckpt = ReadCheckpoint(Fixture(name));
    ASSERT_TRUE(ckpt.ok()) << ckpt.status();
    EXPECT_NE(access(marker.c_str(), F_OK), 0) << "the pickled command ran";
    ASSERT_FALSE(ckpt->warnings.empty());
    EXPECT_TRUE(absl::StrContains(ckpt->warnings[0], "posix.system")) << ckpt->warnings[0];
    EXPECT_TRUE(absl::StrContains(ckpt->warnings[0], "security")) << ckpt->warnings[0];
    EXPECT_TRUE(absl::StrContains(ckpt->warnings[0], name)) << ckpt->warnings[0];
  }
}

TEST(PyTorchReaderTest, SelectKeepsASubtree) {
  absl::StatusOr<ExpectedFile> all = ReadExpectedFile(Fixture("training.expected.txt"));
  ASSERT_TRUE(all.ok());
  ExpectedFile model;
  for (ExpectedTensor t : all->tensors) {
    if (absl::StartsWith(t.name, "model.")) {
      t.name = t.name.substr(6);
      model.tensors.push_back(t);
    }
  }
  ReadOptions options;
  options.select = "model";
  absl::StatusOr<Checkpoint> ckpt = ReadPyTorch(Fixture("training.pt"), options);
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  ExpectCheckpointEquals(*ckpt, model, Fixture("training.pt"));
  EXPECT_NE(ckpt->Find("conv_pre.weight_v"), nullptr);

  options.select = "optimizer.state.0";
  ckpt = ReadPyTorch(Fixture("training.pt"), options);
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  EXPECT_NE(ckpt->Find("exp_avg"), nullptr);
  EXPECT_NE(ckpt->Find("step"), nullptr);

  options.select = "args";
  ckpt = ReadPyTorch(Fixture("training.pt"), options);
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  const MetaValue* epochs = FindMeta(ckpt->metadata, "epochs");
  ASSERT_NE(epochs, nullptr);
  EXPECT_EQ(epochs->i, 3100);

  options.select = "nope";
  ckpt = ReadPyTorch(Fixture("training.pt"), options);
  ASSERT_FALSE(ckpt.ok());
  EXPECT_EQ(ckpt.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(ckpt.status().message(), "model, optimizer, step, config, best_loss"))
      << ckpt.status();
}

class TruncationTest : public ::testing::TestWithParam<std::string> {};

TEST_P(TruncationTest, EveryPrefixFailsCleanly) {
  const std::string bytes = ReadFileBytes(Fixture(GetParam()));
  ASSERT_GT(bytes.size(), 100u);
  const std::string path = TempPath("truncated_" + GetParam());
  ASSERT_NO_FATAL_FAILURE(ForEachPrefixFile(bytes, path, [&path](size_t n) {
    absl::StatusOr<Checkpoint> ckpt = ReadPyTorch(path);
    ASSERT_FALSE(ckpt.ok()) << "prefix of " << n << " bytes was accepted";
    EXPECT_TRUE(absl::StrContains(ckpt.status().message(), path)) << ckpt.status();
    EXPECT_EQ(ckpt.status().message().find('\n'), std::string::npos) << ckpt.status();
  }));
}

// Every single byte changed: any outcome but a crash (run under ASan/UBSan in CI).
TEST_P(TruncationTest, EveryByteCorruptedNeverCrashes) {
  const std::string bytes = ReadFileBytes(Fixture(GetParam()));
  const std::string path = TempPath("corrupt_" + GetParam());
  int failures = 0;
  for (size_t n = 0; n < bytes.size(); ++n) {
    for (uint8_t x : {0xff, 0x01}) {
      std::string copy = bytes;
      copy[n] = static_cast<char>(copy[n] ^ x);
      WriteFileBytes(path, copy);
      failures += !ReadPyTorch(path).ok();
    }
  }
  EXPECT_GT(failures, 0);
}

INSTANTIATE_TEST_SUITE_P(SmallFixtures, TruncationTest,
                         ::testing::Values("tiny.pt", "tiny_legacy.pt"));

struct BadCase {
  const char* file;
  absl::StatusCode code;
  const char* substring;
};

class BadFileTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadFileTest, FailsWithAClearMessage) {
  const BadCase& c = GetParam();
  absl::StatusOr<Checkpoint> ckpt = ReadPyTorch(Fixture(c.file));
  ASSERT_FALSE(ckpt.ok()) << c.file;
  EXPECT_EQ(ckpt.status().code(), c.code) << ckpt.status();
  EXPECT_TRUE(absl::StrContains(ckpt.status().message(), c.substring)) << ckpt.status();
  EXPECT_TRUE(absl::StrContains(ckpt.status().message(), c.file)) << ckpt.status();
}

INSTANTIATE_TEST_SUITE_P(
    Corrupted, BadFileTest,
    ::testing::Values(
        BadCase{"bad_numel.pt", absl::StatusCode::kOutOfRange, "storage \"0\" holds 16 bytes"},
        BadCase{"bad_shape.pt", absl::StatusCode::kOutOfRange, "size [1000, 1000]"},
        BadCase{"bad_stride.pt", absl::StatusCode::kOutOfRange, "stride [1, 3]"},
        BadCase{"bad_offset.pt", absl::StatusCode::kOutOfRange, "reaches element 4"},
        BadCase{"bad_overflow.pt", absl::StatusCode::kInvalidArgument, "size [1099511627776"},
        BadCase{"bad_missing.pt", absl::StatusCode::kNotFound, "storage \"9\""},
        BadCase{"bad_negative.pt", absl::StatusCode::kInvalidArgument, "negative"},
        BadCase{"bad_legacy_count.pt", absl::StatusCode::kOutOfRange, "storage \"",},
        BadCase{"bad_legacy_magic.pt", absl::StatusCode::kInvalidArgument, "magic number"}));

TEST(PyTorchReaderTest, WrongMagic) {
  const std::string path = TempPath("not_a_checkpoint.pt");
  WriteFileBytes(path, "GGUF\x03\x00\x00\x00 definitely not torch");
  absl::StatusOr<Checkpoint> ckpt = ReadPyTorch(path);
  ASSERT_FALSE(ckpt.ok());
  EXPECT_EQ(ckpt.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(ckpt.status().message(), "GGUF")) << ckpt.status();
  EXPECT_FALSE(LooksLikePyTorch("GGUF\x03\x00\x00\x00", 8));
  EXPECT_FALSE(ReadPyTorch(TempPath("does_not_exist.pt")).ok());
}

TEST(PyTorchReaderTest, ZipWithoutDataPkl) {
  // A real zip from the fixtures with its data.pkl name changed.
  std::string bytes = ReadFileBytes(Fixture("tiny.pt"));
  size_t pos;
  int renamed = 0;
  while ((pos = bytes.find("data.pkl")) != std::string::npos) {
    bytes[pos + 5] = 'x';
    ++renamed;
  }
  ASSERT_EQ(renamed, 2);  // local header and central directory
  const std::string path = TempPath("no_data_pkl.pt");
  WriteFileBytes(path, bytes);
  absl::StatusOr<Checkpoint> ckpt = ReadPyTorch(path);
  ASSERT_FALSE(ckpt.ok());
  EXPECT_EQ(ckpt.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(ckpt.status().message(), "no data.pkl")) << ckpt.status();
}

}  // namespace
}  // namespace tp
