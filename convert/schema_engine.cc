#include "convert/schema_engine.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "convert/metadata_rules.h"
#include "convert/planner.h"
#include "core/status_macros.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "re2/re2.h"

namespace tp {

int EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<int> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] =
          std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::vector<TensorSpec> ConversionPlan::Specs() const {
  std::vector<TensorSpec> specs;
  for (const PlannedOutput& o : outputs_) specs.push_back({o.name, o.dtype, o.shape});
  return specs;
}

absl::StatusOr<Tensor> ConversionPlan::Produce(size_t i) const {
  if (i >= producers_.size()) {
    return absl::OutOfRangeError(absl::StrCat("output ", i, " of ", producers_.size()));
  }
  ASSIGN_OR_RETURN(Tensor t, producers_[i]());
  const PlannedOutput& o = outputs_[i];
  if (t.dtype() != o.dtype || t.shape() != o.shape) {
    return absl::InternalError(absl::StrCat("\"", o.name, "\": produced ", DTypeName(t.dtype()),
                                            ShapeToString(t.shape()), ", planned ",
                                            DTypeName(o.dtype), ShapeToString(o.shape)));
  }
  return t;
}

absl::StatusOr<ConversionPlan> Plan(const Checkpoint& source, const schema::Conversion* schema,
                                    const EngineOptions& options) {
  Planner planner(schema, options);
  planner.Init(source);
  const bool is_gguf = options.target_format == "gguf";

  // The options as given, else the schema's (checked when it was loaded).
  std::optional<OutType> out_type = options.out_type;
  ConvLayout conv_layout = options.conv_layout.value_or(ConvLayout::kTorch);
  if (schema != nullptr) {
    if (!out_type.has_value() && !schema->out_type().empty()) {
      ASSIGN_OR_RETURN(out_type, ParseOutType(schema->out_type(),
                                              absl::StrCat(options.schema_source, ": out_type")));
    }
    if (!options.conv_layout.has_value() && !schema->conv_layout().empty()) {
      ASSIGN_OR_RETURN(conv_layout,
                       ParseConvLayout(schema->conv_layout(),
                                       absl::StrCat(options.schema_source, ": conv_layout")));
    }
  }
  if (options.fuse_weight_norm || (schema != nullptr && schema->fuse_weight_norm())) {
    RETURN_IF_ERROR(PlanFuseWeightNorm(planner, schema::FuseWeightNorm(), -1));
  }
  if (schema != nullptr) {
    for (int i = 0; i < schema->pass_size(); ++i)
      RETURN_IF_ERROR(planner.RunPass(schema->pass(i), i));
  }
  ConversionPlan plan;
  if (conv_layout == ConvLayout::kMlx) {
    if (schema == nullptr ||
        (schema->conv1d_weight_size() == 0 && schema->conv_transpose1d_weight_size() == 0)) {
      return absl::InvalidArgumentError(
          "--conv-layout mlx: the schema or preset must declare which tensors are Conv1d weights "
          "(conv1d_weight) and ConvTranspose1d weights (conv_transpose1d_weight); layouts are "
          "never guessed from shapes (try --preset mlx)");
    }
    std::set<std::string> declared;
    std::vector<std::unique_ptr<RE2>> c1, ct;
    for (const std::string& p : schema->conv1d_weight()) c1.push_back(CompilePattern(p));
    for (const std::string& p : schema->conv_transpose1d_weight()) ct.push_back(CompilePattern(p));
    for (const Node& n : planner.nodes()) {
      bool a = false, b = false;
      for (const auto& re : c1) a = a || MatchesName(*re, n.name);
      for (const auto& re : ct) b = b || MatchesName(*re, n.name);
      if (a && b) {
        return absl::InvalidArgumentError(absl::StrCat(
            options.schema_source, ": \"", n.name,
            "\" matches both conv1d_weight and conv_transpose1d_weight; expected one layout"));
      }
    }
    // One alternation per layout, so a tensor matched by two declarations is permuted once.
    auto any_of = [](const google::protobuf::RepeatedPtrField<std::string>& patterns) {
      std::vector<std::string> parts;
      for (const std::string& p : patterns) parts.push_back(absl::StrCat("(?:", p, ")"));
      return absl::StrJoin(parts, "|");
    };
    if (schema->conv1d_weight_size() > 0) {
      RETURN_IF_ERROR(
          PlanPermute(planner, any_of(schema->conv1d_weight()), {0, 2, 1}, 3, -1, false));
    }
    if (schema->conv_transpose1d_weight_size() > 0) {
      RETURN_IF_ERROR(
          PlanPermute(planner, any_of(schema->conv_transpose1d_weight()), {1, 2, 0}, 3, -1, false));
    }
  }
  if (out_type.has_value()) {
    std::vector<std::string> keep;
    if (schema != nullptr) keep.assign(schema->keep_f32().begin(), schema->keep_f32().end());
    RETURN_IF_ERROR(PlanCast(planner, "", std::string(OutTypeName(*out_type)), keep, true));
  }

  // Strictness: with a schema, every source tensor is mapped or dropped on purpose.
  std::vector<std::string> unmapped;
  if (schema != nullptr) {
    for (Node& n : planner.nodes()) {
      if (n.mapped) continue;
      for (const std::string& s : n.sources) {
        unmapped.push_back(absl::StrCat("\"", s, "\" (", planner.Nearest(s), ")"));
        plan.unmapped_.push_back(s);
      }
    }
    if (!unmapped.empty() && !options.allow_unmapped) {
      return absl::InvalidArgumentError(absl::StrCat(
          options.schema_source, ": ", unmapped.size(), " source tensor",
          unmapped.size() == 1 ? " is" : "s are",
          " not mapped by any rule (add a rule, drop them on purpose, or pass --allow-unmapped): ",
          absl::StrJoin(unmapped, ", ")));
    }
  }

  // Output names: unique, and short enough for GGUF readers.
  std::map<std::string, int> seen;
  std::vector<std::string> duplicates, too_long;
  for (const Node& n : planner.nodes()) {
    if (seen[n.name]++ == 1) duplicates.push_back(absl::StrCat("\"", n.name, "\""));
    if (is_gguf && n.name.size() > 63) {
      too_long.push_back(absl::StrCat("\"", n.name, "\" (", n.name.size(), " bytes)"));
    }
  }
  if (!duplicates.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(options.schema_source, ": several tensors would be written as ",
                     absl::StrJoin(duplicates, ", "), "; expected unique output names"));
  }
  if (!too_long.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "GGUF tensor names are limited to 63 bytes; ", too_long.size(),
        " exceed it: ", absl::StrJoin(too_long, ", "),
        "; add a rename rule, e.g. pass { rename { pattern: \"long\\\\.prefix\\\\.(.*)\" "
        "replacement: \"short.\\\\1\" } }"));
  }

  // Expected inventory.
  if (schema != nullptr && schema->expect().tensor_size() > 0) {
    std::vector<std::string> diffs;
    std::map<std::string, const Node*> by_name;
    for (const Node& n : planner.nodes()) by_name[n.name] = &n;
    std::set<std::string> expected;
    for (const schema::ExpectedTensor& e : schema->expect().tensor()) {
      expected.insert(e.name());
      auto it = by_name.find(e.name());
      if (it == by_name.end()) {
        diffs.push_back(absl::StrCat("missing \"", e.name(), "\""));
        continue;
      }
      const Node& n = *it->second;
      Shape want(e.shape().begin(), e.shape().end());
      if (!want.empty() && want != n.shape) {
        diffs.push_back(absl::StrCat("\"", e.name(), "\" shape ", ShapeToString(n.shape),
                                     ", expected ", ShapeToString(want)));
      }
      if (!e.dtype().empty() && e.dtype() != DTypeName(n.dtype)) {
        diffs.push_back(absl::StrCat("\"", e.name(), "\" dtype ", DTypeName(n.dtype), ", expected ",
                                     e.dtype()));
      }
    }
    if (schema->expect().exhaustive()) {
      for (const Node& n : planner.nodes()) {
        if (!expected.count(n.name)) diffs.push_back(absl::StrCat("unexpected \"", n.name, "\""));
      }
    }
    if (!diffs.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          options.schema_source, ": the output differs ", "from the expected inventory in ",
          diffs.size(), " places: ", absl::StrJoin(diffs, "; ")));
    }
  }

  // Notes: 3-D weights left in torch layout under mlx.
  for (Node& n : planner.nodes()) {
    PlannedOutput o;
    o.name = n.name;
    o.dtype = n.dtype;
    o.shape = n.shape;
    o.sources = n.sources;
    o.source_dtype = n.source_dtype;
    o.source_shape = n.source_shape;
    o.source_bytes = n.source_bytes;
    o.bytes = BytesOf(n.dtype, n.shape);
    o.transforms = n.transforms;
    o.notes = n.notes;
    if (conv_layout == ConvLayout::kMlx && n.shape.size() == 3 &&
        absl::EndsWith(n.name, "weight")) {
      bool permuted = false;
      for (const Transform& t : n.transforms) permuted = permuted || t.op == "permute";
      if (!permuted) {
        plan.notes_.push_back(absl::StrCat("\"", n.name,
                                           "\" is 3-D but not declared as a Conv1d or ",
                                           "ConvTranspose1d weight: left in its source layout"));
      }
    }
    plan.outputs_.push_back(std::move(o));
    plan.producers_.push_back(n.make);
    plan.source_tensors_.push_back(n.source_tensors);
  }
  plan.dropped_ = planner.dropped();

  // Metadata.
  std::unique_ptr<google::protobuf::Struct> config;
  if (!options.config_json.empty()) {
    config = std::make_unique<google::protobuf::Struct>();
    auto st = google::protobuf::util::JsonStringToMessage(options.config_json, config.get());
    if (!st.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(options.config_path, ": not a JSON object: ", st.ToString()));
    }
  }
  Metadata meta;
  if (is_gguf) {
    std::string arch = options.arch;
    if (arch.empty() && schema != nullptr) arch = schema->architecture();
    if (arch.empty()) arch = "tensorport";
    meta.emplace_back("general.architecture", MetaValue::String(arch));
    std::string name = schema != nullptr && !schema->name().empty() ? schema->name() : options.name;
    if (!name.empty()) meta.emplace_back("general.name", MetaValue::String(name));
    if (out_type.has_value()) {
      meta.emplace_back("general.file_type",
                        MetaValue::UInt(FileType(*out_type), MetaValue::Type::kU32));
      if (*out_type == OutType::kQ8_0) {
        meta.emplace_back("general.quantization_version",
                          MetaValue::UInt(2, MetaValue::Type::kU32));
      }
    }
  }
  if (schema != nullptr) {
    for (const schema::MetadataRule& m : schema->metadata()) {
      bool skip = false;
      ASSIGN_OR_RETURN(MetaValue v, RuleValue(m, source, config.get(), options, &skip));
      if (skip) continue;
      bool replaced = false;
      for (auto& kv : meta) {
        if (kv.first == m.key()) {
          kv.second = v;
          replaced = true;
        }
      }
      if (!replaced) meta.emplace_back(m.key(), std::move(v));
    }
  }
  if (schema == nullptr || !schema->drop_source_metadata()) {
    std::string prefix = "tensorport.source.";
    if (schema != nullptr && !schema->source_metadata_prefix().empty()) {
      prefix = schema->source_metadata_prefix();
    }
    // Formats with a flat string map keep the source's keys as they are, unless this output
    // sets the key itself: then the source's value goes under the prefix, as in GGUF.
    const size_t own = meta.size();
    auto set_here = [&](const std::string& key) {
      for (size_t k = 0; k < own; ++k) {
        if (meta[k].first == key) return true;
      }
      return key == kProvenanceKey;  // added by the converter: describes this output
    };
    for (const auto& [key, value] : source.metadata) {
      if (value.type == MetaValue::Type::kNone) continue;
      meta.emplace_back(is_gguf || set_here(key) ? absl::StrCat(prefix, key) : key, value);
    }
  }
  if (!is_gguf) {
    for (auto& kv : meta) kv.second = AsText(kv.second);
  }
  plan.metadata_ = std::move(meta);
  return plan;
}

}  // namespace tp
