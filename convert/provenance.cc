#include "convert/provenance.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "convert/schema_loader.h"
#include "core/digest.h"
#include "core/status_macros.h"
#include "core/version.h"
#include "formats/json/json.h"
#include "formats/json/json_writer.h"
#include "re2/re2.h"

namespace tp {
namespace {

absl::StatusOr<std::string> Str(const JsonValue& obj, absl::string_view key,
                                absl::string_view source) {
  const JsonValue* v = obj.Find(key);
  if (v == nullptr || v->is_null()) return std::string();
  if (!v->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": provenance \"", key, "\" is ", JsonKindName(v->kind),
                     ", expected a string"));
  }
  return v->text;
}

absl::StatusOr<std::vector<std::string>> Strings(const JsonValue& obj, absl::string_view key,
                                                 absl::string_view source) {
  std::vector<std::string> out;
  const JsonValue* v = obj.Find(key);
  if (v == nullptr) return out;
  if (!v->is_array()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": provenance \"", key, "\" is not an array"));
  }
  for (const JsonValue& x : v->array) {
    if (!x.is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": provenance \"", key, "\" holds a non-string"));
    }
    out.push_back(x.text);
  }
  return out;
}

std::vector<std::string> Describe(const PlannedOutput& o) {
  std::vector<std::string> out;
  for (const Transform& t : o.transforms) out.push_back(t.Describe());
  return out;
}

}  // namespace

std::string Provenance::Summary() const {
  std::string s = tool;
  if (schema_origin.empty()) {
    absl::StrAppend(&s, ", no schema");
  } else {
    absl::StrAppend(&s, ", ", schema_origin, " ", schema_name, " (sha256 ",
                    schema_sha256.substr(0, 12), ")");
  }
  if (out_type.has_value()) absl::StrAppend(&s, ", out_type ", OutTypeName(*out_type));
  if (fuse_weight_norm) absl::StrAppend(&s, ", fuse_weight_norm");
  if (conv_layout.has_value()) absl::StrAppend(&s, ", conv_layout ", ConvLayoutName(*conv_layout));
  if (!select.empty()) absl::StrAppend(&s, ", select ", select);
  return s;
}

absl::StatusOr<std::vector<std::string>> Provenance::NotInGraph(const ConversionPlan& plan) const {
  std::vector<std::string> out;
  if (schema_text.empty()) return out;
  ASSIGN_OR_RETURN(schema::Conversion s, ParseSchema(schema_text, "recorded schema"));
  for (const std::string& p : s.not_in_graph()) {
    RE2 re(absl::StrCat("^(?:", p, ")$"), RE2::Quiet);
    for (const PlannedOutput& o : plan.outputs()) {
      if (RE2::FullMatch(o.name, re)) out.push_back(o.name);
    }
  }
  return out;
}

Provenance MakeProvenance(const ConversionPlan& plan, const ProvenanceInputs& in) {
  Provenance p;
  p.tool = absl::StrCat("tensorport ", kToolVersion);
  p.source_file = in.source_file;
  p.source_format = in.source_format;
  p.select = in.select;
  p.schema_name = in.schema_name;
  p.schema_origin = in.schema_origin;
  p.schema_text = in.schema_text;
  p.schema_sha256 = in.schema_text.empty() ? "" : Sha256Hex(in.schema_text);
  p.out_type = in.engine.out_type;
  p.conv_layout = in.engine.conv_layout;
  p.arch = in.engine.arch;
  p.fuse_weight_norm = in.engine.fuse_weight_norm;
  p.allow_unmapped = in.engine.allow_unmapped;
  for (const PlannedOutput& o : plan.outputs()) {
    p.tensors.push_back({o.name, std::string(DTypeName(o.dtype)), o.shape, o.sources, Describe(o)});
  }
  return p;
}

std::string ProvenanceToJson(const Provenance& p) {
  JsonWriter w;
  w.BeginObject();
  w.Key("record").String(kProvenanceKey);
  w.Key("version").Int(1);
  w.Key("tool").String(p.tool);
  w.Key("source").BeginObject();
  w.Key("file").String(p.source_file);
  w.Key("format").String(p.source_format);
  w.Key("select").String(p.select);
  w.EndObject();
  w.Key("schema");
  if (p.schema_origin.empty()) {
    w.Null();
  } else {
    w.BeginObject();
    w.Key("name").String(p.schema_name);
    w.Key("origin").String(p.schema_origin);
    w.Key("sha256").String(p.schema_sha256);
    w.Key("text").String(p.schema_text);
    w.EndObject();
  }
  w.Key("options").BeginObject();
  w.Key("out_type").String(p.out_type.has_value() ? OutTypeName(*p.out_type) : "");
  w.Key("fuse_weight_norm").Bool(p.fuse_weight_norm);
  w.Key("conv_layout").String(p.conv_layout.has_value() ? ConvLayoutName(*p.conv_layout) : "");
  w.Key("arch").String(p.arch);
  w.Key("allow_unmapped").Bool(p.allow_unmapped);
  w.EndObject();
  w.Key("tensors").BeginArray();
  for (const Provenance::TensorRecord& t : p.tensors) {
    w.BeginObject();
    w.Key("name").String(t.name);
    w.Key("dtype").String(t.dtype);
    w.Key("shape").Ints(t.shape);
    w.Key("sources").Strings(t.sources);
    w.Key("transforms").Strings(t.transforms);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Finish();
}

absl::StatusOr<Provenance> ProvenanceFromJson(absl::string_view json, absl::string_view source) {
  ASSIGN_OR_RETURN(JsonValue root, ParseJson(json, absl::StrCat(source, ": provenance")));
  if (!root.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": provenance is not a JSON object"));
  }
  ASSIGN_OR_RETURN(std::string record, Str(root, "record", source));
  if (record != kProvenanceKey) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": provenance record is \"", record,
                                                   "\", expected \"", kProvenanceKey, "\""));
  }
  Provenance p;
  ASSIGN_OR_RETURN(p.tool, Str(root, "tool", source));
  if (const JsonValue* s = root.Find("source"); s != nullptr && s->is_object()) {
    ASSIGN_OR_RETURN(p.source_file, Str(*s, "file", source));
    ASSIGN_OR_RETURN(p.source_format, Str(*s, "format", source));
    ASSIGN_OR_RETURN(p.select, Str(*s, "select", source));
  }
  if (const JsonValue* s = root.Find("schema"); s != nullptr && s->is_object()) {
    ASSIGN_OR_RETURN(p.schema_name, Str(*s, "name", source));
    ASSIGN_OR_RETURN(p.schema_origin, Str(*s, "origin", source));
    ASSIGN_OR_RETURN(p.schema_sha256, Str(*s, "sha256", source));
    ASSIGN_OR_RETURN(p.schema_text, Str(*s, "text", source));
    if (Sha256Hex(p.schema_text) != p.schema_sha256) {
      return absl::DataLossError(absl::StrCat(source, ": provenance schema text does not match ",
                                              "its recorded sha256"));
    }
  }
  if (const JsonValue* o = root.Find("options"); o != nullptr && o->is_object()) {
    ASSIGN_OR_RETURN(const std::string out_type, Str(*o, "out_type", source));
    if (!out_type.empty()) {
      ASSIGN_OR_RETURN(p.out_type,
                       ParseOutType(out_type, absl::StrCat(source, ": provenance out_type")));
    }
    ASSIGN_OR_RETURN(const std::string conv_layout, Str(*o, "conv_layout", source));
    if (!conv_layout.empty()) {
      ASSIGN_OR_RETURN(p.conv_layout, ParseConvLayout(conv_layout, absl::StrCat(
                                                                       source, ": provenance conv_layout")));
    }
    ASSIGN_OR_RETURN(p.arch, Str(*o, "arch", source));
    const JsonValue* f = o->Find("fuse_weight_norm");
    p.fuse_weight_norm = f != nullptr && f->is_bool() && f->boolean;
    const JsonValue* a = o->Find("allow_unmapped");
    p.allow_unmapped = a != nullptr && a->is_bool() && a->boolean;
  }
  const JsonValue* tensors = root.Find("tensors");
  if (tensors == nullptr || !tensors->is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": provenance has no tensors array"));
  }
  for (const JsonValue& t : tensors->array) {
    if (!t.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": provenance tensor is not an object"));
    }
    Provenance::TensorRecord r;
    ASSIGN_OR_RETURN(r.name, Str(t, "name", source));
    ASSIGN_OR_RETURN(r.dtype, Str(t, "dtype", source));
    if (const JsonValue* s = t.Find("shape"); s != nullptr && s->is_array()) {
      for (const JsonValue& d : s->array) {
        ASSIGN_OR_RETURN(int64_t v, d.AsInt64("provenance shape"));
        r.shape.push_back(v);
      }
    }
    ASSIGN_OR_RETURN(r.sources, Strings(t, "sources", source));
    ASSIGN_OR_RETURN(r.transforms, Strings(t, "transforms", source));
    p.tensors.push_back(std::move(r));
  }
  return p;
}

absl::StatusOr<std::optional<Provenance>> ReadProvenance(const Checkpoint& converted) {
  const MetaValue* v = FindMeta(converted.metadata, kProvenanceKey);
  if (v == nullptr) return std::optional<Provenance>();
  if (v->type != MetaValue::Type::kString) {
    return absl::InvalidArgumentError(
        absl::StrCat("metadata \"", kProvenanceKey, "\" is not a string"));
  }
  ASSIGN_OR_RETURN(Provenance p, ProvenanceFromJson(v->s, "converted file"));
  return std::optional<Provenance>(std::move(p));
}

absl::StatusOr<ConversionPlan> ReplanFromProvenance(const Provenance& p, const Checkpoint& source) {
  std::unique_ptr<schema::Conversion> schema;
  if (!p.schema_origin.empty()) {
    ASSIGN_OR_RETURN(schema::Conversion s,
                     ParseSchema(p.schema_text, absl::StrCat("recorded schema ", p.schema_name)));
    schema = std::make_unique<schema::Conversion>(std::move(s));
  }
  EngineOptions eo;
  eo.target_format = "safetensors";  // tensor names and data do not depend on the container
  eo.out_type = p.out_type;
  eo.fuse_weight_norm = p.fuse_weight_norm;
  eo.conv_layout = p.conv_layout;
  eo.allow_unmapped = true;  // what was unmapped is in the record; do not fail on it here
  eo.schema_source = absl::StrCat("recorded schema ", p.schema_name);
  absl::StatusOr<ConversionPlan> plan = Plan(source, schema.get(), eo);
  if (!plan.ok()) {
    return Annotate(plan.status(), absl::StrCat("re-planning the recorded conversion (",
                                                p.Summary(), ") over the source"));
  }
  std::map<std::string, const PlannedOutput*> by_name;
  for (const PlannedOutput& o : plan->outputs()) by_name[o.name] = &o;
  std::vector<std::string> problems;
  for (const Provenance::TensorRecord& t : p.tensors) {
    auto it = by_name.find(t.name);
    if (it == by_name.end()) {
      problems.push_back(absl::StrCat("\"", t.name, "\" is not produced from this source"));
    } else if (it->second->sources != t.sources) {
      problems.push_back(absl::StrCat("\"", t.name, "\" comes from ",
                                      absl::StrJoin(it->second->sources, "+"), ", recorded ",
                                      absl::StrJoin(t.sources, "+")));
    } else if (Describe(*it->second) != t.transforms) {
      problems.push_back(absl::StrCat("\"", t.name, "\" is made by [",
                                      absl::StrJoin(Describe(*it->second), ", "), "], recorded [",
                                      absl::StrJoin(t.transforms, ", "), "]"));
    }
    if (problems.size() >= 5) break;
  }
  if (!problems.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the source does not reproduce the recorded conversion (", p.Summary(),
        p.select.empty() ? "" : absl::StrCat("; it was read with --select ", p.select), "): ",
        absl::StrJoin(problems, "; ")));
  }
  return std::move(*plan);
}

}  // namespace tp
