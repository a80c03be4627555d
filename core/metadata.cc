#include "core/metadata.h"

#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tp {

MetaValue MetaValue::Int(int64_t v, Type t) {
  MetaValue m;
  m.type = t;
  m.i = v;
  return m;
}

MetaValue MetaValue::UInt(uint64_t v, Type t) {
  MetaValue m;
  m.type = t;
  m.u = v;
  return m;
}

MetaValue MetaValue::Float(double v, Type t) {
  MetaValue m;
  m.type = t;
  m.f = v;
  return m;
}

MetaValue MetaValue::Bool(bool v) {
  MetaValue m;
  m.type = Type::kBool;
  m.b = v;
  return m;
}

MetaValue MetaValue::String(std::string v) {
  MetaValue m;
  m.type = Type::kString;
  m.s = std::move(v);
  return m;
}

MetaValue MetaValue::Array(std::vector<MetaValue> v, Type element_type) {
  MetaValue m;
  m.type = Type::kArray;
  m.array = std::move(v);
  m.element_type = element_type;
  return m;
}

bool MetaValue::is_integer() const {
  switch (type) {
    case Type::kU8: case Type::kI8: case Type::kU16: case Type::kI16:
    case Type::kU32: case Type::kI32: case Type::kU64: case Type::kI64:
      return true;
    default:
      return false;
  }
}

static bool IsUnsigned(MetaValue::Type t) {
  return t == MetaValue::Type::kU8 || t == MetaValue::Type::kU16 || t == MetaValue::Type::kU32 ||
         t == MetaValue::Type::kU64;
}

double MetaValue::AsDouble() const {
  if (is_integer()) return IsUnsigned(type) ? static_cast<double>(u) : static_cast<double>(i);
  if (is_float()) return f;
  if (type == Type::kBool) return b ? 1.0 : 0.0;
  return 0.0;
}

absl::string_view MetaTypeName(MetaValue::Type t) {
  switch (t) {
    case MetaValue::Type::kU8: return "u8";
    case MetaValue::Type::kI8: return "i8";
    case MetaValue::Type::kU16: return "u16";
    case MetaValue::Type::kI16: return "i16";
    case MetaValue::Type::kU32: return "u32";
    case MetaValue::Type::kI32: return "i32";
    case MetaValue::Type::kU64: return "u64";
    case MetaValue::Type::kI64: return "i64";
    case MetaValue::Type::kF32: return "f32";
    case MetaValue::Type::kF64: return "f64";
    case MetaValue::Type::kBool: return "bool";
    case MetaValue::Type::kString: return "string";
    case MetaValue::Type::kArray: return "array";
    case MetaValue::Type::kNone: return "none";
  }
  return "?";
}

static std::string FormatFloat(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return absl::StrFormat("%.9g", v);
}

std::string JsonQuote(absl::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += "\"";
  return out;
}

std::string MetaValue::ToString(size_t max_items) const {
  switch (type) {
    case Type::kNone: return "None";
    case Type::kBool: return b ? "true" : "false";
    case Type::kString: return JsonQuote(s);
    case Type::kF32: case Type::kF64: return FormatFloat(f);
    case Type::kArray: {
      std::string out = "[";
      for (size_t k = 0; k < array.size(); ++k) {
        if (k == max_items) {
          absl::StrAppend(&out, ", ... (", array.size(), " items)");
          break;
        }
        absl::StrAppend(&out, k ? ", " : "", array[k].ToString(max_items));
      }
      return out + "]";
    }
    default:
      return IsUnsigned(type) ? absl::StrCat(u) : absl::StrCat(i);
  }
}

std::string MetaValue::ToJson() const {
  switch (type) {
    case Type::kNone: return "null";
    case Type::kBool: return b ? "true" : "false";
    case Type::kString: return JsonQuote(s);
    case Type::kF32: case Type::kF64:
      return std::isfinite(f) ? absl::StrFormat("%.17g", f) : JsonQuote(FormatFloat(f));
    case Type::kArray: {
      std::string out = "[";
      for (size_t k = 0; k < array.size(); ++k) {
        absl::StrAppend(&out, k ? ", " : "", array[k].ToJson());
      }
      return out + "]";
    }
    default:
      return IsUnsigned(type) ? absl::StrCat(u) : absl::StrCat(i);
  }
}

const MetaValue* FindMeta(const Metadata& m, absl::string_view key) {
  for (const auto& kv : m) {
    if (kv.first == key) return &kv.second;
  }
  return nullptr;
}

}  // namespace tp
