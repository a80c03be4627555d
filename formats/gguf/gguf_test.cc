#include "formats/gguf/gguf.h"

#include <cstring>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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

const char kDir[] = "formats/gguf/";

// The canonical rendering of make_fixtures.py (see its docstring).
std::string Render(const MetaValue& v) {
  switch (v.type) {
    case MetaValue::Type::kU8: case MetaValue::Type::kU16: case MetaValue::Type::kU32:
    case MetaValue::Type::kU64:
      return absl::StrCat(v.u);
    case MetaValue::Type::kI8: case MetaValue::Type::kI16: case MetaValue::Type::kI32:
    case MetaValue::Type::kI64:
      return absl::StrCat(v.i);
    case MetaValue::Type::kF32: case MetaValue::Type::kF64: {
      uint64_t bits;
      std::memcpy(&bits, &v.f, 8);
      return absl::StrFormat("f%016x", bits);
    }
    case MetaValue::Type::kBool: return v.b ? "true" : "false";
    case MetaValue::Type::kString: return absl::StrCat("s", absl::BytesToHexString(v.s));
    case MetaValue::Type::kArray: {
      std::string out = "[";
      for (size_t k = 0; k < v.array.size(); ++k) absl::StrAppend(&out, k ? "," : "", Render(v.array[k]));
      return out + "]";
    }
    case MetaValue::Type::kNone: return "None";
  }
  return "?";
}

JsonValue LoadJson(const std::string& path) {
  absl::StatusOr<JsonValue> v = ParseJson(ReadFileBytes(path), path);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : JsonValue();
}

void ExpectMatches(const Checkpoint& ckpt, const JsonValue& expected, bool skip_alignment = false) {
  std::vector<const JsonValue*> want_meta;
  for (const JsonValue& m : expected.Find("metadata")->array) {
    if (skip_alignment && m.Find("key")->text == "general.alignment") continue;
    want_meta.push_back(&m);
  }
  ASSERT_EQ(ckpt.metadata.size(), want_meta.size());
  for (size_t i = 0; i < want_meta.size(); ++i) {
    const auto& [key, value] = ckpt.metadata[i];
    SCOPED_TRACE(key);
    EXPECT_EQ(key, want_meta[i]->Find("key")->text);
    EXPECT_EQ(MetaTypeName(value.type), want_meta[i]->Find("type")->text);
    if (value.type == MetaValue::Type::kArray) {
      EXPECT_EQ(MetaTypeName(value.element_type), want_meta[i]->Find("element_type")->text);
    }
    EXPECT_EQ(Render(value), want_meta[i]->Find("value")->text);
  }
  const auto& want_tensors = expected.Find("tensors")->array;
  ASSERT_EQ(ckpt.tensors.size(), want_tensors.size());
  for (size_t i = 0; i < want_tensors.size(); ++i) {
    const JsonValue& want = want_tensors[i];
    const NamedTensor& got = ckpt.tensors[i];
    SCOPED_TRACE(got.name);
    EXPECT_EQ(got.name, want.Find("name")->text);
    EXPECT_EQ(DTypeName(got.tensor.dtype()), want.Find("dtype")->text);
    Shape shape;
    for (const JsonValue& d : want.Find("shape")->array) shape.push_back(*d.AsInt64("dim"));
    EXPECT_EQ(got.tensor.shape(), shape);
    EXPECT_EQ(absl::BytesToHexString(absl::string_view(
                  reinterpret_cast<const char*>(got.tensor.data()), got.tensor.nbytes())),
              want.Find("hex")->text);
    absl::StatusOr<std::vector<double>> values = ToDoubleVector(got.tensor);
    ASSERT_TRUE(values.ok()) << values.status();
    const auto& want_values = want.Find("values")->array;
    ASSERT_EQ(values->size(), want_values.size());
    for (size_t k = 0; k < values->size(); ++k) {
      EXPECT_EQ((*values)[k], *want_values[k].AsDouble("v")) << "element " << k;
    }
  }
}

TEST(GgufTest, ReadsIndependentlyWrittenFiles) {
  for (const char* name : {"indie", "indie_v2"}) {
    SCOPED_TRACE(name);
    const std::string path = absl::StrCat(kDir, name, ".gguf");
    absl::StatusOr<Checkpoint> ckpt = ReadCheckpoint(path);
    ASSERT_TRUE(ckpt.ok()) << ckpt.status();
    EXPECT_EQ(ckpt->format, "gguf");
    ExpectMatches(*ckpt, LoadJson(absl::StrCat(kDir, name, "_expected.json")));
    for (const NamedTensor& t : ckpt->tensors) {
      EXPECT_TRUE(t.tensor.is_view()) << t.name;
      // Views record the mapping, so a streaming caller can give their pages back.
      ASSERT_NE(t.tensor.mapped_file(), nullptr) << t.name;
      EXPECT_EQ(t.tensor.mapped_file()->path(), path) << t.name;
    }
    // Releasing pages only drops them from the resident set: the values read back unchanged.
    for (const NamedTensor& t : ckpt->tensors) t.tensor.ReleasePages();
    ExpectMatches(*ckpt, LoadJson(absl::StrCat(kDir, name, "_expected.json")));
  }
}

TEST(GgufTest, BadFilesGiveOneLineErrors) {
  int count = 0;
  ASSERT_NO_FATAL_FAILURE(CheckBadCases(
      kDir, [](const std::string& path) { return ReadGguf(path, {}).status(); }, ": ", &count));
  EXPECT_GE(count, 19);
}

TEST(GgufTest, TruncationAtEveryByteFails) {
  const std::string bytes = ReadFileBytes(absl::StrCat(kDir, "indie.gguf"));
  ASSERT_GT(bytes.size(), 1000u);
  ASSERT_NO_FATAL_FAILURE(ForEachPrefix(bytes, [](size_t n, const std::string& cut) {
    absl::StatusOr<Checkpoint> ckpt = ParseGguf(cut, nullptr, "cut");
    ASSERT_FALSE(ckpt.ok()) << "prefix of " << n << " bytes was accepted";
    EXPECT_EQ(ckpt.status().message().find('\n'), absl::string_view::npos);
  }));
  EXPECT_TRUE(ParseGguf(bytes, nullptr, "whole").ok());
}

TEST(GgufTest, CorruptedCountsFailWithoutHugeAllocations) {
  const std::string bytes = ReadFileBytes(absl::StrCat(kDir, "indie.gguf"));
  for (size_t field : {8u, 16u}) {  // tensor count, kv count
    for (uint64_t n : {uint64_t{1} << 40, ~uint64_t{0}, uint64_t{200}}) {
      std::string b = bytes;
      std::memcpy(&b[field], &n, 8);
      EXPECT_FALSE(ParseGguf(b, nullptr, "x").ok()) << field << " " << n;
    }
  }
  // Every 8-byte window set to a huge value: no crash, no runaway allocation.
  for (size_t at = 0; at + 8 <= 1200; at += 4) {
    std::string b = bytes;
    const uint64_t n = uint64_t{1} << 60;
    std::memcpy(&b[at], &n, 8);
    (void)ParseGguf(b, nullptr, "x");
  }
}

TEST(GgufTest, WriterMatchesIndependentWriterByteForByte) {
  // indie_v2.gguf was written by make_fixtures.py's writer with the default alignment; ours must
  // produce the same bytes apart from the version field (we write 3).
  absl::StatusOr<Checkpoint> ckpt = ReadGguf(absl::StrCat(kDir, "indie_v2.gguf"), {});
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  const std::string out = TempPath("ours.gguf");
  ASSERT_TRUE(WriteCheckpoint(out, "gguf", *ckpt).ok());
  std::string want = ReadFileBytes(absl::StrCat(kDir, "indie_v2.gguf"));
  want[4] = 3;
  const std::string got = ReadFileBytes(out);
  ASSERT_EQ(got.size(), want.size());
  EXPECT_TRUE(got == want) << "first difference at byte "
                           << std::mismatch(got.begin(), got.end(), want.begin()).first - got.begin();
}

TEST(GgufTest, RoundTripWithAlignment) {
  absl::StatusOr<Checkpoint> ckpt = ReadGguf(absl::StrCat(kDir, "indie.gguf"), {});
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  for (uint64_t alignment : {32u, 64u, 4096u}) {
    SCOPED_TRACE(alignment);
    const std::string out = TempPath(absl::StrCat("rt", alignment, ".gguf"));
    WriteOptions options;
    options.alignment = alignment;
    absl::Status s = WriteCheckpoint(out, "gguf", *ckpt, options);
    ASSERT_TRUE(s.ok()) << s;
    absl::StatusOr<Checkpoint> back = ReadGguf(out, {});
    ASSERT_TRUE(back.ok()) << back.status();
    const MetaValue* a = FindMeta(back->metadata, "general.alignment");
    if (alignment == 32) {
      EXPECT_EQ(a, nullptr);
    } else {
      ASSERT_NE(a, nullptr);
      EXPECT_EQ(a->type, MetaValue::Type::kU32);
      EXPECT_EQ(a->u, alignment);
      ASSERT_EQ(back->metadata.back().first, "general.alignment");
      back->metadata.pop_back();
    }
    ExpectMatches(*back, LoadJson(absl::StrCat(kDir, "indie_expected.json")), true);
    EXPECT_EQ(ReadFileBytes(out).size() % alignment, 0u);
  }
}

Checkpoint Small() {
  Checkpoint c;
  c.metadata.emplace_back("general.architecture", MetaValue::String("hifigan"));
  c.tensors.push_back({"w", TensorFromFloats({2}, {1.0f, 2.0f})});
  return c;
}

TEST(GgufTest, WriterRefusals) {
  const std::string out = TempPath("refused.gguf");
  Checkpoint c = Small();
  c.metadata.clear();
  absl::Status s = WriteCheckpoint(out, "gguf", c);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("general.architecture is missing"), absl::string_view::npos) << s;

  c = Small();
  const std::string long1(64, 'a'), long2 = "decoder." + std::string(70, 'b');
  c.tensors.push_back({long1, TensorFromFloats({1}, {1.0f})});
  c.tensors.push_back({"ok", TensorFromFloats({1}, {1.0f})});
  c.tensors.push_back({long2, TensorFromFloats({1}, {1.0f})});
  s = WriteCheckpoint(out, "gguf", c);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("2 tensor name(s) longer than 63 bytes"), absl::string_view::npos) << s;
  EXPECT_NE(s.message().find(long1), absl::string_view::npos) << s;
  EXPECT_NE(s.message().find(long2), absl::string_view::npos) << s;
  c.tensors.pop_back();
  c.tensors.erase(c.tensors.begin() + 1);
  c.tensors.push_back({std::string(63, 'c'), TensorFromFloats({1}, {1.0f})});
  EXPECT_TRUE(WriteCheckpoint(out, "gguf", c).ok()) << "63 bytes is allowed";

  c = Small();
  c.tensors.push_back({"u", Tensor::Zeros(DType::kU8, {2})});
  s = WriteCheckpoint(out + "2", "gguf", c);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented) << s;

  c = Small();
  c.tensors.push_back({"q", Tensor::Zeros(DType::kQ8_0, {32, 2})});
  s = WriteCheckpoint(out + "2", "gguf", c);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("multiple of 32"), absl::string_view::npos) << s;

  c = Small();
  WriteOptions bad_alignment;
  bad_alignment.alignment = 48;
  EXPECT_EQ(WriteCheckpoint(out + "2", "gguf", c, bad_alignment).code(),
            absl::StatusCode::kInvalidArgument);

  c = Small();
  c.metadata.emplace_back("mixed", MetaValue::Array({MetaValue::Int(1, MetaValue::Type::kI32),
                                                     MetaValue::String("x")},
                                                    MetaValue::Type::kI32));
  s = WriteCheckpoint(out + "2", "gguf", c);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  c = Small();
  c.metadata.emplace_back("small", MetaValue::Int(300, MetaValue::Type::kI8));
  s = WriteCheckpoint(out + "2", "gguf", c);
  EXPECT_NE(s.message().find("does not fit i8"), absl::string_view::npos) << s;
  EXPECT_FALSE(MappedFile::Open(out + "2").ok()) << "a refused write left a file";

  std::vector<TensorSpec> specs = {{"a", DType::kF32, {1}}, {"b", DType::kF32, {1}}};
  s = WriteGguf(out + "3", Small().metadata, specs, [](size_t i) -> absl::StatusOr<Tensor> {
        if (i == 1) return absl::DataLossError("gone");
        return TensorFromFloats({1}, {1.0f});
      }, {});
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_FALSE(MappedFile::Open(out + "3").ok());
}

TEST(GgufTest, Detect) {
  absl::StatusOr<const FormatHandler*> f = DetectFormat(absl::StrCat(kDir, "indie.gguf"));
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ((*f)->id, "gguf");
  f = FormatForExtension("x/model.GGUF");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((*f)->id, "gguf");
  EXPECT_EQ(DTypeForGgml(12).status().message(),
            "ggml type Q4_K (12) is not supported, expected F32, F16, BF16, F64, Q8_0, I8, I16, "
            "I32 or I64");
}

}  // namespace
}  // namespace tp
