#include "verify/weights_mode.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "convert/provenance.h"
#include "convert/schema_engine.h"
#include "convert/schema_loader.h"
#include "core/cli_flags.h"
#include "core/status_macros.h"
#include "formats/registry.h"
#include "re2/re2.h"
#include "verify/dump.h"
#include "verify/metrics.h"
#include "verify/weight_diagnosis.h"

namespace tp {
namespace verify {
namespace {

absl::StatusOr<std::vector<double>> Doubles(const Tensor& t) {
  ASSIGN_OR_RETURN(Tensor d, Cast(t, DType::kF64));
  ASSIGN_OR_RETURN(Tensor c, d.Contiguous());
  const double* p = c.data_as<double>();
  return std::vector<double>(p, p + c.num_elements());
}

// The kind of layer a schema declares an output to be (its axes are named after it).
WeightLayout DeclaredLayout(const schema::Conversion* s, const std::string& name) {
  if (s == nullptr) return WeightLayout::kUnknown;
  for (const std::string& p : s->conv1d_weight()) {
    if (RE2::FullMatch(name, p)) return WeightLayout::kConv;
  }
  for (const std::string& p : s->conv_transpose1d_weight()) {
    if (RE2::FullMatch(name, p)) return WeightLayout::kConvTranspose;
  }
  return WeightLayout::kUnknown;
}

struct Candidate {
  EngineOptions eo;
  std::string label;
};

std::string Label(const EngineOptions& eo) {
  return absl::StrCat(
      "--out-type ", eo.out_type.has_value() ? OutTypeName(*eo.out_type) : "(none)",
      ", --conv-layout ", eo.conv_layout.has_value() ? ConvLayoutName(*eo.conv_layout) : "(none)",
      ", --fuse-weight-norm ", eo.fuse_weight_norm ? "true" : "(none)");
}

// Plans with every combination of the options left open; keeps the one whose outputs match the
// most converted tensors (name, shape and dtype first, then name and shape).
absl::StatusOr<std::pair<ConversionPlan, EngineOptions>> ChoosePlan(
    const Checkpoint& source, const schema::Conversion& s, const Checkpoint& converted,
    const WeightsModeOptions& o, std::vector<std::string>& tied) {
  const ConversionGiven& given = o.given;
  std::vector<std::optional<OutType>> out_types = {given.out_type};
  if (!given.out_type.has_value()) {
    std::set<DType> present;
    for (const NamedTensor& t : converted.tensors) present.insert(t.tensor.dtype());
    for (OutType t : {OutType::kF32, OutType::kF16, OutType::kBF16, OutType::kQ8_0}) {
      if (present.count(OutTypeDType(t))) out_types.push_back(t);
    }
  }
  std::vector<std::optional<ConvLayout>> layouts = {given.conv_layout};
  if (!given.conv_layout.has_value()) layouts.push_back(ConvLayout::kMlx);
  std::vector<bool> fuses = {false, true};
  if (given.fuse_weight_norm) fuses = {*given.fuse_weight_norm};

  std::optional<std::pair<ConversionPlan, EngineOptions>> best;
  std::pair<int, int> best_score = {-1, -1};
  std::vector<std::pair<std::pair<int, int>, std::string>> scores;
  absl::Status last = absl::OkStatus();
  for (const std::optional<OutType>& out_type : out_types) {
    for (const std::optional<ConvLayout>& layout : layouts) {
      for (bool fuse : fuses) {
        EngineOptions eo;
        eo.target_format = converted.format;
        eo.out_type = out_type;
        eo.conv_layout = layout;
        eo.fuse_weight_norm = fuse;
        eo.allow_unmapped = true;  // unmapped tensors are judged below, by name
        eo.schema_source = o.schema;
        absl::StatusOr<ConversionPlan> plan = Plan(source, &s, eo);
        if (!plan.ok()) {
          last = plan.status();
          continue;
        }
        std::pair<int, int> score = {0, 0};
        for (const PlannedOutput& p : plan->outputs()) {
          const Tensor* c = converted.Find(p.name);
          if (c == nullptr || c->shape() != p.shape) continue;
          ++score.second;
          if (c->dtype() == p.dtype) ++score.first;
        }
        scores.push_back({score, Label(eo)});
        if (score > best_score) {
          best_score = score;
          best.emplace(std::move(*plan), eo);
        }
      }
    }
  }
  if (!best) {
    return absl::InvalidArgumentError(absl::StrCat(
        o.source, ": no conversion plan under schema ", o.schema, ": ", last.message()));
  }
  for (const auto& [score, label] : scores) {
    if (score == best_score) tied.push_back(label);
  }
  return std::move(*best);
}

std::string Num(double v) { return absl::StrFormat("%.4g", v); }

// The cast error of one tensor: before the cast -> converted.
struct CastStats {
  int tensors = 0;
  double worst_sqnr = INFINITY;
  double max_abs = 0;
  std::string worst_name;
};

}  // namespace

absl::StatusOr<int64_t> CountBeyondOneUlp(const Tensor& expected, const Tensor& actual,
                                          std::string* detail) {
  if (expected.dtype() != actual.dtype() || expected.shape() != actual.shape()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ulp comparison of ", DTypeName(actual.dtype()), ShapeToString(actual.shape()), " with ",
        DTypeName(expected.dtype()), ShapeToString(expected.shape()),
        ": expected the same dtype and shape"));
  }
  ASSIGN_OR_RETURN(std::vector<double> x, Doubles(expected));
  ASSIGN_OR_RETURN(std::vector<double> y, Doubles(actual));
  const DType dtype = actual.dtype();
  std::vector<double> block_step;
  if (dtype == DType::kQ8_0) {
    // One quant step d = amax / 127, widened by the f16 rounding of the stored scale (up to 127
    // quants times half an f16 ulp of d).
    for (size_t b = 0; b < x.size(); b += kQ8_0BlockSize) {
      double amax = 0;
      for (size_t i = b; i < std::min(x.size(), b + kQ8_0BlockSize); ++i) {
        amax = std::max(amax, std::fabs(x[i]));
      }
      block_step.push_back(amax / 127.0 * (1.0 + 127.0 / 2048.0) * (1 + 1e-9));
    }
  }
  int64_t bad = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double a = x[i], b = y[i];
    if (a == b || (std::isnan(a) && std::isnan(b))) continue;
    const double step = dtype == DType::kQ8_0 ? block_step[i / kQ8_0BlockSize] : DTypeUlp(a, dtype);
    if (std::isfinite(a) && std::isfinite(b) && std::fabs(a - b) <= step) continue;
    if (bad++ == 0 && detail != nullptr) {
      *detail = absl::StrCat("index ", i, ": ", Num(b), " vs planned ", Num(a));
    }
  }
  return bad;
}

absl::StatusOr<WeightsResult> VerifyWeights(const WeightsModeOptions& o,
                                            const LayerDiffOptions& diff) {
  ASSIGN_OR_RETURN(Checkpoint converted, LoadDump(o.converted));
  // The conversion's own record says exactly how it was made; without one (or with an explicit
  // --schema) the schema is planned with the options given or inferred from the file.
  ASSIGN_OR_RETURN(std::optional<Provenance> record, ReadProvenance(converted));
  const bool use_record = record.has_value() && o.schema.empty();
  if (o.schema.empty() && !use_record) {
    return UsageError("weights mode with the engine needs --schema (the converted file has no "
                      "provenance record)");
  }
  schema::Conversion s;
  if (use_record) {
    if (!record->schema_text.empty()) {
      ASSIGN_OR_RETURN(s, ParseSchema(record->schema_text, "recorded schema"));
    }
  } else {
    ASSIGN_OR_RETURN(s, LoadSchemaOrPreset(o.schema));
  }
  Checkpoint source;
  const std::string select =
      use_record && o.given.select.empty() ? record->select : o.given.select;
  if (select.empty()) {
    ASSIGN_OR_RETURN(source, LoadDump(o.source));
  } else {
    ReadOptions ro;
    ro.select = select;
    ASSIGN_OR_RETURN(source, ReadCheckpoint(o.source, "", ro));
  }
  std::vector<std::string> tied;
  std::pair<ConversionPlan, EngineOptions> chosen;
  if (use_record) {
    ASSIGN_OR_RETURN(chosen.first, ReplanFromProvenance(*record, source));
    chosen.second.out_type = record->out_type;
    chosen.second.fuse_weight_norm = record->fuse_weight_norm;
    chosen.second.conv_layout = record->conv_layout;
    chosen.second.allow_unmapped = true;
    chosen.second.target_format = "safetensors";
  } else {
    ASSIGN_OR_RETURN(chosen, ChoosePlan(source, s, converted, o, tied));
  }
  const schema::Conversion* schema_ptr = use_record && record->schema_text.empty() ? nullptr : &s;
  const ConversionPlan& plan = chosen.first;
  const EngineOptions& eo = chosen.second;
  // The same plan without the --out-type cast, for the cast error.
  std::optional<ConversionPlan> uncast;
  if (eo.out_type.has_value()) {
    EngineOptions raw = eo;
    raw.out_type.reset();
    absl::StatusOr<ConversionPlan> p = Plan(source, schema_ptr, raw);
    if (p.ok()) uncast = std::move(*p);
  }
  std::map<std::string, size_t> uncast_index;
  if (uncast) {
    for (size_t i = 0; i < uncast->outputs().size(); ++i) {
      uncast_index[uncast->outputs()[i].name] = i;
    }
  }

  WeightsResult result;
  if (use_record) {
    result.notes.push_back(absl::StrCat("plan: the provenance record in ", o.converted, " (",
                                        record->Summary(), ")"));
  } else {
    result.notes.push_back(absl::StrCat(
        "plan: schema ", o.schema, ", ", Label(eo), " (",
        !o.given.out_type || !o.given.conv_layout || !o.given.fuse_weight_norm
            ? "options not given were inferred from " + o.converted
            : "as given",
        "; (none) = the schema's own setting)"));
  }
  if (tied.size() > 1) {
    result.notes.push_back(absl::StrCat("  (these plans explain ", o.converted,
                                        " equally well; the first was used: ",
                                        absl::StrJoin(tied, " | "), ")"));
  }
  Report& report = result.report;
  report.mode = "weights";
  report.reference = o.source;
  report.candidate = o.converted;

  const std::set<std::string> unmapped(plan.unmapped().begin(), plan.unmapped().end());
  std::set<std::string> consumed(plan.dropped().begin(), plan.dropped().end());
  std::set<std::string> planned_names;
  std::map<std::string, CastStats> casts;  // "f32->f16" -> stats
  const TensorGetter get_source = [&source](const std::string& n) { return source.Find(n); };
  for (size_t i = 0; i < plan.outputs().size(); ++i) {
    const PlannedOutput& p = plan.outputs()[i];
    planned_names.insert(p.name);
    for (const std::string& src : p.sources) consumed.insert(src);
    LayerResult r;
    r.name = p.name;
    std::vector<std::string> steps;
    for (const Transform& t : p.transforms) steps.push_back(t.Describe());
    std::string origin = absl::StrCat("from ", absl::StrJoin(p.sources, " + "),
                                      steps.empty() ? "" : ": ", absl::StrJoin(steps, " "));
    const Tensor* c = converted.Find(p.name);
    if (c == nullptr) {
      r.status = LayerStatus::kMissing;
      r.ref_shape = p.shape;
      r.ref_dtype = std::string(DTypeName(p.dtype));
      r.reason = absl::StrCat("planned tensor (", origin, ") is not in ", o.converted);
      report.layers.push_back(std::move(r));
      continue;
    }
    r.candidate = p.name;
    absl::StatusOr<Tensor> produced = plan.Produce(i);
    if (!produced.ok()) {
      return Annotate(produced.status(),
                      absl::StrCat(o.source, ": tensor \"", p.name, "\" could not be recomputed"));
    }
    const Tensor expected = std::move(*produced);
    absl::Status cs = CompareLayer(expected, *c, diff, r);
    if (!cs.ok()) {
      return Annotate(cs, absl::StrCat(o.converted, ": tensor \"", p.name, "\""));
    }
    std::string cast_note;
    if (r.status != LayerStatus::kSkipped && r.status != LayerStatus::kShapeMismatch) {
      if (c->dtype() != p.dtype) {
        r.status = LayerStatus::kFail;
        r.reason = absl::StrCat("dtype ", DTypeName(c->dtype()), ", expected ",
                                DTypeName(p.dtype), " (", Label(eo), ")");
      } else if (o.exact) {
        std::string detail;
        ASSIGN_OR_RETURN(int64_t bad, CountBeyondOneUlp(expected, *c, &detail));
        if (bad == 0) {
          r.status = LayerStatus::kPass;
          r.reason.clear();
          r.hint.clear();
        } else {
          r.status = LayerStatus::kFail;
          r.reason = absl::StrCat(bad, " of ", c->num_elements(),
                                  " elements differ from the planned tensor by more than 1 ulp of ",
                                  DTypeName(c->dtype()), " (first: ", detail, ")");
        }
      }
      auto u = uncast_index.find(p.name);
      if (u != uncast_index.end() && uncast->outputs()[u->second].dtype != p.dtype) {
        ASSIGN_OR_RETURN(Tensor before, uncast->Produce(u->second));
        if (before.shape() == c->shape()) {
          ASSIGN_OR_RETURN(LayerMetrics m, CompareTensors(before, *c, r.tolerance.atol,
                                                          r.tolerance.rtol));
          const std::string key = absl::StrCat(DTypeName(before.dtype()), "->",
                                               DTypeName(p.dtype));
          cast_note = absl::StrCat("cast error ", key, ": max abs ", Num(m.max_abs), ", SQNR ",
                                   Num(m.sqnr_db), " dB");
          CastStats& st = casts[key];
          ++st.tensors;
          st.max_abs = std::max(st.max_abs, m.max_abs);
          if (m.sqnr_db < st.worst_sqnr || st.worst_name.empty()) {
            st.worst_sqnr = m.sqnr_db;
            st.worst_name = p.name;
          }
        }
      }
    }
    if (unmapped.count(p.sources.empty() ? p.name : p.sources[0]) && !o.given.allow_unmapped) {
      r.status = LayerStatus::kFail;
      r.reason = absl::StrCat("source tensor \"", p.sources.empty() ? p.name : p.sources[0],
                              "\" is not mapped by schema ", o.schema,
                              "; expected a rule for it (or --allow-unmapped)");
    }
    std::vector<std::string> hint;
    if (r.status == LayerStatus::kFail || r.status == LayerStatus::kShapeMismatch) {
      // The common porting mistakes, tried on this tensor's plan; a named one replaces the
      // generic hint.
      WeightCase wc;
      wc.name = p.name;
      wc.converted = *c;
      wc.sources = p.sources;
      wc.transforms = p.transforms;
      wc.layout = DeclaredLayout(schema_ptr, p.name);
      DiagnosisOptions dopt;
      if (!o.exact) {
        dopt.atol = r.tolerance.atol;
        dopt.rtol = r.tolerance.rtol;
      }
      const WeightDiagnosis d = DiagnoseWeight(wc, get_source, dopt);
      if (d.mistake != WeightMistake::kNone) {
        hint.push_back(absl::StrCat("weight diagnosis: ", d.text));
        report.weight_diagnoses.push_back({p.name, WeightMistakeName(d.mistake), d.text});
        r.hint.clear();
      } else if (!d.note.empty()) {
        hint.push_back(d.note);
      }
    }
    hint.push_back(origin);
    if (!cast_note.empty()) hint.push_back(cast_note);
    if (!r.hint.empty()) hint.push_back(r.hint);
    r.hint = absl::StrJoin(hint, "; ");
    report.layers.push_back(std::move(r));
  }
  for (const std::string& d : plan.dropped()) {
    LayerResult r;
    r.name = d;
    r.status = LayerStatus::kSkipped;
    r.reason = absl::StrCat("source tensor dropped by schema ", o.schema);
    if (const Tensor* t = source.Find(d)) r.ref_shape = t->shape();
    report.layers.push_back(std::move(r));
  }
  for (const NamedTensor& t : source.tensors) {
    if (consumed.count(t.name)) continue;
    LayerResult r;
    r.name = t.name;
    r.status = LayerStatus::kMissing;
    r.ref_shape = t.tensor.shape();
    r.ref_dtype = std::string(DTypeName(t.tensor.dtype()));
    r.reason = absl::StrCat("source tensor is neither used nor dropped by the plan of schema ",
                            o.schema);
    report.layers.push_back(std::move(r));
  }
  for (const NamedTensor& t : converted.tensors) {
    if (planned_names.count(t.name)) continue;
    LayerResult r;
    r.name = r.candidate = t.name;
    r.status = LayerStatus::kExtra;
    r.cand_shape = t.tensor.shape();
    r.cand_dtype = std::string(DTypeName(t.tensor.dtype()));
    r.reason = absl::StrCat("no planned output of ", o.source, " under schema ", o.schema,
                            " has this name");
    report.layers.push_back(std::move(r));
  }
  LayerDiffOptions strict;
  strict.strict_names = true;
  RETURN_IF_ERROR(Summarize(report, strict));
  for (const auto& [key, st] : casts) {
    result.notes.push_back(absl::StrCat("cast error ", key, " over ", st.tensors,
                                        " tensors: worst SQNR ", Num(st.worst_sqnr), " dB (",
                                        st.worst_name, "), max abs ", Num(st.max_abs)));
  }
  std::vector<std::string> failed;
  for (const LayerResult& l : report.layers) {
    if (l.status == LayerStatus::kFail || l.status == LayerStatus::kShapeMismatch ||
        l.status == LayerStatus::kMissing || l.status == LayerStatus::kExtra) {
      failed.push_back(absl::StrCat(l.name, " (", LayerStatusName(l.status), ")"));
    }
  }
  if (!failed.empty()) {
    result.notes.push_back(absl::StrCat("failing tensors: ", absl::StrJoin(failed, ", ")));
  }
  return result;
}

}  // namespace verify
}  // namespace tp
