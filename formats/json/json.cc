#include "formats/json/json.h"

#include <cerrno>
#include <cstdlib>
#include <limits>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/status_macros.h"
#include "core/utf8.h"

namespace tp {
namespace {

class Parser {
 public:
  Parser(absl::string_view text, absl::string_view source, JsonLimits limits)
      : text_(text), source_(source), max_depth_(limits.max_depth), max_values_(limits.max_values) {}

  absl::StatusOr<JsonValue> ParseDocument() {
    SkipWhitespace();
    JsonValue value;
    RETURN_IF_ERROR(ParseValue(&value, 0));
    SkipWhitespace();
    if (pos_ != text_.size()) return Error("expected end of input after the value");
    return value;
  }

 private:
  absl::Status Error(absl::string_view expected) const {
    std::string found;
    if (pos_ >= text_.size()) {
      found = "end of input";
    } else {
      const unsigned char c = static_cast<unsigned char>(text_[pos_]);
      found = (c >= 0x20 && c < 0x7f) ? absl::StrCat("'", std::string(1, c), "'")
                                      : absl::StrFormat("byte 0x%02x", c);
    }
    return absl::InvalidArgumentError(
        absl::StrCat(source_, ": JSON at byte ", pos_, ": ", expected, ", found ", found));
  }

  void SkipWhitespace() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }

  bool Consume(absl::string_view literal) {
    if (text_.substr(pos_, literal.size()) == literal) {
      pos_ += literal.size();
      return true;
    }
    return false;
  }

  absl::Status ParseValue(JsonValue* out, int depth) {
    if (pos_ >= text_.size()) return Error("expected a value");
    if (max_values_ != 0 && ++values_ > max_values_) {
      return Error(absl::StrCat("expected at most ", max_values_, " values in the document"));
    }
    const char c = text_[pos_];
    switch (c) {
      case '{': return ParseObject(out, depth + 1);
      case '[': return ParseArray(out, depth + 1);
      case '"':
        out->kind = JsonValue::Kind::kString;
        return ParseString(&out->text);
      case 't':
        if (!Consume("true")) return Error("expected 'true'");
        out->kind = JsonValue::Kind::kBool;
        out->boolean = true;
        return absl::OkStatus();
      case 'f':
        if (!Consume("false")) return Error("expected 'false'");
        out->kind = JsonValue::Kind::kBool;
        out->boolean = false;
        return absl::OkStatus();
      case 'n':
        if (!Consume("null")) return Error("expected 'null'");
        out->kind = JsonValue::Kind::kNull;
        return absl::OkStatus();
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber(out);
        return Error("expected a value");
    }
  }

  absl::Status ParseObject(JsonValue* out, int depth) {
    if (depth > max_depth_) return Error(absl::StrCat("nesting deeper than ", max_depth_));
    out->kind = JsonValue::Kind::kObject;
    ++pos_;  // '{'
    SkipWhitespace();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return absl::OkStatus();
    }
    while (true) {
      SkipWhitespace();
      if (pos_ >= text_.size() || text_[pos_] != '"') return Error("expected '\"' starting a key");
      std::string key;
      RETURN_IF_ERROR(ParseString(&key));
      SkipWhitespace();
      if (pos_ >= text_.size() || text_[pos_] != ':') return Error("expected ':' after object key");
      ++pos_;
      SkipWhitespace();
      out->object.emplace_back(std::move(key), JsonValue());
      RETURN_IF_ERROR(ParseValue(&out->object.back().second, depth));
      SkipWhitespace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        return absl::OkStatus();
      }
      return Error("expected ',' or '}' in object");
    }
  }

  absl::Status ParseArray(JsonValue* out, int depth) {
    if (depth > max_depth_) return Error(absl::StrCat("nesting deeper than ", max_depth_));
    out->kind = JsonValue::Kind::kArray;
    ++pos_;  // '['
    SkipWhitespace();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return absl::OkStatus();
    }
    while (true) {
      SkipWhitespace();
      out->array.emplace_back();
      RETURN_IF_ERROR(ParseValue(&out->array.back(), depth));
      SkipWhitespace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        return absl::OkStatus();
      }
      return Error("expected ',' or ']' in array");
    }
  }

  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }

  absl::Status ParseNumber(JsonValue* out) {
    const size_t start = pos_;
    if (text_[pos_] == '-') ++pos_;
    if (pos_ >= text_.size() || !IsDigit(text_[pos_])) return Error("expected a digit");
    if (text_[pos_] == '0') {
      ++pos_;
      if (pos_ < text_.size() && IsDigit(text_[pos_])) {
        return Error("expected no leading zero in a number");
      }
    } else {
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (pos_ >= text_.size() || !IsDigit(text_[pos_])) return Error("expected a digit after '.'");
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (pos_ >= text_.size() || !IsDigit(text_[pos_])) {
        return Error("expected a digit in the exponent");
      }
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    }
    out->kind = JsonValue::Kind::kNumber;
    out->text = std::string(text_.substr(start, pos_ - start));
    return absl::OkStatus();
  }

  absl::StatusOr<uint32_t> ParseHex4() {
    if (text_.size() - pos_ < 4) return Error("expected 4 hex digits after \\u");
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text_[pos_];
      uint32_t d;
      if (c >= '0' && c <= '9') {
        d = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        d = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        d = c - 'A' + 10;
      } else {
        return Error("expected a hex digit in \\u escape");
      }
      v = v * 16 + d;
      ++pos_;
    }
    return v;
  }

  absl::Status ParseString(std::string* out) {
    ++pos_;  // opening quote
    while (true) {
      if (pos_ >= text_.size()) return Error("expected '\"' closing the string");
      const unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return absl::OkStatus();
      }
      if (c < 0x20) return Error("expected no control character inside a string (escape it)");
      if (c == '\\') {
        ++pos_;
        if (pos_ >= text_.size()) return Error("expected an escape character after '\\'");
        const char e = text_[pos_];
        switch (e) {
          case '"': out->push_back('"'); break;
          case '\\': out->push_back('\\'); break;
          case '/': out->push_back('/'); break;
          case 'b': out->push_back('\b'); break;
          case 'f': out->push_back('\f'); break;
          case 'n': out->push_back('\n'); break;
          case 'r': out->push_back('\r'); break;
          case 't': out->push_back('\t'); break;
          case 'u': {
            ++pos_;
            ASSIGN_OR_RETURN(uint32_t cp, ParseHex4());
            if (cp >= 0xdc00 && cp <= 0xdfff) {
              pos_ -= 6;
              return Error("expected no lone low surrogate in \\u escape");
            }
            if (cp >= 0xd800 && cp <= 0xdbff) {
              if (!Consume("\\u")) return Error("expected a low surrogate \\u escape");
              ASSIGN_OR_RETURN(uint32_t low, ParseHex4());
              if (low < 0xdc00 || low > 0xdfff) {
                pos_ -= 6;
                return Error("expected a low surrogate \\u escape");
              }
              cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
            }
            AppendUtf8(cp, out);
            continue;  // pos_ already past the escape
          }
          default:
            return Error("expected a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)");
        }
        ++pos_;
        continue;
      }
      if (c < 0x80) {
        out->push_back(static_cast<char>(c));
        ++pos_;
        continue;
      }
      const size_t n = Utf8SequenceLength(text_.substr(pos_));
      if (n == 0) return Error("expected valid UTF-8 inside a string");
      out->append(text_.data() + pos_, n);
      pos_ += n;
    }
  }

  absl::string_view text_;
  absl::string_view source_;
  int max_depth_;
  uint64_t max_values_;
  uint64_t values_ = 0;
  size_t pos_ = 0;
};

bool IsPlainInteger(absl::string_view text) {
  return text.find_first_of(".eE") == absl::string_view::npos;
}

}  // namespace

absl::string_view JsonKindName(JsonValue::Kind kind) {
  switch (kind) {
    case JsonValue::Kind::kNull: return "null";
    case JsonValue::Kind::kBool: return "boolean";
    case JsonValue::Kind::kNumber: return "number";
    case JsonValue::Kind::kString: return "string";
    case JsonValue::Kind::kArray: return "array";
    case JsonValue::Kind::kObject: return "object";
  }
  return "?";
}

const JsonValue* JsonValue::Find(absl::string_view key) const {
  if (kind != Kind::kObject) return nullptr;
  for (const auto& kv : object) {
    if (kv.first == key) return &kv.second;
  }
  return nullptr;
}

absl::StatusOr<uint64_t> JsonValue::AsUint64(absl::string_view what) const {
  uint64_t v = 0;
  if (kind != Kind::kNumber || !IsPlainInteger(text) || text[0] == '-' ||
      !absl::SimpleAtoi(text, &v)) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " is ", kind == Kind::kNumber ? text : std::string(JsonKindName(kind)),
        ", expected a non-negative integer below 2^64"));
  }
  return v;
}

absl::StatusOr<int64_t> JsonValue::AsInt64(absl::string_view what) const {
  int64_t v = 0;
  if (kind != Kind::kNumber || !IsPlainInteger(text) || !absl::SimpleAtoi(text, &v)) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " is ", kind == Kind::kNumber ? text : std::string(JsonKindName(kind)),
        ", expected an integer that fits 64 bits"));
  }
  return v;
}

absl::StatusOr<double> JsonValue::AsDouble(absl::string_view what) const {
  if (kind != Kind::kNumber) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is ", JsonKindName(kind), ", expected a number"));
  }
  // The grammar was checked while parsing; strtod is locale-independent for this syntax in "C".
  return std::strtod(text.c_str(), nullptr);
}

absl::StatusOr<JsonValue> ParseJson(absl::string_view text, absl::string_view source,
                                    JsonLimits limits) {
  Parser parser(text, source, limits);
  return parser.ParseDocument();
}

const std::string* FindDuplicateKey(const JsonValue& object) {
  std::set<absl::string_view> seen;
  for (const auto& kv : object.object) {
    if (!seen.insert(kv.first).second) return &kv.first;
  }
  return nullptr;
}

}  // namespace tp
