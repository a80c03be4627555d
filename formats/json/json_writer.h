// Writes JSON text: the one place the project turns values into JSON (reports, provenance
// records, inspect --json), so quoting and number formatting are the same everywhere.
//
// The writer keeps the nesting and inserts commas; numbers that are not finite are written as
// strings ("nan", "inf", "-inf"), since JSON has no literal for them. With `indent` > 0 each
// member goes on its own line.
//
// Example:
//   JsonWriter w(/*indent=*/2);
//   w.BeginObject();
//   w.Key("name").String("conv.weight");
//   w.Key("shape").BeginArray().Int(64).Int(16).EndArray();
//   w.EndObject();
//   std::string text = w.Finish();
#ifndef TENSORPORT_FORMATS_JSON_JSON_WRITER_H_
#define TENSORPORT_FORMATS_JSON_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace tp {

class JsonWriter {
 public:
  explicit JsonWriter(int indent = 0) : indent_(indent) {}

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  // The next member's key (inside an object).
  JsonWriter& Key(absl::string_view key);
  JsonWriter& String(absl::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Uint(uint64_t value);
  // %.10g; NaN and infinities as the strings "nan", "inf", "-inf".
  JsonWriter& Number(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // Arrays of strings and of integers (a shape).
  JsonWriter& Strings(const std::vector<std::string>& values);
  JsonWriter& Ints(const std::vector<int64_t>& values);
  // Text that is already JSON (a nested document).
  JsonWriter& Raw(absl::string_view json);

  // The document (with a final newline when indenting).
  std::string Finish();

 private:
  void BeforeValue();
  void Newline();

  int indent_;
  std::string out_;
  struct Level {
    bool object = false;
    bool empty = true;
  };
  std::vector<Level> stack_;
  bool after_key_ = false;
};

}  // namespace tp

#endif  // TENSORPORT_FORMATS_JSON_JSON_WRITER_H_
