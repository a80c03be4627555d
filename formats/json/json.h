// A small strict JSON (RFC 8259) parser for headers inside checkpoint files (safetensors headers,
// config files, dump manifests).
//
// Strict: no comments, no trailing commas, no NaN/Infinity literals, no leading zeros, no control
// characters inside strings, valid UTF-8 only, no bytes after the value except whitespace. Nesting
// is limited (default 128) so a hostile file cannot overflow the stack. Object members keep file
// order; duplicate keys are kept (callers decide whether to refuse them, `FindDuplicateKey`).
// Numbers keep their source text so 64-bit integers (byte offsets) are read exactly.
//
// Example:
//   ASSIGN_OR_RETURN(JsonValue root, ParseJson(header_text, "model.safetensors header"));
//   const JsonValue* offsets = root.Find("weight");
//   ASSIGN_OR_RETURN(uint64_t begin, offsets->array[0].AsUint64("data_offsets[0]"));
#ifndef TENSORPORT_FORMATS_JSON_JSON_H_
#define TENSORPORT_FORMATS_JSON_JSON_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tp {

struct JsonValue {
  enum class Kind : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };

  Kind kind = Kind::kNull;
  bool boolean = false;
  std::string text;  // kString: the decoded string; kNumber: the number as written
  std::vector<JsonValue> array;
  std::vector<std::pair<std::string, JsonValue>> object;  // file order

  bool is_null() const { return kind == Kind::kNull; }
  bool is_bool() const { return kind == Kind::kBool; }
  bool is_number() const { return kind == Kind::kNumber; }
  bool is_string() const { return kind == Kind::kString; }
  bool is_array() const { return kind == Kind::kArray; }
  bool is_object() const { return kind == Kind::kObject; }

  // First member named `key` of an object, or nullptr (also for non-objects).
  const JsonValue* Find(absl::string_view key) const;

  // A number written as a non-negative integer (no fraction, no exponent) that fits uint64;
  // InvalidArgument naming `what` otherwise.
  absl::StatusOr<uint64_t> AsUint64(absl::string_view what) const;
  // A number written as an integer that fits int64.
  absl::StatusOr<int64_t> AsInt64(absl::string_view what) const;
  // Any number, as a double.
  absl::StatusOr<double> AsDouble(absl::string_view what) const;
};

// "null", "boolean", "number", "string", "array", "object".
absl::string_view JsonKindName(JsonValue::Kind kind);

struct JsonLimits {
  int max_depth = 128;
  // Values (of any kind, nested ones included) a document may hold; 0 means no limit. A JsonValue
  // takes about 90 bytes, so untrusted input of N bytes can otherwise cost ~45 N bytes of memory.
  uint64_t max_values = 0;
};

// Parses exactly one JSON value from `text` (surrounding whitespace allowed). Errors are one line
// beginning with `source` and giving the byte offset: "x.json: JSON at byte 17: expected ':' after
// object key, found 'a'".
absl::StatusOr<JsonValue> ParseJson(absl::string_view text, absl::string_view source,
                                    JsonLimits limits = {});

// The first key that occurs twice in `object` (members of one object only), or nullptr.
const std::string* FindDuplicateKey(const JsonValue& object);

}  // namespace tp

#endif  // TENSORPORT_FORMATS_JSON_JSON_H_
