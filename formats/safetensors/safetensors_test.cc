#include "formats/safetensors/safetensors.h"

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/mapped_file.h"
#include "core/testing/test_util.h"
#include "formats/json/json.h"
#include "formats/registry.h"
#include "gtest/gtest.h"

namespace tp {
namespace {

using ::tp::testutil::CheckBadCases;
using ::tp::testutil::ForEachPrefix;
using ::tp::testutil::ReadFileBytes;
using ::tp::testutil::TempPath;

const char kDir[] = "formats/safetensors/";

// Compares a checkpoint with an expected JSON made by make_fixtures.py from NumPy / PyTorch.
void ExpectMatches(const Checkpoint& ckpt, const JsonValue& expected) {
  const JsonValue* tensors = expected.Find("tensors");
  ASSERT_NE(tensors, nullptr);
  ASSERT_EQ(ckpt.tensors.size(), tensors->array.size());
  for (size_t i = 0; i < ckpt.tensors.size(); ++i) {
    const JsonValue& want = tensors->array[i];
    const NamedTensor& got = ckpt.tensors[i];
    SCOPED_TRACE(got.name);
    EXPECT_EQ(got.name, want.Find("name")->text);
    EXPECT_EQ(DTypeName(got.tensor.dtype()), want.Find("dtype")->text);
    Shape shape;
    for (const JsonValue& d : want.Find("shape")->array) shape.push_back(*d.AsInt64("dim"));
    EXPECT_EQ(got.tensor.shape(), shape);
    absl::StatusOr<std::vector<double>> values = ToDoubleVector(got.tensor);
    ASSERT_TRUE(values.ok()) << values.status();
    const auto& want_values = want.Find("values")->array;
    ASSERT_EQ(values->size(), want_values.size());
    for (size_t k = 0; k < want_values.size(); ++k) {
      EXPECT_EQ((*values)[k], *want_values[k].AsDouble("v")) << "element " << k;
    }
  }
  const JsonValue* metadata = expected.Find("metadata");
  ASSERT_EQ(ckpt.metadata.size(), metadata->array.size());
  for (size_t i = 0; i < ckpt.metadata.size(); ++i) {
    EXPECT_EQ(ckpt.metadata[i].first, metadata->array[i].array[0].text);
    EXPECT_EQ(ckpt.metadata[i].second.type, MetaValue::Type::kString);
    EXPECT_EQ(ckpt.metadata[i].second.s, metadata->array[i].array[1].text);
  }
}

JsonValue LoadExpected() {
  absl::StatusOr<JsonValue> v =
      ParseJson(ReadFileBytes(absl::StrCat(kDir, "basic_expected.json")), "basic_expected.json");
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : JsonValue();
}

TEST(SafetensorsTest, ReadsHandWrittenFixtureAsViews) {
  const std::string path = absl::StrCat(kDir, "basic.safetensors");
  absl::StatusOr<Checkpoint> ckpt = ReadCheckpoint(path);
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  EXPECT_EQ(ckpt->format, "safetensors");
  ExpectMatches(*ckpt, LoadExpected());
  for (const NamedTensor& t : ckpt->tensors) {
    EXPECT_TRUE(t.tensor.is_view()) << t.name;
    // Views record the mapping, so a streaming caller can give their pages back.
    ASSERT_NE(t.tensor.mapped_file(), nullptr) << t.name;
    EXPECT_EQ(t.tensor.mapped_file()->path(), path) << t.name;
    if (!t.tensor.is_aligned()) {
      EXPECT_FALSE(t.tensor.is_packed()) << t.name;
    }
  }
  // Releasing pages only drops them from the resident set: the values read back unchanged.
  for (const NamedTensor& t : ckpt->tensors) t.tensor.ReleasePages();
  ExpectMatches(*ckpt, LoadExpected());
}

TEST(SafetensorsTest, DetectAndExtension) {
  absl::StatusOr<const FormatHandler*> f = DetectFormat(absl::StrCat(kDir, "basic.safetensors"));
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ((*f)->id, "safetensors");
  f = FormatForExtension("out/Model.SafeTensors");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((*f)->id, "safetensors");
  EXPECT_FALSE(LooksLikeSafetensors(std::string("\x08\0\0\0\0\0\0\0[", 9), 100));
  EXPECT_FALSE(LooksLikeSafetensors(std::string("\xff\0\0\0\0\0\0\0{", 9), 100));
}

TEST(SafetensorsTest, BadFilesGiveOneLineErrors) {
  int count = 0;
  ASSERT_NO_FATAL_FAILURE(CheckBadCases(
      kDir, [](const std::string& path) { return ReadSafetensors(path, {}).status(); }, "", &count));
  EXPECT_GE(count, 19);
}

TEST(SafetensorsTest, TruncationAtEveryByteFails) {
  const std::string bytes = ReadFileBytes(absl::StrCat(kDir, "basic.safetensors"));
  ASSERT_GT(bytes.size(), 100u);
  ASSERT_NO_FATAL_FAILURE(ForEachPrefix(bytes, [](size_t n, const std::string& cut) {
    absl::StatusOr<Checkpoint> ckpt = ParseSafetensors(cut, nullptr, "cut");
    ASSERT_FALSE(ckpt.ok()) << "prefix of " << n << " bytes was accepted";
    EXPECT_EQ(ckpt.status().message().find('\n'), absl::string_view::npos);
  }));
  EXPECT_TRUE(ParseSafetensors(bytes, nullptr, "whole").ok());
}

TEST(SafetensorsTest, CorruptedHeaderLengthDoesNotAllocate) {
  std::string bytes = ReadFileBytes(absl::StrCat(kDir, "basic.safetensors"));
  for (uint64_t n : {uint64_t{0}, uint64_t{1}, uint64_t{99'999'999}, ~uint64_t{0}, uint64_t{1} << 63}) {
    std::string b = bytes;
    std::memcpy(&b[0], &n, 8);
    EXPECT_FALSE(ParseSafetensors(b, nullptr, "x").ok()) << n;
  }
}

// Writes what was read and has an independent Python reader (reference rules, NumPy values)
// check the result against the same expected values.
TEST(SafetensorsTest, WrittenFilePassesIndependentReader) {
  absl::StatusOr<Checkpoint> ckpt = ReadSafetensors(absl::StrCat(kDir, "basic.safetensors"), {});
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  const std::string out = TempPath("roundtrip.safetensors");
  ASSERT_TRUE(WriteCheckpoint(out, "safetensors", *ckpt).ok());
  const std::string cmd = absl::StrCat("/usr/bin/python3 ", kDir, "check_safetensors.py ", out,
                                       " ", kDir, "basic_expected.json");
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  absl::StatusOr<Checkpoint> back = ReadSafetensors(out, {});
  ASSERT_TRUE(back.ok()) << back.status();
  ExpectMatches(*back, LoadExpected());
}

TEST(SafetensorsTest, NonStringMetadataIsRendered) {
  Checkpoint ckpt;
  ckpt.tensors.push_back({"w", TensorFromFloats({2}, {1.0f, -2.0f})});
  ckpt.metadata.emplace_back("step", MetaValue::Int(1200));
  ckpt.metadata.emplace_back("lr", MetaValue::Float(0.5));
  ckpt.metadata.emplace_back("ema", MetaValue::Bool(true));
  ckpt.metadata.emplace_back("name", MetaValue::String("hifigan"));
  ckpt.metadata.emplace_back(
      "rates", MetaValue::Array({MetaValue::Int(8), MetaValue::Int(8)}, MetaValue::Type::kI64));
  const std::string out = TempPath("meta.safetensors");
  ASSERT_TRUE(WriteCheckpoint(out, "safetensors", ckpt).ok());
  const std::string expected_path = TempPath("meta_expected.json");
  std::ofstream(expected_path)
      << R"({"metadata": [["step", "1200"], ["lr", "0.5"], ["ema", "true"], ["name", "hifigan"],)"
      << R"( ["rates", "[8, 8]"]], "tensors": [{"name": "w", "dtype": "f32", "shape": [2],)"
      << R"( "values": [1.0, -2.0]}]})";
  const std::string cmd = absl::StrCat("/usr/bin/python3 ", kDir, "check_safetensors.py ", out, " ",
                                       expected_path);
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

TEST(SafetensorsTest, WriterRefusals) {
  Checkpoint ckpt;
  ckpt.tensors.push_back({"w", TensorFromFloats({2}, {1.0f, 2.0f})});
  ckpt.tensors.push_back({"w", TensorFromFloats({1}, {3.0f})});
  const std::string out = TempPath("dup.safetensors");
  absl::Status s = WriteCheckpoint(out, "safetensors", ckpt);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("\"w\" appears twice"), absl::string_view::npos) << s;
  EXPECT_FALSE(MappedFile::Open(out).ok()) << "a refused write left a file behind";

  Checkpoint q;
  q.tensors.push_back({"q", Tensor::Zeros(DType::kQ8_0, {32})});
  s = WriteCheckpoint(out, "safetensors", q);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented) << s;

  Checkpoint bad_utf8;
  bad_utf8.tensors.push_back({"w\xff", TensorFromFloats({1}, {1.0f})});
  s = WriteCheckpoint(out, "safetensors", bad_utf8);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;

  // A producer that fails half-way leaves no partial output.
  std::vector<TensorSpec> specs = {{"a", DType::kF32, {1}}, {"b", DType::kF32, {1}}};
  s = WriteSafetensors(out, {}, specs, [](size_t i) -> absl::StatusOr<Tensor> {
        if (i == 1) return absl::DataLossError("source went away");
        return TensorFromFloats({1}, {1.0f});
      }, {});
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_FALSE(MappedFile::Open(out).ok());
}

}  // namespace
}  // namespace tp
