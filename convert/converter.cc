#include "convert/converter.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "convert/provenance.h"
#include "convert/schema_loader.h"
#include "core/output_file.h"
#include "core/progress.h"
#include "core/status_macros.h"
#include "core/tensor.h"
#include "formats/json/json_writer.h"
#include "formats/registry.h"

namespace tp {
namespace {

std::string Stem(const std::string& path) {
  std::string base =
      path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
  const size_t dot = base.find('.');
  return dot == std::string::npos || dot == 0 ? base : base.substr(0, dot);
}

std::string Basename(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string HumanBytes(int64_t b) {
  if (b >= (int64_t{1} << 30)) return absl::StrFormat("%.2f GiB", b / 1073741824.0);
  if (b >= (int64_t{1} << 20)) return absl::StrFormat("%.2f MiB", b / 1048576.0);
  if (b >= 1024) return absl::StrFormat("%.1f KiB", b / 1024.0);
  return absl::StrCat(b, " B");
}

std::string Transforms(const PlannedOutput& o) {
  std::vector<std::string> parts;
  for (const Transform& t : o.transforms) parts.push_back(t.Describe());
  return parts.empty() ? "-" : absl::StrJoin(parts, " ");
}

absl::StatusOr<std::string> ReadText(const std::string& path, absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open ", what));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

namespace {

// A long plan as one line per kind of treatment (same transforms), with an example each.
std::string GroupedReport(const ConversionPlan& plan) {
  struct Group {
    int count = 0;
    int64_t in = 0, out = 0;
    std::string example;
  };
  std::map<std::string, Group> groups;
  std::vector<std::string> order;
  int64_t in = 0, out = 0;
  for (const PlannedOutput& o : plan.outputs()) {
    std::string key = Transforms(o);
    if (o.source_dtype != o.dtype) {
      absl::StrAppend(&key, " (", DTypeName(o.source_dtype), " -> ", DTypeName(o.dtype), ")");
    }
    for (const std::string& n : o.notes) absl::StrAppend(&key, " [", n, "]");
    if (!groups.count(key)) order.push_back(key);
    Group& g = groups[key];
    if (g.count++ == 0) {
      g.example =
          absl::StrCat(o.sources.empty() ? "-" : absl::StrJoin(o.sources, " + "), " -> ", o.name);
    }
    g.in += o.source_bytes;
    g.out += o.bytes;
    in += o.source_bytes;
    out += o.bytes;
  }
  std::string s;
  for (const std::string& key : order) {
    const Group& g = groups[key];
    absl::StrAppend(&s, absl::StrFormat("%5d tensors  %-40s  e.g. %s\n", g.count,
                                        key == "-" ? "as they are" : key, g.example));
  }
  for (const std::string& d : plan.dropped()) absl::StrAppend(&s, "dropped: ", d, "\n");
  for (const std::string& u : plan.unmapped())
    absl::StrAppend(&s, "unmapped (passed through): ", u, "\n");
  for (const std::string& n : plan.notes()) absl::StrAppend(&s, "note: ", n, "\n");
  absl::StrAppend(&s, plan.outputs().size(), " tensors, ", HumanBytes(in), " -> ", HumanBytes(out),
                  ", ", plan.metadata().size(), " metadata keys, ", plan.dropped().size(),
                  " dropped (--all lists every tensor; --report FILE.json writes them)\n");
  return s;
}

}  // namespace

std::string ReportTable(const ConversionPlan& plan, bool all) {
  if (!all && plan.outputs().size() > 40) return GroupedReport(plan);
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"source", "target", "shape", "dtype", "transforms", "bytes in -> out"});
  int64_t in = 0, out = 0;
  for (const PlannedOutput& o : plan.outputs()) {
    std::string src = o.sources.empty() ? "-" : o.sources[0];
    if (o.sources.size() > 1) absl::StrAppend(&src, " (+", o.sources.size() - 1, ")");
    std::string shape = ShapeToString(o.source_shape);
    if (o.source_shape != o.shape) absl::StrAppend(&shape, " -> ", ShapeToString(o.shape));
    std::string dtype(DTypeName(o.source_dtype));
    if (o.source_dtype != o.dtype) absl::StrAppend(&dtype, " -> ", DTypeName(o.dtype));
    std::string tr = Transforms(o);
    for (const std::string& n : o.notes) absl::StrAppend(&tr, " [", n, "]");
    rows.push_back({src, o.name, shape, dtype, tr,
                    absl::StrCat(HumanBytes(o.source_bytes), " -> ", HumanBytes(o.bytes))});
    in += o.source_bytes;
    out += o.bytes;
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& r : rows)
    for (size_t c = 0; c < r.size(); ++c)
      width[c] = std::max(width[c], std::min<size_t>(r[c].size(), 60));
  std::string s;
  for (size_t i = 0; i < rows.size(); ++i) {
    for (size_t c = 0; c < rows[i].size(); ++c) {
      absl::StrAppend(&s, rows[i][c]);
      if (c + 1 < rows[i].size()) {
        absl::StrAppend(
            &s, std::string(width[c] > rows[i][c].size() ? width[c] - rows[i][c].size() : 0, ' '),
            c == 0 ? " -> " : "  ");
      }
    }
    absl::StrAppend(&s, "\n");
  }
  for (const std::string& d : plan.dropped()) absl::StrAppend(&s, "dropped: ", d, "\n");
  for (const std::string& u : plan.unmapped())
    absl::StrAppend(&s, "unmapped (passed through): ", u, "\n");
  for (const std::string& n : plan.notes()) absl::StrAppend(&s, "note: ", n, "\n");
  absl::StrAppend(&s, plan.outputs().size(), " tensors, ", HumanBytes(in), " -> ", HumanBytes(out),
                  ", ", plan.metadata().size(), " metadata keys, ", plan.dropped().size(),
                  " dropped\n");
  return s;
}

std::string ReportJson(const ConversionPlan& plan, const ConvertOptions& options,
                       const std::string& from, const std::string& to) {
  JsonWriter w;
  w.BeginObject();
  w.Key("input").String(options.input);
  w.Key("output").String(options.output);
  w.Key("from").String(from);
  w.Key("to").String(to);
  w.Key("dry_run").Bool(options.dry_run);
  w.Key("tensors").BeginArray();
  int64_t in = 0, out = 0;
  for (const PlannedOutput& o : plan.outputs()) {
    w.BeginObject();
    w.Key("target").String(o.name);
    w.Key("sources").Strings(o.sources);
    w.Key("shape_before").Ints(o.source_shape);
    w.Key("shape_after").Ints(o.shape);
    w.Key("dtype_before").String(DTypeName(o.source_dtype));
    w.Key("dtype_after").String(DTypeName(o.dtype));
    w.Key("transforms").BeginArray();
    for (const Transform& t : o.transforms) w.String(t.Describe());
    w.EndArray();
    w.Key("bytes_in").Int(o.source_bytes);
    w.Key("bytes_out").Int(o.bytes);
    w.Key("notes").Strings(o.notes);
    w.EndObject();
    in += o.source_bytes;
    out += o.bytes;
  }
  w.EndArray();
  w.Key("dropped").Strings(plan.dropped());
  w.Key("unmapped").Strings(plan.unmapped());
  w.Key("notes").Strings(plan.notes());
  w.Key("metadata").BeginObject();
  for (const auto& [key, value] : plan.metadata()) w.Key(key).Raw(value.ToJson());
  w.EndObject();
  w.Key("bytes_in").Int(in);
  w.Key("bytes_out").Int(out);
  w.EndObject();
  return w.Finish() + "\n";
}

absl::Status RunConvert(const ConvertOptions& options, std::ostream& out) {
  if (options.input.empty() || options.output.empty()) {
    return absl::InvalidArgumentError("usage: convert [flags] IN OUT (both paths are required)");
  }
  if (!options.schema_path.empty() && !options.preset.empty()) {
    return absl::InvalidArgumentError("--schema and --preset are exclusive; give one");
  }
  // Output format first: a bad OUT should fail before a large input is read.
  const FormatHandler* writer = nullptr;
  if (!options.to.empty()) {
    ASSIGN_OR_RETURN(writer, FindFormat(options.to));
  } else {
    ASSIGN_OR_RETURN(writer, FormatForExtension(options.output));
  }
  if (!writer->write) {
    return absl::InvalidArgumentError(
        absl::StrCat("format \"", writer->id, "\" cannot be written"));
  }
  if (SameFile(options.input, options.output)) {
    return absl::InvalidArgumentError(
        absl::StrCat(options.output, ": output is the input file; ", "expected a different path"));
  }

  schema::Conversion schema;
  const schema::Conversion* schema_ptr = nullptr;
  std::string schema_source;
  ProvenanceInputs record;
  if (!options.schema_path.empty()) {
    ASSIGN_OR_RETURN(record.schema_text, ReadText(options.schema_path, "schema file"));
    ASSIGN_OR_RETURN(schema, ParseSchema(record.schema_text, options.schema_path));
    schema_ptr = &schema;
    schema_source = options.schema_path;
    record.schema_name = Basename(options.schema_path);
    record.schema_origin = "file";
  } else if (!options.preset.empty()) {
    ASSIGN_OR_RETURN(schema, LoadPreset(options.preset));
    ASSIGN_OR_RETURN(record.schema_text, PresetText(options.preset));
    schema_ptr = &schema;
    schema_source = absl::StrCat("preset ", options.preset);
    record.schema_name = options.preset;
    record.schema_origin = "preset";
  }

  EngineOptions eo = options.engine;
  eo.target_format = writer->id;
  eo.name = Stem(options.input);
  if (!schema_source.empty()) eo.schema_source = schema_source;
  if (!eo.config_path.empty()) {
    ASSIGN_OR_RETURN(eo.config_json, ReadText(eo.config_path, "config JSON"));
  }

  ReadOptions ro;
  ro.select = options.select;
  ASSIGN_OR_RETURN(Checkpoint source, ReadCheckpoint(options.input, options.from, ro));
  for (const std::string& w : source.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());

  ASSIGN_OR_RETURN(ConversionPlan plan, Plan(source, schema_ptr, eo));
  // What was done, inside the output: verify reads it back instead of guessing.
  record.source_file = Basename(options.input);
  record.source_format = source.format;
  record.select = options.select;
  record.engine = eo;
  Metadata metadata = plan.metadata();
  metadata.emplace_back(kProvenanceKey,
                        MetaValue::String(ProvenanceToJson(MakeProvenance(plan, record))));
  if (!options.quiet) out << ReportTable(plan, options.all) << std::flush;
  if (!options.report_path.empty()) {
    ASSIGN_OR_RETURN(std::unique_ptr<OutputFile> report, OutputFile::Create(options.report_path));
    RETURN_IF_ERROR(report->Write(ReportJson(plan, options, source.format, writer->id)));
    RETURN_IF_ERROR(report->Commit());
  }
  if (options.dry_run) return absl::OkStatus();

  int64_t total = 0;
  for (const PlannedOutput& o : plan.outputs()) total += o.bytes;
  Progress progress("convert", total, Progress::Unit::kBytes);
  const std::vector<TensorSpec> specs = plan.Specs();
  // A source tensor may feed several outputs (a fused qkv split three ways, shared storages):
  // its pages are given back once the last output reading it is written. Views of the same
  // bytes share a first byte, which is the key. Owned sources make ReleasePages() a no-op.
  std::map<const uint8_t*, size_t> last_reader;
  for (size_t i = 0; i < plan.outputs().size(); ++i) {
    for (const Tensor& t : plan.SourceTensors(i)) last_reader[t.data()] = i;
  }
  int64_t previous = -1;
  auto release = [&](int64_t i) {
    if (i < 0) return;
    for (const Tensor& t : plan.SourceTensors(i)) {
      if (last_reader[t.data()] == static_cast<size_t>(i)) t.ReleasePages();
    }
    progress.Add(plan.outputs()[i].bytes);
  };
  TensorProducer produce = [&](size_t i) -> absl::StatusOr<Tensor> {
    // The writer is done with the previous tensor once it asks for the next one.
    release(previous);
    previous = static_cast<int64_t>(i);
    // Map the sources' pages in with one call each, instead of a page fault per page while the
    // tensor is transformed or cast; not for bytes the writer copies inside the kernel, which
    // never touches the mapping.
    const PlannedOutput& o = plan.outputs()[i];
    for (const Tensor& t : plan.SourceTensors(i)) {
      const bool copied_as_is = o.transforms.empty() && t.dtype() == o.dtype && MovableInKernel(t);
      if (!copied_as_is) t.PrefetchPages();
    }
    return plan.Produce(i);
  };
  absl::Status written = writer->write(options.output, metadata, specs, produce, WriteOptions{});
  release(previous);
  progress.Finish();
  RETURN_IF_ERROR(written);
  if (!options.quiet) out << "wrote " << options.output << " (" << writer->id << ")\n";
  return absl::OkStatus();
}

}  // namespace tp
