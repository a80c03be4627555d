// Typed metadata values: non-tensor leaves of a checkpoint, GGUF key/values, safetensors
// __metadata__. Types follow GGUF's so that a GGUF file round-trips without losing its value types.
//
// Example:
//   Metadata m;
//   m.emplace_back("general.architecture", MetaValue::String("hifigan"));
//   m.emplace_back("train.step", MetaValue::Int(1200));
#ifndef TENSORPORT_CORE_METADATA_H_
#define TENSORPORT_CORE_METADATA_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace tp {

struct MetaValue {
  enum class Type : uint8_t {
    kU8, kI8, kU16, kI16, kU32, kI32, kU64, kI64, kF32, kF64, kBool, kString, kArray, kNone,
  };

  Type type = Type::kNone;
  int64_t i = 0;    // signed integer types
  uint64_t u = 0;   // unsigned integer types
  double f = 0;     // f32 / f64
  bool b = false;
  std::string s;
  std::vector<MetaValue> array;
  Type element_type = Type::kNone;  // for arrays (kNone when empty and untyped)

  static MetaValue None() { return MetaValue(); }
  static MetaValue Int(int64_t v, Type t = Type::kI64);
  static MetaValue UInt(uint64_t v, Type t = Type::kU64);
  static MetaValue Float(double v, Type t = Type::kF64);
  static MetaValue Bool(bool v);
  static MetaValue String(std::string v);
  static MetaValue Array(std::vector<MetaValue> v, Type element_type);

  bool is_integer() const;
  bool is_float() const { return type == Type::kF32 || type == Type::kF64; }
  // Numeric value as double (integers, floats, bools); 0 otherwise.
  double AsDouble() const;

  // Human-readable rendering: 1200, 0.5, true, "text", [1, 2, 3] (long arrays abbreviated).
  std::string ToString(size_t max_items = 8) const;
  // JSON rendering (full arrays; NaN/Inf as strings).
  std::string ToJson() const;
};

absl::string_view MetaTypeName(MetaValue::Type t);

using Metadata = std::vector<std::pair<std::string, MetaValue>>;

// First value stored under `key`, or nullptr.
const MetaValue* FindMeta(const Metadata& m, absl::string_view key);

// JSON string literal with escapes.
std::string JsonQuote(absl::string_view s);

}  // namespace tp

#endif  // TENSORPORT_CORE_METADATA_H_
