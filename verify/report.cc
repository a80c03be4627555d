#include "verify/report.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/metadata.h"
#include "core/output_file.h"
#include "core/status_macros.h"

namespace tp {
namespace verify {
namespace {

std::string Num(double v) {
  if (std::isnan(v)) return "\"nan\"";
  if (std::isinf(v)) return v > 0 ? "\"inf\"" : "\"-inf\"";
  return absl::StrFormat("%.10g", v);
}

std::string Db(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return absl::StrFormat("%.1f", v);
}

std::string XmlEscape(absl::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
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
  std::string line = absl::StrCat(r.passed ? "PASSED" : "FAILED", ": ", r.passed_count,
                                  " passed, ", r.failed_count, " failed, ", r.excused_count,
                                  " excused, ", r.missing_count, " missing, ", r.extra_count,
                                  " extra (", r.layers.size(), " layers)");
  if (!r.coverage_problem.empty()) absl::StrAppend(&line, "; ", r.coverage_problem);
  for (const std::string& p : r.problems) absl::StrAppend(&line, "; ", p);
  return line;
}

}  // namespace

std::string FormatTerminal(const Report& r, bool color) {
  const char* red = color ? "\033[31m" : "";
  const char* yellow = color ? "\033[33m" : "";
  const char* bold = color ? "\033[1m" : "";
  const char* reset = color ? "\033[0m" : "";
  size_t width = 5;
  for (const LayerResult& l : r.layers) width = std::max(width, l.name.size());
  width = std::min<size_t>(width, 60);
  std::string out = absl::StrFormat("%-*s  %-18s %11s %14s %9s  %s\n", static_cast<int>(width),
                                    "layer", "shape", "max_abs", "cosine", "SQNR dB", "verdict");
  for (const LayerResult& l : r.layers) {
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
    if (!l.reason.empty() && l.status != LayerStatus::kPass) absl::StrAppend(&line, "  (", l.reason, ")");
    if (!l.note.empty()) absl::StrAppend(&line, "  [", l.note, "]");
    const char* c = Bad(l) ? red : (l.status == LayerStatus::kPass ? "" : yellow);
    absl::StrAppend(&out, c, line, *c ? reset : "", "\n");
  }
  if (r.first_divergence >= 0) {
    const LayerResult& f = r.layers[r.first_divergence];
    absl::StrAppend(&out, "\n", bold, red, "First divergence: ", f.name, reset, " (",
                    LayerStatusName(f.status), ")\n");
    absl::StrAppend(&out, "  last matching layer before it: ",
                    r.last_match >= 0 ? r.layers[r.last_match].name : "(none)", "\n");
    if (!f.reason.empty()) absl::StrAppend(&out, "  why:  ", f.reason, "\n");
    if (!f.hint.empty()) absl::StrAppend(&out, "  hint: ", f.hint, "\n");
    if (f.spectral.has_value()) {
      absl::StrAppend(&out, absl::StrFormat(
          "  spectral convergence %.4g, log-STFT distance %.4g, multi-resolution STFT %.4g\n",
          f.spectral->spectral_convergence, f.spectral->log_stft_distance,
          f.spectral->mr_stft_distance));
    }
  }
  absl::StrAppend(&out, r.passed ? "" : red, SummaryLine(r), r.passed ? "" : reset, "\n");
  return out;
}

std::string ReportJson(const Report& r) {
  std::string out = "{\n";
  absl::StrAppend(&out, "  \"mode\": ", JsonQuote(r.mode), ",\n");
  absl::StrAppend(&out, "  \"reference\": ", JsonQuote(r.reference), ",\n");
  absl::StrAppend(&out, "  \"candidate\": ", JsonQuote(r.candidate), ",\n");
  absl::StrAppend(&out, "  \"passed\": ", r.passed ? "true" : "false", ",\n");
  absl::StrAppend(&out, "  \"first_divergence\": ",
                  r.first_divergence >= 0 ? JsonQuote(r.layers[r.first_divergence].name) : "null",
                  ",\n");
  absl::StrAppend(&out, "  \"last_match\": ",
                  r.last_match >= 0 ? JsonQuote(r.layers[r.last_match].name) : "null", ",\n");
  absl::StrAppend(&out, "  \"summary\": {\"passed\": ", r.passed_count, ", \"failed\": ",
                  r.failed_count, ", \"excused\": ", r.excused_count, ", \"missing\": ",
                  r.missing_count, ", \"extra\": ", r.extra_count, ", \"reference_layers\": ",
                  r.reference_count, ", \"coverage_problem\": ",
                  r.coverage_problem.empty() ? "null" : JsonQuote(r.coverage_problem), "},\n");
  std::vector<std::string> problems;
  for (const std::string& p : r.problems) problems.push_back(JsonQuote(p));
  absl::StrAppend(&out, "  \"problems\": [", absl::StrJoin(problems, ", "), "],\n");
  out += "  \"layers\": [";
  for (size_t i = 0; i < r.layers.size(); ++i) {
    const LayerResult& l = r.layers[i];
    const LayerMetrics& m = l.metrics;
    std::string shape = absl::StrCat("[", absl::StrJoin(l.ref_shape.empty() ? l.cand_shape : l.ref_shape, ", "), "]");
    absl::StrAppend(&out, i ? ",\n" : "\n", "    {\"name\": ", JsonQuote(l.name),
                    ", \"candidate\": ", JsonQuote(l.candidate), ", \"status\": \"",
                    LayerStatusName(l.status), "\", \"shape\": ", shape,
                    ", \"candidate_shape\": [", absl::StrJoin(l.cand_shape, ", "), "]",
                    ", \"dtype\": ", JsonQuote(l.ref_dtype), ", \"candidate_dtype\": ",
                    JsonQuote(l.cand_dtype));
    if (l.has_metrics) {
      absl::StrAppend(&out, ", \"max_abs\": ", Num(m.max_abs), ", \"mean_abs\": ", Num(m.mean_abs),
                      ", \"rmse\": ", Num(m.rmse), ", \"max_rel\": ", Num(m.max_rel),
                      ", \"cosine\": ", Num(m.cosine), ", \"sqnr_db\": ", Num(m.sqnr_db),
                      ", \"nmse\": ", Num(m.nmse), ", \"mismatch_fraction\": ",
                      Num(m.mismatch_fraction), ", \"nan\": ", m.cand.nan, ", \"inf\": ",
                      m.cand.inf, ", \"reference_nan\": ", m.ref.nan, ", \"reference_inf\": ",
                      m.ref.inf);
      for (const auto& [key, s] : {std::make_pair("reference_stats", m.ref),
                                   std::make_pair("candidate_stats", m.cand)}) {
        absl::StrAppend(&out, ", \"", key, "\": {\"mean\": ", Num(s.mean), ", \"std\": ",
                        Num(s.std), ", \"min\": ", Num(s.min), ", \"max\": ", Num(s.max), "}");
      }
      absl::StrAppend(&out, ", \"tolerance\": {\"atol\": ", Num(l.tolerance.atol), ", \"rtol\": ",
                      Num(l.tolerance.rtol), ", \"min_cosine\": ", Num(l.tolerance.min_cosine),
                      ", \"min_sqnr_db\": ", Num(l.tolerance.min_sqnr_db),
                      ", \"max_mismatch_fraction\": ", Num(l.tolerance.max_mismatch_fraction), "}");
    } else {
      out += ", \"max_abs\": null, \"mean_abs\": null, \"rmse\": null, \"max_rel\": null, "
             "\"cosine\": null, \"sqnr_db\": null, \"mismatch_fraction\": null, \"nan\": null, "
             "\"inf\": null";
    }
    if (l.spectral.has_value()) {
      absl::StrAppend(&out, ", \"spectral_convergence\": ", Num(l.spectral->spectral_convergence),
                      ", \"log_stft_distance\": ", Num(l.spectral->log_stft_distance),
                      ", \"mr_stft_distance\": ", Num(l.spectral->mr_stft_distance));
    }
    std::vector<std::string> health;
    for (const std::string& h : l.health) health.push_back(JsonQuote(h));
    absl::StrAppend(&out, ", \"health\": [", absl::StrJoin(health, ", "), "]");
    absl::StrAppend(&out, ", \"reason\": ", l.reason.empty() ? "null" : JsonQuote(l.reason),
                    ", \"hint\": ", l.hint.empty() ? "null" : JsonQuote(l.hint),
                    ", \"note\": ", l.note.empty() ? "null" : JsonQuote(l.note), "}");
  }
  out += "\n  ]\n}\n";
  return out;
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
  absl::StrAppend(&out, "<testsuites>\n<testsuite name=\"verify ", XmlEscape(r.mode),
                  "\" tests=\"", r.layers.size(), "\" failures=\"", failures, "\" skipped=\"",
                  skipped, "\">\n");
  for (const LayerResult& l : r.layers) {
    absl::StrAppend(&out, "  <testcase classname=\"verify.", XmlEscape(r.mode), "\" name=\"",
                    XmlEscape(l.name), "\">");
    const std::string detail = absl::StrCat(l.reason, l.hint.empty() ? "" : "; hint: ", l.hint);
    if (Bad(l)) {
      absl::StrAppend(&out, "<failure message=\"", XmlEscape(detail), "\">",
                      XmlEscape(detail), "</failure>");
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
    absl::StrAppend(&svg, absl::StrFormat(
        "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
        "<text x=\"4\" y=\"%.1f\" font-size=\"10\">1e%d</text>",
        left, w - 10, Y(e), Y(e), Y(e) + 3, e));
  }
  std::string path;
  for (const auto& p : pts) {
    absl::StrAppend(&path, path.empty() ? "M" : " L", absl::StrFormat("%.1f %.1f", X(p.first), Y(p.second)));
  }
  absl::StrAppend(&svg, "<path d=\"", path, "\" fill=\"none\" stroke=\"#36c\"/>");
  for (const auto& p : pts) {
    const LayerResult& l = r.layers[p.first];
    absl::StrAppend(&svg, absl::StrFormat(
        "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>%s: relative RMSE 1e%.2f</title></circle>",
        X(p.first), Y(p.second), Bad(l) ? "#d00" : "#36c", XmlEscape(l.name), p.second));
  }
  absl::StrAppend(&svg, absl::StrFormat(
      "<text x=\"%d\" y=\"%d\" font-size=\"11\">layer (execution order) &#8594; ; y: relative "
      "RMSE ||x-y||/||x|| (log scale)</text></svg>",
      left, h - 8));
  return svg;
}

// One heat map as SVG rects (at most 64 x 64 cells).
std::string ImageSvg(const std::vector<float>& v, int rows, int cols, bool diverging) {
  float lo = 0, hi = 0;
  for (float f : v) {
    if (!std::isfinite(f)) continue;
    lo = std::min(lo, f);
    hi = std::max(hi, f);
  }
  if (!diverging) {
    lo = *std::min_element(v.begin(), v.end());
    hi = *std::max_element(v.begin(), v.end());
  }
  const float m = std::max(std::fabs(lo), std::fabs(hi));
  const int cell = std::max(2, 192 / std::max(rows, cols));
  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" shape-rendering=\"crispEdges\">",
      cols * cell, rows * cell);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      const float f = v[r * cols + c];
      int R, G, B;
      if (diverging) {
        const float t = m > 0 && std::isfinite(f) ? f / m : 0;
        R = t > 0 ? 255 : static_cast<int>(255 * (1 + t));
        B = t < 0 ? 255 : static_cast<int>(255 * (1 - t));
        G = static_cast<int>(255 * (1 - std::fabs(t)));
      } else {
        const float t = hi > lo && std::isfinite(f) ? (f - lo) / (hi - lo) : 0;
        R = G = B = static_cast<int>(255 * t);
      }
      absl::StrAppend(&svg, absl::StrFormat(
          "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#%02x%02x%02x\"/>",
          c * cell, r * cell, cell, cell, R, G, B));
    }
  }
  svg += "</svg>";
  return svg;
}

}  // namespace

std::string ReportHtml(const Report& r) {
  std::string out =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>verify report</title>"
      "<style>body{font-family:sans-serif;margin:20px}table{border-collapse:collapse;font-size:13px}"
      "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td:first-child{text-align:left}"
      ".fail{background:#fdd}.warn{background:#ffd}figure{display:inline-block;margin:4px}</style>"
      "</head><body>\n";
  absl::StrAppend(&out, "<h1>verify ", XmlEscape(r.mode), ": ",
                  r.passed ? "PASSED" : "<span style=\"color:#d00\">FAILED</span>", "</h1>\n");
  absl::StrAppend(&out, "<p>reference: <code>", XmlEscape(r.reference), "</code><br>candidate: <code>",
                  XmlEscape(r.candidate), "</code><br>", XmlEscape(SummaryLine(r)), "</p>\n");
  if (r.first_divergence >= 0) {
    const LayerResult& f = r.layers[r.first_divergence];
    absl::StrAppend(&out, "<p><b>First divergence: ", XmlEscape(f.name), "</b>; last matching layer: ",
                    r.last_match >= 0 ? XmlEscape(r.layers[r.last_match].name) : "(none)",
                    "<br>why: ", XmlEscape(f.reason), "<br>hint: ", XmlEscape(f.hint), "</p>\n");
  }
  absl::StrAppend(&out, "<h2>Error per layer</h2>\n", ErrorPlotSvg(r), "\n");
  out += "<h2>Layers</h2>\n<table><tr><th>layer</th><th>shape</th><th>max abs</th><th>mean abs</th>"
         "<th>cosine</th><th>SQNR dB</th><th>mismatch</th><th>verdict</th><th>reason / hint</th></tr>\n";
  for (const LayerResult& l : r.layers) {
    const char* cls = Bad(l) ? " class=\"fail\"" : (l.status == LayerStatus::kPass ? "" : " class=\"warn\"");
    absl::StrAppend(&out, "<tr", cls, "><td>", XmlEscape(l.name), "</td><td>",
                    ShapeToString(l.ref_shape.empty() ? l.cand_shape : l.ref_shape), "</td>");
    if (l.has_metrics) {
      absl::StrAppend(&out, absl::StrFormat(
          "<td>%.4g</td><td>%.4g</td><td>%.10f</td><td>%s</td><td>%.3g</td>", l.metrics.max_abs,
          l.metrics.mean_abs, l.metrics.cosine, Db(l.metrics.sqnr_db), l.metrics.mismatch_fraction));
    } else {
      out += "<td>-</td><td>-</td><td>-</td><td>-</td><td>-</td>";
    }
    absl::StrAppend(&out, "<td>", LayerStatusName(l.status), "</td><td style=\"text-align:left\">",
                    XmlEscape(l.reason), l.hint.empty() ? "" : "<br><i>", XmlEscape(l.hint),
                    l.hint.empty() ? "" : "</i>", "</td></tr>\n");
  }
  out += "</table>\n";
  bool any_image = false;
  for (const LayerResult& l : r.layers) {
    if (!l.image.has_value()) continue;
    if (!any_image) out += "<h2>2-D layers: reference / candidate / difference</h2>\n";
    any_image = true;
    const LayerImage& im = *l.image;
    std::vector<float> diff(im.ref.size());
    for (size_t i = 0; i < diff.size(); ++i) diff[i] = im.cand[i] - im.ref[i];
    absl::StrAppend(&out, "<div><h3>", XmlEscape(l.name), " (", LayerStatusName(l.status),
                    ")</h3>");
    absl::StrAppend(&out, "<figure>", ImageSvg(im.ref, im.rows, im.cols, false),
                    "<figcaption>reference</figcaption></figure>");
    absl::StrAppend(&out, "<figure>", ImageSvg(im.cand, im.rows, im.cols, false),
                    "<figcaption>candidate</figcaption></figure>");
    absl::StrAppend(&out, "<figure>", ImageSvg(diff, im.rows, im.cols, true),
                    "<figcaption>candidate - reference</figcaption></figure></div>\n");
  }
  out += "</body></html>\n";
  return out;
}

absl::Status WriteJsonReport(const Report& report, const std::string& path) {
  return WriteText(path, ReportJson(report));
}
absl::Status WriteJunitReport(const Report& report, const std::string& path) {
  return WriteText(path, ReportJunit(report));
}
absl::Status WriteHtmlReport(const Report& report, const std::string& path) {
  return WriteText(path, ReportHtml(report));
}

}  // namespace verify
}  // namespace tp
