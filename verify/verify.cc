#include "verify/verify.h"

#include <algorithm>
#include <map>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "convert/provenance.h"
#include "core/cli_flags.h"
#include "core/output_file.h"
#include "core/status_macros.h"
#include "formats/registry.h"
#include "runtime/session.h"
#include "verify/align.h"
#include "verify/bound_diagnosis.h"
#include "verify/dump.h"
#include "verify/layer_diff.h"
#include "verify/model_mode.h"
#include "verify/report.h"
#include "verify/weight_binding.h"
#include "verify/weights_mode.h"

namespace tp {
namespace verify {
namespace {

absl::Status Usage(absl::string_view message) { return UsageError(message); }

absl::Status Configure(const VerifyOptions& o, LayerDiffOptions& d) {
  Tolerance& t = d.tolerances.defaults();
  if (o.atol) t.atol = *o.atol;
  if (o.rtol) t.rtol = *o.rtol;
  if (o.min_sqnr_db) t.min_sqnr_db = *o.min_sqnr_db;
  if (o.min_cosine) t.min_cosine = *o.min_cosine;
  if (o.max_mismatch) t.max_mismatch_fraction = *o.max_mismatch;
  if (!o.tolerance_file.empty()) RETURN_IF_ERROR(d.tolerances.AddFile(o.tolerance_file));
  if (!o.map_file.empty()) RETURN_IF_ERROR(d.mapping.AddFile(o.map_file));
  if (!o.layout_file.empty()) RETURN_IF_ERROR(d.mapping.AddFile(o.layout_file));
  d.strict_names = o.strict_names;
  d.images = !o.html.empty();
  d.excuse_patterns = o.excuse;
  d.min_coverage = o.min_coverage;
  if (o.min_coverage && (*o.min_coverage < 0 || *o.min_coverage > 1)) {
    return Usage(absl::StrCat("--min-coverage ", *o.min_coverage, ": expected a fraction in [0, 1]"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<bool> RunVerify(const VerifyOptions& o, std::ostream& out) {
  LayerDiffOptions d;
  RETURN_IF_ERROR(Configure(o, d));
  Report report;
  if (!o.model.empty()) {
    if (o.reference.empty()) return Usage("--model needs --reference REF (and --inputs IN.npz)");
    if (!o.candidate.empty()) return Usage("--model and --candidate exclude each other");
    rt::SessionOptions so;
    so.backend = o.device.empty() ? "reference" : o.device;
    if (so.backend != "reference" && so.backend != "cpu" && so.backend != "cuda") {
      return Usage(absl::StrCat("--device \"", o.device, "\": expected reference, cpu or cuda"));
    }
    ASSIGN_OR_RETURN(onnx::ModelProto model, rt::ReadModelFile(o.model));
    ASSIGN_OR_RETURN(Checkpoint ref, LoadDump(o.reference));
    Checkpoint inputs;
    if (!o.inputs.empty()) {
      ASSIGN_OR_RETURN(inputs, LoadDump(o.inputs));
    }
    std::vector<std::string> bind_problems;
    std::map<std::string, std::vector<std::string>> module_weights;
    Checkpoint converted, source;
    std::optional<BindResult> bound;
    std::vector<WeightFinding> findings;
    if (!o.weights.empty()) {
      if (o.source.empty()) return Usage("--model with --weights needs --source ORIGINAL");
      ASSIGN_OR_RETURN(converted, LoadDump(o.weights));
      // The source as the conversion read it (its recorded --select).
      ASSIGN_OR_RETURN(std::optional<Provenance> record, ReadProvenance(converted));
      ReadOptions ro;
      if (record.has_value() && o.schema.empty()) ro.select = record->select;
      if (!o.conversion.select.empty()) ro.select = o.conversion.select;
      ASSIGN_OR_RETURN(source, ReadCheckpoint(o.source, "", ro));
      BindOptions bo;
      bo.schema = o.schema;
      ASSIGN_OR_RETURN(bound, BindConvertedWeights(model, rt::ModelDirectory(o.model), converted, source, bo));
      findings = DiagnoseUnexercised(converted, source, *bound);
      out << FormatBindResult(*bound, o.verbose);
      bind_problems = BindProblems(*bound);
      module_weights = bound->module_weights;
      if (o.allow_unexercised && !bound->unexercised.empty()) {
        out << "note: " << bound->unexercised.size()
            << " converted tensors not exercised, allowed by --allow-unexercised\n";
        bind_problems.erase(std::remove_if(bind_problems.begin(), bind_problems.end(),
                                           [](const std::string& p) {
                                             return p.find("not exercised") != std::string::npos;
                                           }),
                            bind_problems.end());
      }
    }
    ASSIGN_OR_RETURN(std::unique_ptr<rt::Session> session,
                     rt::Session::FromModel(std::move(model), o.model, rt::ModelDirectory(o.model), so));
    ModelDiffOptions md;
    md.diff = std::move(d);
    md.isolate = o.isolate;
    report.problems = bind_problems;
    {
      ASSIGN_OR_RETURN(Report r, DiffModel(*session, inputs, ref, md));
      r.problems = bind_problems;
      if (!bind_problems.empty()) r.passed = false;
      std::vector<std::vector<std::string>> layer_weights;
      std::vector<std::string> suspects;  // converted tensors bound into failing layers
      for (LayerResult& l : r.layers) {
        std::vector<std::string> ws;
        auto add = [&](const std::string& module) {
          auto it = module_weights.find(module);
          if (it != module_weights.end()) ws.insert(ws.end(), it->second.begin(), it->second.end());
        };
        add(l.name);
        const size_t at = l.note.find("folded with \"");
        if (at != std::string::npos) {
          const size_t b = at + 13, e = l.note.find('"', b);
          add(l.note.substr(b, e - b));
        }
        std::sort(ws.begin(), ws.end());
        ws.erase(std::unique(ws.begin(), ws.end()), ws.end());
        if (!ws.empty()) l.weights = absl::StrCat("bound from the converted file: ", absl::StrJoin(ws, ", "));
        if (l.status == LayerStatus::kFail || l.status == LayerStatus::kShapeMismatch) {
          suspects.insert(suspects.end(), ws.begin(), ws.end());
        }
        layer_weights.push_back(std::move(ws));
      }
      // Which porting mistake explains the converted tensors of the failing layers; each layer
      // that reads one says so first in its hint.
      if (bound.has_value()) {
        std::vector<WeightFinding> more = DiagnoseConverted(converted, source, *bound, suspects);
        findings.insert(findings.end(), more.begin(), more.end());
      }
      for (size_t i = 0; i < r.layers.size(); ++i) {
        std::vector<std::string> parts;
        for (const WeightFinding& f : findings) {
          if (std::count(layer_weights[i].begin(), layer_weights[i].end(), f.tensor)) {
            parts.push_back(absl::StrCat("weight diagnosis: ", f.tensor, ": ", f.diagnosis));
          }
        }
        if (parts.empty()) continue;
        if (!r.layers[i].hint.empty()) parts.push_back(r.layers[i].hint);
        r.layers[i].hint = absl::StrJoin(parts, "; ");
      }
      r.weight_diagnoses = findings;
      report = std::move(r);
    }
    report.reference = o.reference;
    report.candidate = absl::StrCat(o.model, " (", so.backend, " backend",
                                    o.weights.empty() ? "" : absl::StrCat(", weights ", o.weights),
                                    o.isolate ? ", isolated" : "", ")");
  } else if (o.layer_diff) {
    if (o.reference.empty() || o.candidate.empty()) {
      return Usage("--layer-diff needs --reference and --candidate");
    }
    ASSIGN_OR_RETURN(Checkpoint ref, LoadDump(o.reference));
    ASSIGN_OR_RETURN(Checkpoint cand, LoadDump(o.candidate));
    if (o.align && o.no_align) return Usage("--align and --no-align exclude each other");
    const bool align = o.align || (!o.no_align && NamesMostlyDiffer(ref, cand, d.mapping));
    std::optional<Alignment> alignment;
    if (align) {
      ASSIGN_OR_RETURN(Alignment a, AlignDumps(ref, cand, d.mapping));
      out << FormatAlignment(a, ref, cand);
      if (!o.write_map.empty()) {
        ASSIGN_OR_RETURN(std::unique_ptr<OutputFile> f, OutputFile::Create(o.write_map));
        RETURN_IF_ERROR(f->Write(a.ToMapText(ref, cand)));
        RETURN_IF_ERROR(f->Commit());
        out << "wrote the alignment to " << o.write_map << "\n";
      }
      d.mapping = a.ToMapping(ref, cand);
      alignment = std::move(a);
    } else if (!o.write_map.empty()) {
      return Usage("--write-map writes an alignment: give --align (the names already match)");
    }
    ASSIGN_OR_RETURN(report, DiffDumps(ref, cand, d));
    if (alignment.has_value()) AnnotateAlignment(*alignment, ref, cand, report);
    report.reference = o.reference;
    report.candidate = o.candidate;
  } else if (!o.weights.empty()) {
    if (o.source.empty()) return Usage("--weights needs --source ORIGINAL");
    ASSIGN_OR_RETURN(Checkpoint converted_probe, LoadDump(o.weights));
    ASSIGN_OR_RETURN(std::optional<Provenance> probe, ReadProvenance(converted_probe));
    if (!o.schema.empty() || probe.has_value()) {
      WeightsModeOptions w;
      w.converted = o.weights;
      w.source = o.source;
      w.schema = o.schema;
      w.given = o.conversion;
      // Explicit tolerances replace the 1-ulp check with the metric gate.
      w.exact = !o.atol && !o.rtol && !o.min_sqnr_db && !o.min_cosine && !o.max_mismatch &&
                o.tolerance_file.empty();
      ASSIGN_OR_RETURN(WeightsResult wr, VerifyWeights(w, d));
      for (const std::string& n : wr.notes) out << n << "\n";
      report = std::move(wr.report);
    } else {
      ASSIGN_OR_RETURN(Checkpoint converted, LoadDump(o.weights));
      ASSIGN_OR_RETURN(Checkpoint source, LoadDump(o.source));
      d.strict_names = true;  // every source tensor must be accounted for, and nothing else
      ASSIGN_OR_RETURN(report, DiffDumps(source, converted, d));
      report.mode = "weights";
      report.reference = o.source;
      report.candidate = o.weights;
    }
  } else {
    return Usage("choose a mode: --layer-diff or --weights");
  }
  out << FormatTerminal(report, o.color, o.all);
  if (!o.json.empty()) RETURN_IF_ERROR(WriteJsonReport(report, o.json));
  if (!o.junit.empty()) RETURN_IF_ERROR(WriteJunitReport(report, o.junit));
  if (!o.html.empty()) RETURN_IF_ERROR(WriteHtmlReport(report, o.html, o.html_all_images));
  return report.passed;
}

}  // namespace verify
}  // namespace tp
