#include "convert/schema_loader.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "convert/planner.h"
#include "convert/presets_embedded.h"
#include "core/dtype.h"
#include "core/status_macros.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "re2/re2.h"

namespace tp {
namespace {

class CollectErrors : public google::protobuf::io::ErrorCollector {
 public:
  explicit CollectErrors(std::string source) : source_(std::move(source)) {}
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (first_.empty()) {
      // The parser counts from 0; editors count from 1.
      first_ = absl::StrCat(source_, ":", line + 1, ":", column + 1, ": ", message);
    }
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
  const std::string& first() const { return first_; }

 private:
  std::string source_;
  std::string first_;
};

}  // namespace

absl::StatusOr<schema::Conversion> ParseSchema(absl::string_view text, absl::string_view source) {
  schema::Conversion s;
  google::protobuf::TextFormat::Parser parser;
  CollectErrors errors{std::string(source)};
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(text), &s)) {
    return absl::InvalidArgumentError(
        errors.first().empty() ? absl::StrCat(source, ": not a valid conversion schema textproto")
                               : errors.first());
  }
  RETURN_IF_ERROR(ValidateSchema(s, source));
  return s;
}

absl::StatusOr<schema::Conversion> LoadSchemaFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open schema file"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseSchema(ss.str(), path);
}

std::vector<std::string> PresetNames() {
  std::vector<std::string> names;
  for (const EmbeddedPreset& p : EmbeddedPresets()) names.push_back(std::string(p.name));
  return names;
}

absl::StatusOr<std::string> PresetText(absl::string_view name) {
  for (const EmbeddedPreset& p : EmbeddedPresets()) {
    if (p.name == name) return std::string(p.text);
  }
  return absl::NotFoundError(absl::StrCat("\"", name, "\" is not a known preset; known: ",
                                          absl::StrJoin(PresetNames(), ", ")));
}

absl::StatusOr<schema::Conversion> LoadPreset(absl::string_view name) {
  for (const EmbeddedPreset& p : EmbeddedPresets()) {
    if (p.name == name) {
      return ParseSchema(p.text, absl::StrCat("schemas/presets/", name, ".textproto"));
    }
  }
  return absl::NotFoundError(absl::StrCat("\"", name, "\" is not a known preset; known: ",
                                          absl::StrJoin(PresetNames(), ", ")));
}

absl::StatusOr<schema::Conversion> LoadSchemaOrPreset(const std::string& name_or_path) {
  if (std::ifstream(name_or_path, std::ios::binary).good()) return LoadSchemaFile(name_or_path);
  for (const EmbeddedPreset& p : EmbeddedPresets()) {
    if (p.name == name_or_path) return LoadPreset(name_or_path);
  }
  return absl::NotFoundError(absl::StrCat("\"", name_or_path,
                                          "\": cannot open it as a schema file and it is not a "
                                          "known preset; known: ",
                                          absl::StrJoin(PresetNames(), ", ")));
}

absl::Status ValidateSchema(const schema::Conversion& s, absl::string_view source) {
  if (!s.out_type().empty()) {
    RETURN_IF_ERROR(ParseOutType(s.out_type(), absl::StrCat(source, ": out_type")).status());
  }
  if (!s.conv_layout().empty()) {
    RETURN_IF_ERROR(ParseConvLayout(s.conv_layout(), absl::StrCat(source, ": conv_layout")).status());
  }
  for (const std::string& p : s.keep_f32()) RETURN_IF_ERROR(CheckPattern(p, source, -1, "keep_f32", true));
  for (const std::string& p : s.conv1d_weight())
    RETURN_IF_ERROR(CheckPattern(p, source, -1, "conv1d_weight", true));
  for (const std::string& p : s.conv_transpose1d_weight())
    RETURN_IF_ERROR(CheckPattern(p, source, -1, "conv_transpose1d_weight", true));
  for (int i = 0; i < s.pass_size(); ++i) {
    const PassDef* def = FindPass(s.pass(i).op_case());
    if (def == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": pass ", i, " is empty, expected one operation"));
    }
    RETURN_IF_ERROR(def->validate(s.pass(i), source, i));
  }
  static const char* kTypes[] = {"u8",  "i8",  "u16", "i16", "u32",  "i32",
                                 "u64", "i64", "f32", "f64", "bool", "string"};
  for (const schema::MetadataRule& m : s.metadata()) {
    if (m.key().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": metadata entry with an empty key"));
    }
    if (m.value_case() == schema::MetadataRule::VALUE_NOT_SET) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": metadata \"", m.key(), "\" has no value, expected one of ",
                       "string_value, int_value, float_value, bool_value, from_checkpoint, from_config"));
    }
    if (m.type().empty()) continue;
    bool known = false;
    for (const char* t : kTypes) known = known || m.type() == t;
    if (!known) {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ": metadata \"", m.key(), "\" type \"", m.type(), "\", expected one of ",
          absl::StrJoin(kTypes, ", ")));
    }
  }
  for (const schema::ExpectedTensor& t : s.expect().tensor()) {
    if (!t.dtype().empty()) {
      absl::StatusOr<DType> d = DTypeFromName(t.dtype());
      if (!d.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(source, ": expect \"", t.name(), "\": ",
                                                       d.status().message()));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace tp
