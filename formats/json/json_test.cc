#include "formats/json/json.h"

#include <fstream>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace tp {
namespace {

// Renders like json_cases.py's Python json.dumps(..., ensure_ascii=True).
std::string RenderString(const std::string& s) {
  std::string out = "\"";
  auto escape16 = [&](uint32_t u) { absl::StrAppend(&out, absl::StrFormat("\\u%04x", u)); };
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = s[i];
    uint32_t cp;
    size_t n;
    if (c < 0x80) {
      cp = c; n = 1;
    } else if (c < 0xe0) {
      cp = c & 0x1f; n = 2;
    } else if (c < 0xf0) {
      cp = c & 0x0f; n = 3;
    } else {
      cp = c & 0x07; n = 4;
    }
    for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
    i += n;
    switch (cp) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      default: break;
    }
    if (cp < 0x20 || (cp > 0x7f && cp < 0x10000)) {
      escape16(cp);
    } else if (cp >= 0x10000) {
      escape16(0xd800 + ((cp - 0x10000) >> 10));
      escape16(0xdc00 + ((cp - 0x10000) & 0x3ff));
    } else {
      out.push_back(static_cast<char>(cp));
    }
  }
  return out + "\"";
}

std::string Render(const JsonValue& v) {
  switch (v.kind) {
    case JsonValue::Kind::kNull: return "null";
    case JsonValue::Kind::kBool: return v.boolean ? "true" : "false";
    case JsonValue::Kind::kNumber: {
      // Python reads "-0" as the integer 0; an integer has no negative zero.
      const bool integer = v.text.find_first_of(".eE") == std::string::npos;
      return absl::StrFormat("N%.17g", *v.AsDouble("n") + (integer ? 0.0 : -0.0));
    }
    case JsonValue::Kind::kString: return RenderString(v.text);
    case JsonValue::Kind::kArray: {
      std::string out = "[";
      for (size_t i = 0; i < v.array.size(); ++i) absl::StrAppend(&out, i ? "," : "", Render(v.array[i]));
      return out + "]";
    }
    case JsonValue::Kind::kObject: {
      std::string out = "{";
      for (size_t i = 0; i < v.object.size(); ++i) {
        absl::StrAppend(&out, i ? "," : "", RenderString(v.object[i].first), ":",
                        Render(v.object[i].second));
      }
      return out + "}";
    }
  }
  return "?";
}

TEST(JsonTest, AgreesWithPythonJson) {
  std::ifstream in("formats/json/json_cases.txt");
  ASSERT_TRUE(in.good()) << "json_cases.txt missing";
  std::string line;
  int count = 0, errors = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> parts = absl::StrSplit(line, '\t');
    ASSERT_EQ(parts.size(), 2u) << line;
    const std::string input = absl::HexStringToBytes(parts[0]);
    absl::StatusOr<JsonValue> v = ParseJson(input, "case");
    if (parts[1] == "ERR") {
      ++errors;
      EXPECT_FALSE(v.ok()) << "accepted invalid JSON: " << absl::CHexEscape(input);
      if (!v.ok()) {
        EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
        EXPECT_EQ(v.status().message().find('\n'), absl::string_view::npos);
        EXPECT_EQ(v.status().message().rfind("case: JSON at byte ", 0), 0u) << v.status();
      }
    } else {
      ASSERT_TRUE(v.ok()) << absl::CHexEscape(input) << ": " << v.status();
      EXPECT_EQ(Render(*v), parts[1]) << absl::CHexEscape(input);
    }
    ++count;
  }
  EXPECT_GT(count, 400);
  EXPECT_GT(errors, 100);
}

TEST(JsonTest, ExactUint64AndErrors) {
  absl::StatusOr<JsonValue> v = ParseJson("[18446744073709551615, 18446744073709551616, -1, 1.0, \"x\"]", "t");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v->array[0].AsUint64("a"), 18446744073709551615ull);
  EXPECT_FALSE(v->array[1].AsUint64("a").ok());
  EXPECT_FALSE(v->array[2].AsUint64("a").ok());
  EXPECT_EQ(*v->array[2].AsInt64("a"), -1);
  EXPECT_FALSE(v->array[3].AsUint64("a").ok());
  absl::StatusOr<uint64_t> s = v->array[4].AsUint64("data_offsets[0]");
  EXPECT_EQ(s.status().message(), "data_offsets[0] is string, expected a non-negative integer below 2^64");
}

TEST(JsonTest, DepthLimitAndDuplicates) {
  std::string deep = std::string(200, '[') + std::string(200, ']');
  absl::StatusOr<JsonValue> v = ParseJson(deep, "deep");
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("nesting deeper than 128"), absl::string_view::npos);
  std::string very_deep(1000000, '[');
  EXPECT_FALSE(ParseJson(very_deep, "deeper").ok());
  JsonLimits limits;
  limits.max_values = 4;
  EXPECT_TRUE(ParseJson("[1,2,3]", "few", limits).ok());
  v = ParseJson("[1,2,3,4]", "many", limits);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("at most 4 values"), absl::string_view::npos) << v.status();
  v = ParseJson("{\"a\":1,\"b\":2,\"a\":3}", "dup");
  ASSERT_TRUE(v.ok());
  ASSERT_NE(FindDuplicateKey(*v), nullptr);
  EXPECT_EQ(*FindDuplicateKey(*v), "a");
  EXPECT_EQ(v->Find("a")->text, "1");
}

}  // namespace
}  // namespace tp
