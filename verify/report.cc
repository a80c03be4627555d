#include "verify/report.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/output_file.h"
#include "core/status_macros.h"
#include "formats/json/json_writer.h"
#include "verify/png.h"

namespace tp {
namespace verify {
namespace {

std::string Db(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return absl::StrFormat("%.1f", v);
}

std::string XmlEscape(absl::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

bool Bad(const LayerResult& l) { return l.blocking; }

absl::Status WriteText(const std::string& path, const std::string& text) {
  ASSIGN_OR_RETURN(std::unique_ptr<OutputFile> out, OutputFile::Create(path));
  RETURN_IF_ERROR(out->Write(text));
  return out->Commit();
}

std::string SummaryLine(const Report& r) {
  std::string line =
      absl::StrCat(r.passed ? "PASSED" : "FAILED", ": ", r.passed_count, " passed, ",
                   r.failed_count, " failed, ", r.excused_count, " excused, ", r.missing_count,
                   " missing, ", r.extra_count, " extra (", r.layers.size(), " layers)");
  if (!r.coverage_problem.empty()) absl::StrAppend(&line, "; ", r.coverage_problem);
  for (const std::string& p : r.problems) absl::StrAppend(&line, "; ", p);
  return line;
}

}  // namespace

std::string FormatTerminal(const Report& r, bool color, bool all) {
  const char* red = color ? "\033[31m" : "";
  const char* yellow = color ? "\033[33m" : "";
  const char* bold = color ? "\033[1m" : "";
  const char* reset = color ? "\033[0m" : "";
  std::string out;
  // Health at a glance first: the failures users report first.
  for (const std::string& h : r.health) absl::StrAppend(&out, bold, "health: ", reset, h, "\n");
  if (!r.health.empty()) out += "\n";

  // Which rows to show: everything with --all; else every row up to the first divergence and
  // a few after it (a long passing run of rows shown by its ends), and one line for the tail.
  const int n = static_cast<int>(r.layers.size());
  std::vector<bool> show(n, all);
  int tail_from = n;
  if (!all) {
    const int stop = r.first_divergence >= 0 ? std::min(n, r.first_divergence + 4) : n;
    for (int i = 0; i < stop; ++i) show[i] = true;
    tail_from = stop;
    // A long prefix of passing rows is shown by its first and last few.
    const int quiet_end = r.first_divergence >= 0 ? std::max(0, r.first_divergence - 3) : n - 3;
    if (quiet_end > 8) {
      for (int i = 3; i < quiet_end; ++i) {
        if (r.layers[i].status == LayerStatus::kPass ||
            r.layers[i].status == LayerStatus::kExcused) {
          show[i] = false;
        }
      }
    }
  }
  size_t width = 5;
  for (int i = 0; i < n; ++i) {
    if (show[i]) width = std::max(width, r.layers[i].name.size());
  }
  width = std::min<size_t>(width, 60);
  absl::StrAppend(
      &out, absl::StrFormat("%-*s  %-18s %11s %14s %9s  %s\n", static_cast<int>(width), "layer",
                            "shape", "max_abs", "cosine", "SQNR dB", "verdict"));
  int hidden_pass = 0, hidden_excused = 0;
  double worst_sqnr = INFINITY;
  std::string worst;
  auto flush_hidden = [&]() {
    if (hidden_pass + hidden_excused == 0) return;
    std::string line =
        absl::StrCat("... ", hidden_pass, " more layer", hidden_pass == 1 ? "" : "s", " pass");
    if (!worst.empty()) {
      absl::StrAppend(&line, absl::StrFormat(" (lowest SQNR %s dB at %s)", Db(worst_sqnr), worst));
    }
    if (hidden_excused > 0) absl::StrAppend(&line, ", ", hidden_excused, " excused");
    absl::StrAppend(&out, line, "; --all lists them\n");
    hidden_pass = hidden_excused = 0;
    worst.clear();
    worst_sqnr = INFINITY;
  };
  for (int i = 0; i < tail_from; ++i) {
    const LayerResult& l = r.layers[i];
    if (!show[i]) {
      (l.status == LayerStatus::kExcused ? hidden_excused : hidden_pass)++;
      if (l.has_metrics && l.metrics.sqnr_db < worst_sqnr) {
        worst_sqnr = l.metrics.sqnr_db;
        worst = l.name;
      }
      continue;
    }
    flush_hidden();
    const Shape& shape = l.ref_shape.empty() && !l.cand_shape.empty() ? l.cand_shape : l.ref_shape;
    std::string line;
    if (l.has_metrics) {
      line = absl::StrFormat("%-*s  %-18s %11.4g %14.10f %9s  %s", static_cast<int>(width), l.name,
                             ShapeToString(shape), l.metrics.max_abs, l.metrics.cosine,
                             Db(l.metrics.sqnr_db), LayerStatusName(l.status));
    } else {
      line = absl::StrFormat("%-*s  %-18s %11s %14s %9s  %s", static_cast<int>(width), l.name,
                             ShapeToString(shape), "-", "-", "-", LayerStatusName(l.status));
    }
    // After the first divergence the reason repeats what it says: keep rows short there.
    const bool after = r.first_divergence >= 0 && i > r.first_divergence;
    if (!l.reason.empty() && l.status != LayerStatus::kPass && !after) {
      absl::StrAppend(&line, "  (", l.reason, ")");
    }
    if (!l.note.empty() && !after) absl::StrAppend(&line, "  [", l.note, "]");
    const char* c = Bad(l) ? red : (l.status == LayerStatus::kPass ? "" : yellow);
    absl::StrAppend(&out, c, line, *c ? reset : "", "\n");
  }
  flush_hidden();
  if (tail_from < n) {
    int fail = 0, pass = 0, other = 0;
    for (int i = tail_from; i < n; ++i) {
      const LayerResult& l = r.layers[i];
      if (Bad(l)) {
        ++fail;
      } else if (l.status == LayerStatus::kPass) {
        ++pass;
      } else {
        ++other;
      }
    }
    absl::StrAppend(&out, "... ", n - tail_from, " later layers (", fail, " fail, ", pass, " pass",
                    other ? absl::StrCat(", ", other, " other") : "",
                    ") come after the first divergence in execution order and inherit its error; "
                    "--all lists them\n");
  }
  if (r.first_divergence >= 0) {
    const LayerResult& f = r.layers[r.first_divergence];
    absl::StrAppend(&out, "\n", bold, red, "First divergence: ", f.name, reset, " (",
                    LayerStatusName(f.status), ")\n");
    absl::StrAppend(&out, "  last matching layer before it: ",
                    r.last_match >= 0 ? r.layers[r.last_match].name : "(none)", "\n");
    if (!f.inputs.empty()) absl::StrAppend(&out, "  inputs: ", f.inputs, "\n");
    if (!f.weights.empty()) absl::StrAppend(&out, "  weights: ", f.weights, "\n");
    if (!f.reason.empty()) absl::StrAppend(&out, "  why:  ", f.reason, "\n");
    if (!f.note.empty()) absl::StrAppend(&out, "  note: ", f.note, "\n");
    if (!f.hint.empty()) absl::StrAppend(&out, "  hint: ", f.hint, "\n");
    if (f.spectral.has_value()) {
      absl::StrAppend(
          &out, absl::StrFormat("  audio: spectral convergence %.4g, log-STFT distance %.4g, "
                                "multi-resolution STFT %.4g\n",
                                f.spectral->spectral_convergence, f.spectral->log_stft_distance,
                                f.spectral->mr_stft_distance));
    }
  }
  if (!r.weight_diagnoses.empty()) out += "\n";
  for (const WeightFinding& w : r.weight_diagnoses) {
    absl::StrAppend(&out, bold, "weight diagnosis: ", reset, w.tensor, ": ", w.diagnosis, "\n");
  }
  absl::StrAppend(&out, r.passed ? "" : red, SummaryLine(r), r.passed ? "" : reset, "\n");
  return out;
}

std::string ReportJson(const Report& r) {
  JsonWriter w(/*indent=*/2);
  auto text_or_null = [&](const std::string& v) -> JsonWriter& {
    return v.empty() ? w.Null() : w.String(v);
  };
  w.BeginObject();
  w.Key("mode").String(r.mode);
  w.Key("reference").String(r.reference);
  w.Key("candidate").String(r.candidate);
  w.Key("passed").Bool(r.passed);
  w.Key("first_divergence");
  text_or_null(r.first_divergence >= 0 ? r.layers[r.first_divergence].name : "");
  w.Key("last_match");
  text_or_null(r.last_match >= 0 ? r.layers[r.last_match].name : "");
  w.Key("summary").BeginObject();
  w.Key("passed").Int(r.passed_count);
  w.Key("failed").Int(r.failed_count);
  w.Key("excused").Int(r.excused_count);
  w.Key("missing").Int(r.missing_count);
  w.Key("extra").Int(r.extra_count);
  w.Key("reference_layers").Int(r.reference_count);
  w.Key("coverage_problem");
  text_or_null(r.coverage_problem);
  w.EndObject();
  w.Key("health").Strings(r.health);
  w.Key("problems").Strings(r.problems);
  w.Key("weight_diagnoses").BeginArray();
  for (const WeightFinding& f : r.weight_diagnoses) {
    w.BeginObject();
    w.Key("tensor").String(f.tensor);
    w.Key("mistake").String(f.mistake);
    w.Key("diagnosis").String(f.diagnosis);
    w.EndObject();
  }
  w.EndArray();
  w.Key("layers").BeginArray();
  for (const LayerResult& l : r.layers) {
    const LayerMetrics& m = l.metrics;
    w.BeginObject();
    w.Key("name").String(l.name);
    w.Key("candidate").String(l.candidate);
    w.Key("status").String(LayerStatusName(l.status));
    w.Key("shape").Ints(l.ref_shape.empty() ? l.cand_shape : l.ref_shape);
    w.Key("candidate_shape").Ints(l.cand_shape);
    w.Key("dtype").String(l.ref_dtype);
    w.Key("candidate_dtype").String(l.cand_dtype);
    if (l.has_metrics) {
      w.Key("max_abs").Number(m.max_abs);
      w.Key("mean_abs").Number(m.mean_abs);
      w.Key("rmse").Number(m.rmse);
      w.Key("max_rel").Number(m.max_rel);
      w.Key("cosine").Number(m.cosine);
      w.Key("sqnr_db").Number(m.sqnr_db);
      w.Key("nmse").Number(m.nmse);
      w.Key("mismatch_fraction").Number(m.mismatch_fraction);
      w.Key("nan").Int(m.cand.nan);
      w.Key("inf").Int(m.cand.inf);
      w.Key("reference_nan").Int(m.ref.nan);
      w.Key("reference_inf").Int(m.ref.inf);
      for (const auto& [key, side] :
           {std::make_pair("reference_stats", m.ref), std::make_pair("candidate_stats", m.cand)}) {
        w.Key(key).BeginObject();
        w.Key("mean").Number(side.mean);
        w.Key("std").Number(side.std);
        w.Key("min").Number(side.min);
        w.Key("max").Number(side.max);
        w.EndObject();
      }
      w.Key("tolerance").BeginObject();
      w.Key("atol").Number(l.tolerance.atol);
      w.Key("rtol").Number(l.tolerance.rtol);
      w.Key("min_cosine").Number(l.tolerance.min_cosine);
      w.Key("min_sqnr_db").Number(l.tolerance.min_sqnr_db);
      w.Key("max_mismatch_fraction").Number(l.tolerance.max_mismatch_fraction);
      w.EndObject();
    } else {
      for (const char* key : {"max_abs", "mean_abs", "rmse", "max_rel", "cosine", "sqnr_db",
                              "mismatch_fraction", "nan", "inf"}) {
        w.Key(key).Null();
      }
    }
    if (l.spectral.has_value()) {
      w.Key("spectral_convergence").Number(l.spectral->spectral_convergence);
      w.Key("log_stft_distance").Number(l.spectral->log_stft_distance);
      w.Key("mr_stft_distance").Number(l.spectral->mr_stft_distance);
    }
    w.Key("health").Strings(l.health);
    w.Key("reason");
    text_or_null(l.reason);
    w.Key("hint");
    text_or_null(l.hint);
    w.Key("note");
    text_or_null(l.note);
    w.Key("inputs");
    text_or_null(l.inputs);
    w.Key("weights");
    text_or_null(l.weights);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Finish();
}

std::string ReportJunit(const Report& r) {
  int failures = 0, skipped = 0;
  for (const LayerResult& l : r.layers) {
    if (Bad(l)) ++failures;
    if (l.status == LayerStatus::kSkipped || l.status == LayerStatus::kMissing ||
        l.status == LayerStatus::kExtra) {
      ++skipped;
    }
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  absl::StrAppend(&out, "<testsuites>\n<testsuite name=\"verify ", XmlEscape(r.mode), "\" tests=\"",
                  r.layers.size(), "\" failures=\"", failures, "\" skipped=\"", skipped, "\">\n");
  for (const LayerResult& l : r.layers) {
    absl::StrAppend(&out, "  <testcase classname=\"verify.", XmlEscape(r.mode), "\" name=\"",
                    XmlEscape(l.name), "\">");
    const std::string detail = absl::StrCat(l.reason, l.hint.empty() ? "" : "; hint: ", l.hint);
    if (Bad(l)) {
      absl::StrAppend(&out, "<failure message=\"", XmlEscape(detail), "\">", XmlEscape(detail),
                      "</failure>");
    } else if (l.status != LayerStatus::kPass) {
      absl::StrAppend(&out, "<skipped message=\"", LayerStatusName(l.status), ": ",
                      XmlEscape(l.reason), "\"/>");
    }
    out += "</testcase>\n";
  }
  out += "</testsuite>\n</testsuites>\n";
  return out;
}

namespace {

// Error-per-layer plot: log10 of the relative RMSE (sqrt(NMSE)) per layer, failures in red.
std::string ErrorPlotSvg(const Report& r) {
  const int w = 900, h = 260, left = 60, bottom = 30, top = 10;
  std::vector<std::pair<int, double>> pts;
  for (size_t i = 0; i < r.layers.size(); ++i) {
    const LayerResult& l = r.layers[i];
    if (!l.has_metrics) continue;
    double v = std::sqrt(l.metrics.nmse);
    if (!std::isfinite(v)) v = 1e3;
    pts.push_back({static_cast<int>(i), std::log10(std::max(v, 1e-12))});
  }
  double lo = -12, hi = 1;
  for (const auto& p : pts) {
    lo = std::min(lo, std::floor(p.second));
    hi = std::max(hi, std::ceil(p.second));
  }
  const size_t n = std::max<size_t>(r.layers.size(), 2);
  auto X = [&](int i) { return left + (w - left - 10) * static_cast<double>(i) / (n - 1); };
  auto Y = [&](double v) { return top + (h - top - bottom) * (hi - v) / (hi - lo); };
  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
      "style=\"background:#fff;border:1px solid #ccc\">",
      w, h);
  for (int e = static_cast<int>(lo); e <= static_cast<int>(hi); e += 2) {
    absl::StrAppend(
        &svg, absl::StrFormat("<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
                              "<text x=\"4\" y=\"%.1f\" font-size=\"10\">1e%d</text>",
                              left, w - 10, Y(e), Y(e), Y(e) + 3, e));
  }
  std::string path;
  for (const auto& p : pts) {
    absl::StrAppend(&path, path.empty() ? "M" : " L",
                    absl::StrFormat("%.1f %.1f", X(p.first), Y(p.second)));
  }
  absl::StrAppend(&svg, "<path d=\"", path, "\" fill=\"none\" stroke=\"#36c\"/>");
  if (r.first_divergence >= 0) {
    const double x = X(r.first_divergence);
    absl::StrAppend(
        &svg,
        absl::StrFormat(
            "<line id=\"first-divergence-marker\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" "
            "stroke=\"#d00\" stroke-dasharray=\"4 3\"/><text x=\"%.1f\" y=\"%d\" font-size=\"11\" "
            "fill=\"#d00\">first divergence: %s</text>",
            x, x, top, h - bottom, x + 4, top + 12, XmlEscape(r.layers[r.first_divergence].name)));
  }
  for (const auto& p : pts) {
    const LayerResult& l = r.layers[p.first];
    absl::StrAppend(
        &svg, absl::StrFormat("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>%s: "
                              "relative RMSE 1e%.2f</title></circle>",
                              X(p.first), Y(p.second), Bad(l) ? "#d00" : "#36c", XmlEscape(l.name),
                              p.second));
  }
  absl::StrAppend(
      &svg,
      absl::StrFormat(
          "<text x=\"%d\" y=\"%d\" font-size=\"11\">layer (execution order) &#8594; ; y: relative "
          "RMSE ||x-y||/||x|| (log scale)</text></svg>",
          left, h - 8));
  return svg;
}

// One heat map as a PNG data URI (at most 64 x 64 cells, scaled up in the page).
std::string HeatMapImg(const std::vector<float>& v, int rows, int cols, Palette palette,
                       const char* title) {
  float lo = INFINITY, hi = -INFINITY;
  for (float f : v) {
    if (!std::isfinite(f)) continue;
    lo = std::min(lo, f);
    hi = std::max(hi, f);
  }
  if (!std::isfinite(lo)) lo = hi = 0;
  const std::string uri = PngDataUri(EncodePng(Colorize(v, palette, lo, hi), cols, rows));
  const int scale = std::max(2, 192 / std::max(rows, cols));
  return absl::StrFormat(
      "<figure><img class=\"heat\" src=\"%s\" width=\"%d\" height=\"%d\" alt=\"%s\" "
      "style=\"image-rendering:pixelated\"><figcaption>%s<br><small>[%.4g, %.4g]</small>"
      "</figcaption></figure>",
      uri, cols * scale, rows * scale, title, title, lo, hi);
}

// Waveforms of reference (blue) and candidate (red) overlaid, as min/max envelopes per column.
std::string WaveformSvg(const AudioView& a) {
  const int w = 600, h = 140;
  const int n = static_cast<int>(a.ref_min.size());
  float lo = 0, hi = 0;
  for (int i = 0; i < n; ++i) {
    for (float f : {a.ref_min[i], a.ref_max[i], a.cand_min[i], a.cand_max[i]}) {
      if (!std::isfinite(f)) continue;
      lo = std::min(lo, f);
      hi = std::max(hi, f);
    }
  }
  if (hi <= lo) hi = lo + 1;
  auto Y = [&](float f) { return h - 4 - (h - 8) * (std::clamp(f, lo, hi) - lo) / (hi - lo); };
  auto envelope = [&](const std::vector<float>& mn, const std::vector<float>& mx,
                      const char* color) {
    std::string d;
    for (int i = 0; i < n; ++i) {
      const double x = n > 1 ? (w - 1.0) * i / (n - 1) : 0;
      absl::StrAppend(&d, absl::StrFormat("M%.1f %.1fV%.1f", x, Y(mn[i]), Y(mx[i])));
    }
    return absl::StrFormat("<path d=\"%s\" stroke=\"%s\" stroke-opacity=\"0.6\" fill=\"none\"/>", d,
                           color);
  };
  return absl::StrCat(
      absl::StrFormat("<svg class=\"wave\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
                      "height=\"%d\" style=\"border:1px solid #ccc\">",
                      w, h),
      envelope(a.ref_min, a.ref_max, "#2060d0"), envelope(a.cand_min, a.cand_max, "#d02020"),
      "</svg>");
}

// Spectrogram (frames x bins) drawn with time to the right and frequency up.
std::string SpectrogramImg(const std::vector<float>& spec, int frames, int bins, float lo, float hi,
                           const char* title) {
  std::vector<float> img(static_cast<size_t>(frames) * bins);
  for (int f = 0; f < frames; ++f)
    for (int b = 0; b < bins; ++b) img[(bins - 1 - b) * frames + f] = spec[f * bins + b];
  const std::string uri =
      PngDataUri(EncodePng(Colorize(img, Palette::kHeat, lo, hi), frames, bins));
  return absl::StrFormat(
      "<figure><img class=\"spec\" src=\"%s\" width=\"%d\" height=\"%d\" "
      "alt=\"%s\"><figcaption>%s</figcaption></figure>",
      uri, frames * 2, bins * 2 > 300 ? 300 : bins * 2, title, title);
}

// Layers nested by their dotted names, each a line; levels collapse (<details>), the path to the
// first divergence open.
struct TreeNode {
  std::string name;  // full dotted name of this level
  int layer = -1;    // index into the report, -1 for a level with no entry of its own
  std::vector<std::unique_ptr<TreeNode>> children;
};

std::string LayerLine(const Report& r, int i) {
  const LayerResult& l = r.layers[i];
  std::string cls = Bad(l) ? "bad" : (l.status == LayerStatus::kPass ? "ok" : "warn");
  if (i == r.first_divergence) cls += " first";
  std::string line = absl::StrCat("<span class=\"", cls, "\" id=\"layer-", i, "\">",
                                  XmlEscape(l.name), " &mdash; ", LayerStatusName(l.status));
  if (l.has_metrics) absl::StrAppend(&line, ", SQNR ", Db(l.metrics.sqnr_db), " dB");
  if (!l.reason.empty() && l.status != LayerStatus::kPass) {
    absl::StrAppend(&line, " <small>(", XmlEscape(l.reason), ")</small>");
  }
  return line + "</span>";
}

void RenderTree(const Report& r, const TreeNode& node, const std::string& open_path,
                std::string& out) {
  for (const auto& c : node.children) {
    const std::string label = c->layer >= 0 ? LayerLine(r, c->layer)
                                            : absl::StrCat("<span>", XmlEscape(c->name), "</span>");
    if (c->children.empty()) {
      absl::StrAppend(&out, "<div class=\"leaf\">", label, "</div>");
      continue;
    }
    const bool open = open_path == c->name || absl::StartsWith(open_path, c->name + ".");
    absl::StrAppend(&out, "<details", open ? " open" : "", "><summary>", label, "</summary>");
    RenderTree(r, *c, open_path, out);
    out += "</details>";
  }
}

std::string ModuleTree(const Report& r) {
  TreeNode root;
  std::map<std::string, TreeNode*> by_name;
  for (size_t i = 0; i < r.layers.size(); ++i) {
    const std::string& name = r.layers[i].name;
    TreeNode* parent = &root;
    std::string prefix;
    size_t start = 0;
    while (true) {
      const size_t dot = name.find('.', start);
      prefix = dot == std::string::npos ? name : name.substr(0, dot);
      auto it = by_name.find(prefix);
      if (it == by_name.end()) {
        parent->children.push_back(std::make_unique<TreeNode>());
        parent->children.back()->name = prefix;
        it = by_name.emplace(prefix, parent->children.back().get()).first;
      }
      parent = it->second;
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    parent->layer = static_cast<int>(i);
  }
  std::string out = "<div class=\"tree\">";
  const std::string open_path = r.first_divergence >= 0 ? r.layers[r.first_divergence].name : "";
  RenderTree(r, root, open_path, out);
  return out + "</div>";
}

}  // namespace

std::string ReportHtml(const Report& r, bool all_images) {
  std::string out =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>verify report</title>"
      "<style>body{font-family:sans-serif;margin:20px;max-width:1200px}"
      "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px;"
      "text-align:right}td:first-child{text-align:left}tr.fail{background:#fdd}tr.warn{background:#"
      "ffd}"
      "figure{display:inline-block;margin:4px;text-align:center;font-size:12px}"
      ".bad{color:#b00}.warn{color:#960}.ok{color:#262}.first{font-weight:bold;background:#fdd}"
      ".tree details{margin-left:14px}.tree .leaf{margin-left:28px}"
      "#first-divergence{border:2px solid #d00;padding:8px 12px;background:#fff6f6}"
      ".health{border:2px solid #c80;padding:6px 12px;background:#fffaf0}</style>"
      "</head><body>\n";
  absl::StrAppend(
      &out, "<h1>verify ", XmlEscape(r.mode), ": ",
      r.passed ? "<span class=\"ok\">PASSED</span>" : "<span class=\"bad\">FAILED</span>",
      "</h1>\n");
  absl::StrAppend(&out, "<p>reference: <code>", XmlEscape(r.reference),
                  "</code><br>candidate: <code>", XmlEscape(r.candidate), "</code><br><b>",
                  XmlEscape(SummaryLine(r)), "</b></p>\n");
  if (!r.health.empty()) {
    out += "<div class=\"health\" id=\"health\"><b>Health at a glance</b><ul>";
    for (const std::string& h : r.health) absl::StrAppend(&out, "<li>", XmlEscape(h), "</li>");
    out += "</ul></div>\n";
  }
  // The layers to draw: around the first divergence, or every one that has images.
  std::set<int> drawn;
  if (r.first_divergence >= 0) {
    for (int i = std::max(0, r.first_divergence - 2);
         i <= std::min<int>(r.layers.size() - 1, r.first_divergence + 2); ++i) {
      drawn.insert(i);
    }
  } else if (!r.layers.empty()) {
    drawn.insert(static_cast<int>(r.layers.size()) - 1);  // the output, for a look
  }
  if (r.first_divergence >= 0) {
    const LayerResult& f = r.layers[r.first_divergence];
    absl::StrAppend(&out, "<div id=\"first-divergence\"><h2>First divergence: ", XmlEscape(f.name),
                    " (", LayerStatusName(f.status), ")</h2><p>last matching layer before it: ",
                    r.last_match >= 0 ? XmlEscape(r.layers[r.last_match].name) : "(none)");
    for (const auto& [label, text] :
         {std::make_pair("inputs", f.inputs), std::make_pair("weights", f.weights),
          std::make_pair("why", f.reason), std::make_pair("note", f.note),
          std::make_pair("hint", f.hint)}) {
      if (!text.empty()) absl::StrAppend(&out, "<br>", label, ": ", XmlEscape(text));
    }
    if (f.spectral.has_value()) {
      absl::StrAppend(
          &out, absl::StrFormat("<br>audio: spectral convergence %.4g, log-STFT distance %.4g, "
                                "multi-resolution STFT %.4g",
                                f.spectral->spectral_convergence, f.spectral->log_stft_distance,
                                f.spectral->mr_stft_distance));
    }
    out += "</p></div>\n";
  }
  absl::StrAppend(&out, "<h2>Error per layer</h2>\n<div id=\"error-plot\">", ErrorPlotSvg(r),
                  "</div>\n");
  bool any = false;
  for (int i = 0; i < static_cast<int>(r.layers.size()); ++i) {
    const LayerResult& l = r.layers[i];
    if (!l.image.has_value() && !l.audio.has_value()) continue;
    if (!all_images && !drawn.count(i)) continue;
    if (!any) {
      out += "<h2 id=\"images\">Layers around the first divergence</h2>\n";
      any = true;
    }
    absl::StrAppend(&out, "<div><h3>", XmlEscape(l.name), " (", LayerStatusName(l.status),
                    ")</h3>");
    if (l.image.has_value()) {
      const LayerImage& im = *l.image;
      std::vector<float> diff(im.ref.size());
      for (size_t k = 0; k < diff.size(); ++k) diff[k] = im.cand[k] - im.ref[k];
      absl::StrAppend(
          &out, HeatMapImg(im.ref, im.rows, im.cols, Palette::kGray, "reference"),
          HeatMapImg(im.cand, im.rows, im.cols, Palette::kGray, "candidate"),
          HeatMapImg(diff, im.rows, im.cols, Palette::kDiverging, "candidate - reference"));
    }
    if (l.audio.has_value() && l.audio->spec_frames > 0) {
      const AudioView& a = *l.audio;
      float lo = INFINITY, hi = -INFINITY;
      for (const std::vector<float>* v : {&a.ref_spec, &a.cand_spec}) {
        for (float f : *v) {
          if (std::isfinite(f)) {
            lo = std::min(lo, f);
            hi = std::max(hi, f);
          }
        }
      }
      lo = std::max(lo, hi - 6.0f);  // 120 dB of range
      absl::StrAppend(&out, "<div>",
                      SpectrogramImg(a.ref_spec, a.spec_frames, a.spec_bins, lo, hi,
                                     "reference log-magnitude spectrogram"),
                      SpectrogramImg(a.cand_spec, a.spec_frames, a.spec_bins, lo, hi,
                                     "candidate log-magnitude spectrogram"),
                      "</div><div>", WaveformSvg(a),
                      "<br><small>waveform: reference (blue), candidate (red)</small></div>");
    }
    out += "</div>\n";
  }
  absl::StrAppend(&out, "<h2>Modules</h2>\n", ModuleTree(r), "\n");
  out +=
      "<details><summary><b>Every layer</b></summary>\n<table><tr><th>layer</th><th>shape</th>"
      "<th>max abs</th><th>mean abs</th><th>cosine</th><th>SQNR dB</th><th>mismatch</th>"
      "<th>verdict</th><th>reason / hint / note</th></tr>\n";
  for (const LayerResult& l : r.layers) {
    const char* cls =
        Bad(l) ? " class=\"fail\"" : (l.status == LayerStatus::kPass ? "" : " class=\"warn\"");
    absl::StrAppend(&out, "<tr", cls, "><td>", XmlEscape(l.name), "</td><td>",
                    ShapeToString(l.ref_shape.empty() ? l.cand_shape : l.ref_shape), "</td>");
    if (l.has_metrics) {
      absl::StrAppend(
          &out, absl::StrFormat("<td>%.4g</td><td>%.4g</td><td>%.10f</td><td>%s</td><td>%.3g</td>",
                                l.metrics.max_abs, l.metrics.mean_abs, l.metrics.cosine,
                                Db(l.metrics.sqnr_db), l.metrics.mismatch_fraction));
    } else {
      out += "<td>-</td><td>-</td><td>-</td><td>-</td><td>-</td>";
    }
    absl::StrAppend(&out, "<td>", LayerStatusName(l.status), "</td><td style=\"text-align:left\">",
                    XmlEscape(l.reason), l.hint.empty() ? "" : "<br><i>", XmlEscape(l.hint),
                    l.hint.empty() ? "" : "</i>", l.note.empty() ? "" : "<br><small>",
                    XmlEscape(l.note), l.note.empty() ? "" : "</small>", "</td></tr>\n");
  }
  out += "</table></details>\n</body></html>\n";
  return out;
}

absl::Status WriteJsonReport(const Report& report, const std::string& path) {
  return WriteText(path, ReportJson(report));
}
absl::Status WriteJunitReport(const Report& report, const std::string& path) {
  return WriteText(path, ReportJunit(report));
}
absl::Status WriteHtmlReport(const Report& report, const std::string& path, bool all_images) {
  return WriteText(path, ReportHtml(report, all_images));
}

}  // namespace verify
}  // namespace tp
