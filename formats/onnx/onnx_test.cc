#include "formats/onnx/onnx.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/testing/test_util.h"
#include "formats/json/json.h"
#include "formats/registry.h"
#include "gtest/gtest.h"

namespace tp {
namespace {

using ::tp::testutil::CheckBadCases;
using ::tp::testutil::ForEachPrefix;
using ::tp::testutil::ReadFileBytes;
using ::tp::testutil::TempDir;

const char kDir[] = "formats/onnx/";

std::string MetaText(const MetaValue& v) {
  return v.type == MetaValue::Type::kString ? v.s : v.ToString();
}

// Compares with what onnx.numpy_helper.to_array read (make_fixtures.py).
void ExpectMatches(const Checkpoint& ckpt, const std::string& expected_path) {
  absl::StatusOr<JsonValue> expected = ParseJson(ReadFileBytes(expected_path), expected_path);
  ASSERT_TRUE(expected.ok()) << expected.status();
  const auto& tensors = expected->Find("tensors")->array;
  ASSERT_EQ(ckpt.tensors.size(), tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const NamedTensor& got = ckpt.tensors[i];
    SCOPED_TRACE(got.name);
    EXPECT_EQ(got.name, tensors[i].Find("name")->text);
    EXPECT_EQ(DTypeName(got.tensor.dtype()), tensors[i].Find("dtype")->text);
    Shape shape;
    for (const JsonValue& d : tensors[i].Find("shape")->array) shape.push_back(*d.AsInt64("dim"));
    EXPECT_EQ(got.tensor.shape(), shape);
    absl::StatusOr<std::vector<double>> values = ToDoubleVector(got.tensor);
    ASSERT_TRUE(values.ok()) << values.status();
    const auto& want = tensors[i].Find("values")->array;
    ASSERT_EQ(values->size(), want.size());
    for (size_t k = 0; k < want.size(); ++k) {
      EXPECT_EQ((*values)[k], *want[k].AsDouble("v")) << "element " << k;
    }
  }
  for (const JsonValue& kv : expected->Find("metadata")->array) {
    const MetaValue* v = FindMeta(ckpt.metadata, kv.array[0].text);
    ASSERT_NE(v, nullptr) << kv.array[0].text;
    EXPECT_EQ(MetaText(*v), kv.array[1].text) << kv.array[0].text;
  }
}

TEST(OnnxTest, TorchExport) {
  absl::StatusOr<Checkpoint> ckpt = ReadCheckpoint(absl::StrCat(kDir, "tiny.onnx"));
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  EXPECT_EQ(ckpt->format, "onnx");
  ExpectMatches(*ckpt, absl::StrCat(kDir, "tiny_expected.json"));
  EXPECT_EQ(FindMeta(ckpt->metadata, "onnx.input.1"), nullptr) << "initializers are not inputs";
}

TEST(OnnxTest, TypedFieldsAndRawData) {
  absl::StatusOr<Checkpoint> ckpt = ReadOnnx(absl::StrCat(kDir, "typed.onnx"), {});
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  ExpectMatches(*ckpt, absl::StrCat(kDir, "typed_expected.json"));
  EXPECT_TRUE(ckpt->Find("f32_raw")->is_view());
  EXPECT_FALSE(ckpt->Find("f32_typed")->is_view());
}

TEST(OnnxTest, ExternalData) {
  absl::StatusOr<Checkpoint> ckpt = ReadOnnx(absl::StrCat(kDir, "external.onnx"), {});
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  ExpectMatches(*ckpt, absl::StrCat(kDir, "external_expected.json"));
  for (const NamedTensor& t : ckpt->tensors) EXPECT_TRUE(t.tensor.is_view());
}

TEST(OnnxTest, BadFilesGiveOneLineErrors) {
  int count = 0;
  ASSERT_NO_FATAL_FAILURE(CheckBadCases(
      kDir, [](const std::string& path) { return ReadOnnx(path, {}).status(); }, ": ", &count));
  EXPECT_GE(count, 12);
}

TEST(OnnxTest, SymlinkOutOfTheFolderIsRefused) {
  const std::string root = absl::StrCat(TempDir(), "/symlink_case");
  const std::string model_dir = root + "/model";
  ASSERT_EQ(system(absl::StrCat("rm -rf ", root, " && mkdir -p ", model_dir).c_str()), 0);
  std::ofstream(root + "/outside.bin", std::ios::binary) << std::string(8, '\0');
  std::ofstream(model_dir + "/model.onnx", std::ios::binary)
      << ReadFileBytes(absl::StrCat(kDir, "escape_symlink.onnx"));
  ASSERT_EQ(symlink("../outside.bin", (model_dir + "/link.bin").c_str()), 0);
  absl::StatusOr<Checkpoint> ckpt = ReadOnnx(model_dir + "/model.onnx", {});
  ASSERT_FALSE(ckpt.ok());
  EXPECT_EQ(ckpt.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(ckpt.status().message().find("outside the model's folder"), absl::string_view::npos)
      << ckpt.status();

  // A link that stays inside the folder is fine.
  ASSERT_EQ(unlink((model_dir + "/link.bin").c_str()), 0);
  std::ofstream(model_dir + "/real.bin", std::ios::binary) << std::string(8, '\0');
  ASSERT_EQ(symlink("real.bin", (model_dir + "/link.bin").c_str()), 0);
  ckpt = ReadOnnx(model_dir + "/model.onnx", {});
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  EXPECT_EQ(ckpt->tensors[0].tensor.shape(), Shape({2}));
}

// Protobuf has no length header, so a prefix that ends on a field boundary can itself be a valid
// (smaller) model; every prefix must either fail with a one-line message or parse, never crash.
TEST(OnnxTest, TruncationAtEveryByte) {
  for (const char* name : {"typed.onnx", "tiny.onnx"}) {
    const std::string bytes = ReadFileBytes(absl::StrCat(kDir, name));
    ASSERT_GT(bytes.size(), 500u);
    int failed = 0;
    ForEachPrefix(bytes, [&failed](size_t, const std::string& cut) {
      absl::StatusOr<Checkpoint> ckpt = ParseOnnxModel(cut, "", "cut");
      if (!ckpt.ok()) {
        ++failed;
        EXPECT_EQ(ckpt.status().message().find('\n'), absl::string_view::npos);
        EXPECT_EQ(ckpt.status().message().rfind("cut: ", 0), 0u);
      }
    });
    EXPECT_GT(failed, static_cast<int>(bytes.size() * 9 / 10)) << name;
  }
}

TEST(OnnxTest, Detect) {
  absl::StatusOr<const FormatHandler*> f = DetectFormat(absl::StrCat(kDir, "tiny.onnx"));
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ((*f)->id, "onnx");
  f = DetectFormat(absl::StrCat(kDir, "typed.onnx"));
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ((*f)->id, "onnx");
  // A safetensors header length whose low byte is 0x08 is not a ModelProto.
  EXPECT_FALSE(LooksLikeOnnx(std::string("\x08\x01\0\0\0\0\0\0{\"a\":", 13), 300));
  EXPECT_FALSE(LooksLikeOnnx("GGUF\x03\0\0\0", 100));
  EXPECT_FALSE(LooksLikeOnnx(std::string("\x08\x07\x78\x01", 4), 4));
}

}  // namespace
}  // namespace tp
