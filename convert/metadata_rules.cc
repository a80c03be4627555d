#include "convert/metadata_rules.h"

#include <cmath>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/status_macros.h"

namespace tp {
namespace {

absl::StatusOr<MetaValue::Type> MetaTypeFromName(const std::string& t) {
  static const std::map<std::string, MetaValue::Type>* types =
      new std::map<std::string, MetaValue::Type>{
          {"u8", MetaValue::Type::kU8},   {"i8", MetaValue::Type::kI8},
          {"u16", MetaValue::Type::kU16}, {"i16", MetaValue::Type::kI16},
          {"u32", MetaValue::Type::kU32}, {"i32", MetaValue::Type::kI32},
          {"u64", MetaValue::Type::kU64}, {"i64", MetaValue::Type::kI64},
          {"f32", MetaValue::Type::kF32}, {"f64", MetaValue::Type::kF64},
          {"bool", MetaValue::Type::kBool}, {"string", MetaValue::Type::kString}};
  auto it = types->find(t);
  if (it == types->end()) return absl::InvalidArgumentError(absl::StrCat("unknown type ", t));
  return it->second;
}

// Coerces a generic value to the requested scalar type (arrays element-wise).
absl::StatusOr<MetaValue> Coerce(const MetaValue& v, const std::string& type,
                                 const std::string& key) {
  if (v.type == MetaValue::Type::kArray) {
    std::vector<MetaValue> items;
    MetaValue::Type elem = v.element_type;
    for (const MetaValue& x : v.array) {
      ASSIGN_OR_RETURN(MetaValue c, Coerce(x, type, key));
      elem = c.type;
      items.push_back(std::move(c));
    }
    return MetaValue::Array(std::move(items), elem);
  }
  if (type.empty()) return v;  // the value's own type (JSON: u32/i32/i64 or f32)
  ASSIGN_OR_RETURN(MetaValue::Type t, MetaTypeFromName(type));
  const bool numeric = v.is_integer() || v.is_float() || v.type == MetaValue::Type::kBool;
  switch (t) {
    case MetaValue::Type::kString:
      if (v.type != MetaValue::Type::kString) {
        return absl::InvalidArgumentError(absl::StrCat("metadata \"", key, "\": found ",
                                                       v.ToString(), ", expected a string"));
      }
      return v;
    case MetaValue::Type::kBool:
      if (!numeric) {
        return absl::InvalidArgumentError(absl::StrCat("metadata \"", key, "\": found ",
                                                       v.ToString(), ", expected a bool"));
      }
      return MetaValue::Bool(v.AsDouble() != 0);
    case MetaValue::Type::kF32:
    case MetaValue::Type::kF64:
      if (!numeric) {
        return absl::InvalidArgumentError(absl::StrCat("metadata \"", key, "\": found ",
                                                       v.ToString(), ", expected a number"));
      }
      return MetaValue::Float(v.AsDouble(), t);
    default: {
      if (!numeric) {
        return absl::InvalidArgumentError(absl::StrCat("metadata \"", key, "\": found ",
                                                       v.ToString(), ", expected an integer"));
      }
      const double d = v.AsDouble();
      if (d != std::floor(d)) {
        return absl::InvalidArgumentError(absl::StrCat("metadata \"", key, "\": found ", d,
                                                       ", expected an integer (", type, ")"));
      }
      const bool is_unsigned = t == MetaValue::Type::kU8 || t == MetaValue::Type::kU16 ||
                               t == MetaValue::Type::kU32 || t == MetaValue::Type::kU64;
      if (is_unsigned) {
        if (d < 0) {
          return absl::InvalidArgumentError(absl::StrCat("metadata \"", key, "\": found ", d,
                                                         ", expected a non-negative ", type));
        }
        return MetaValue::UInt(v.type == MetaValue::Type::kU64 ? v.u : static_cast<uint64_t>(d), t);
      }
      return MetaValue::Int(v.type == MetaValue::Type::kI64 ? v.i : static_cast<int64_t>(d), t);
    }
  }
}

MetaValue FromJson(const google::protobuf::Value& v) {
  switch (v.kind_case()) {
    case google::protobuf::Value::kNumberValue: {
      const double d = v.number_value();
      if (d == std::floor(d) && std::fabs(d) < 9.0e15) {
        if (d >= 0 && d < 4294967296.0) return MetaValue::UInt(static_cast<uint64_t>(d), MetaValue::Type::kU32);
        if (d >= -2147483648.0 && d < 0) return MetaValue::Int(static_cast<int64_t>(d), MetaValue::Type::kI32);
        return MetaValue::Int(static_cast<int64_t>(d), MetaValue::Type::kI64);
      }
      return MetaValue::Float(d, MetaValue::Type::kF32);
    }
    case google::protobuf::Value::kStringValue:
      return MetaValue::String(v.string_value());
    case google::protobuf::Value::kBoolValue:
      return MetaValue::Bool(v.bool_value());
    case google::protobuf::Value::kListValue: {
      std::vector<MetaValue> items;
      MetaValue::Type elem = MetaValue::Type::kNone;
      bool any_float = false;
      for (const google::protobuf::Value& x : v.list_value().values()) {
        items.push_back(FromJson(x));
        any_float = any_float || items.back().is_float();
        if (elem == MetaValue::Type::kNone) elem = items.back().type;
      }
      if (any_float) {  // [1, 0.5] is an f32 array, not a mixed one
        for (MetaValue& m : items) {
          if (m.is_integer()) m = MetaValue::Float(m.AsDouble(), MetaValue::Type::kF32);
        }
        elem = MetaValue::Type::kF32;
      }
      return MetaValue::Array(std::move(items), elem);
    }
    default:
      return MetaValue::None();
  }
}

absl::StatusOr<const google::protobuf::Value*> JsonLookup(const google::protobuf::Struct& root,
                                                          const std::string& path) {
  const google::protobuf::Value* cur = nullptr;
  const google::protobuf::Struct* obj = &root;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    if (cur != nullptr && cur->kind_case() == google::protobuf::Value::kListValue) {
      int idx = 0;
      if (!absl::SimpleAtoi(part, &idx) || idx < 0 || idx >= cur->list_value().values_size()) {
        return absl::NotFoundError(std::string(part));
      }
      cur = &cur->list_value().values(idx);
    } else {
      if (cur != nullptr) {
        if (cur->kind_case() != google::protobuf::Value::kStructValue) {
          return absl::NotFoundError(std::string(part));
        }
        obj = &cur->struct_value();
      }
      auto it = obj->fields().find(std::string(part));
      if (it == obj->fields().end()) return absl::NotFoundError(std::string(part));
      cur = &it->second;
    }
  }
  if (cur == nullptr) return absl::NotFoundError(path);
  return cur;
}

}  // namespace

MetaValue AsText(const MetaValue& v) {
  if (v.type == MetaValue::Type::kString) return v;
  return MetaValue::String(v.ToJson());
}

absl::StatusOr<MetaValue> RuleValue(const schema::MetadataRule& m, const Checkpoint& source,
                                    const google::protobuf::Struct* config,
                                    const EngineOptions& options, bool* skip) {
  *skip = false;
  MetaValue v;
  switch (m.value_case()) {
    case schema::MetadataRule::kStringValue: v = MetaValue::String(m.string_value()); break;
    case schema::MetadataRule::kIntValue: v = MetaValue::Int(m.int_value()); break;
    case schema::MetadataRule::kFloatValue: v = MetaValue::Float(m.float_value()); break;
    case schema::MetadataRule::kBoolValue: v = MetaValue::Bool(m.bool_value()); break;
    case schema::MetadataRule::kFromCheckpoint: {
      const MetaValue* found = FindMeta(source.metadata, m.from_checkpoint());
      if (found == nullptr) {
        if (m.optional()) {
          *skip = true;
          return v;
        }
        return absl::NotFoundError(absl::StrCat(
            options.schema_source, ": metadata \"", m.key(), "\": source checkpoint has no leaf \"",
            m.from_checkpoint(), "\" (", source.metadata.size(), " leaves)"));
      }
      v = *found;
      break;
    }
    case schema::MetadataRule::kFromConfig: {
      if (config == nullptr) {
        if (m.optional()) {
          *skip = true;
          return v;
        }
        return absl::InvalidArgumentError(absl::StrCat(options.schema_source, ": metadata \"",
                                                       m.key(), "\" reads config path \"",
                                                       m.from_config(), "\", but no --config was given"));
      }
      absl::StatusOr<const google::protobuf::Value*> found = JsonLookup(*config, m.from_config());
      if (!found.ok()) {
        if (m.optional()) {
          *skip = true;
          return v;
        }
        return absl::NotFoundError(absl::StrCat(options.config_path, ": metadata \"", m.key(),
                                                "\": no value at \"", m.from_config(), "\""));
      }
      v = FromJson(**found);
      break;
    }
    default:
      return absl::InvalidArgumentError(absl::StrCat("metadata \"", m.key(), "\" has no value"));
  }
  absl::StatusOr<MetaValue> c = Coerce(v, m.type(), m.key());
  if (!c.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(options.schema_source, ": ", c.status().message()));
  }
  return c;
}

int FileType(OutType out_type) {
  if (out_type == OutType::kF16) return 1;
  if (out_type == OutType::kQ8_0) return 7;
  if (out_type == OutType::kBF16) return 32;
  return 0;
}

}  // namespace tp
