#include "verify/verify.h"

#include "absl/strings/str_cat.h"
#include "core/cli_flags.h"
#include "core/status_macros.h"
#include "verify/dump.h"
#include "verify/layer_diff.h"
#include "verify/model_mode.h"
#include "verify/weight_binding.h"
#include "verify/weights_mode.h"
#include "runtime/session.h"
#include "verify/report.h"

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
    ASSIGN_OR_RETURN(std::unique_ptr<rt::Session> session, rt::Session::Load(o.model, so));
    ASSIGN_OR_RETURN(Checkpoint ref, LoadDump(o.reference));
    Checkpoint inputs;
    if (!o.inputs.empty()) {
      ASSIGN_OR_RETURN(inputs, LoadDump(o.inputs));
    }
    std::string weights_note;
    if (!o.weights.empty()) {
      if (o.source.empty()) return Usage("--model with --weights needs --source ORIGINAL");
      ASSIGN_OR_RETURN(Checkpoint converted, LoadDump(o.weights));
      ASSIGN_OR_RETURN(Checkpoint source, LoadDump(o.source));
      BindOptions bo;
      bo.schema = o.schema;
      ASSIGN_OR_RETURN(BindResult bound, BindConvertedWeights(*session, converted, source, bo));
      out << FormatBindResult(bound);
      if (!bound.unbound.empty() && bo.require_all) {
        return absl::InvalidArgumentError(absl::StrCat(
            o.model, ": ", bound.unbound.size(), " initializer(s) found no converted tensor in ",
            o.weights, " (first: \"", bound.unbound.front(), "\"); expected every weight bound"));
      }
    }
    ModelDiffOptions md;
    md.diff = std::move(d);
    md.isolate = o.isolate;
    ASSIGN_OR_RETURN(report, DiffModel(*session, inputs, ref, md));
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
    ASSIGN_OR_RETURN(report, DiffDumps(ref, cand, d));
    report.reference = o.reference;
    report.candidate = o.candidate;
  } else if (!o.weights.empty()) {
    if (o.source.empty()) return Usage("--weights needs --source ORIGINAL");
    if (!o.schema.empty()) {
      WeightsModeOptions w;
      w.converted = o.weights;
      w.source = o.source;
      w.schema = o.schema;
      w.select = o.select;
      w.out_type = o.out_type;
      w.conv_layout = o.conv_layout;
      w.fuse_weight_norm = o.fuse_weight_norm;
      w.allow_unmapped = o.allow_unmapped;
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
  out << FormatTerminal(report, o.color);
  if (!o.json.empty()) RETURN_IF_ERROR(WriteJsonReport(report, o.json));
  if (!o.junit.empty()) RETURN_IF_ERROR(WriteJunitReport(report, o.junit));
  if (!o.html.empty()) RETURN_IF_ERROR(WriteHtmlReport(report, o.html));
  return report.passed;
}

}  // namespace verify
}  // namespace tp
