#include "tools/inspect.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/checkpoint.h"
#include "core/status_macros.h"
#include "formats/json/json_writer.h"
#include "formats/registry.h"

namespace tp {
namespace {

std::string HumanBytes(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024.0 && u < 4) {
    v /= 1024.0;
    ++u;
  }
  return u == 0 ? absl::StrCat(bytes, " B") : absl::StrFormat("%.1f %s", v, units[u]);
}

std::string Num(double v) { return absl::StrFormat("%.6g", v); }

void PrintTable(const std::vector<std::vector<std::string>>& rows, std::ostream& out) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()), 0);
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      const bool last = c + 1 == row.size();
      absl::StrAppend(&line, row[c], last ? "" : std::string(width[c] - row[c].size() + 2, ' '));
    }
    out << line << "\n";
  }
}

}  // namespace

std::string ResolveUserPath(const std::string& path) {
  const char* cwd = std::getenv("BUILD_WORKING_DIRECTORY");
  if (cwd == nullptr || path.empty() || path[0] == '/') return path;
  return absl::StrCat(cwd, "/", path);
}

absl::Status Inspect(const std::string& path, const InspectOptions& options, std::ostream& out) {
  ReadOptions read_options;
  read_options.select = options.select;
  absl::StatusOr<Checkpoint> read = ReadCheckpoint(path, options.format, read_options);
  if (!read.ok()) {
    // Every error line names the file, even where the reader's message does not (an unknown
    // --format id, for example).
    if (absl::StrContains(read.status().message(), path)) return read.status();
    return Annotate(read.status(), path);
  }
  Checkpoint ckpt = *std::move(read);

  std::vector<TensorStats> stats(ckpt.tensors.size());
  int64_t total_bytes = 0;
  for (size_t i = 0; i < ckpt.tensors.size(); ++i) {
    total_bytes += ckpt.tensors[i].tensor.nbytes();
    if (options.stats) {
      absl::StatusOr<TensorStats> s = ComputeStats(ckpt.tensors[i].tensor);
      if (!s.ok()) {
        return Annotate(s.status(), absl::StrCat(path, ": tensor \"", ckpt.tensors[i].name, "\""));
      }
      stats[i] = *s;
    }
  }

  if (options.json) {
    JsonWriter w(/*indent=*/2);
    // Statistics that are not finite (an all-NaN tensor's mean) are null.
    auto number = [&](double v) -> JsonWriter& {
      return std::isfinite(v) ? w.Number(v) : w.Null();
    };
    w.BeginObject();
    w.Key("file").String(path);
    w.Key("format").String(ckpt.format);
    w.Key("tensors").BeginArray();
    for (size_t i = 0; i < ckpt.tensors.size(); ++i) {
      const Tensor& t = ckpt.tensors[i].tensor;
      w.BeginObject();
      w.Key("name").String(ckpt.tensors[i].name);
      w.Key("dtype").String(DTypeName(t.dtype()));
      w.Key("shape").Ints(t.shape());
      w.Key("bytes").Int(t.nbytes());
      if (options.stats) {
        const TensorStats& s = stats[i];
        w.Key("min");
        number(s.min);
        w.Key("max");
        number(s.max);
        w.Key("mean");
        number(s.mean);
        w.Key("std");
        number(s.std);
        w.Key("nan").Int(s.nan_count);
        w.Key("inf").Int(s.inf_count);
      }
      w.EndObject();
    }
    w.EndArray();
    w.Key("metadata").BeginObject();
    for (const auto& [key, value] : ckpt.metadata) w.Key(key).Raw(value.ToJson());
    w.EndObject();
    w.Key("warnings").Strings(ckpt.warnings);
    w.EndObject();
    out << w.Finish();
    return absl::OkStatus();
  }

  out << path << ": " << ckpt.format << ", " << ckpt.tensors.size() << " tensors, "
      << HumanBytes(total_bytes) << "\n";
  for (const std::string& w : ckpt.warnings) out << "WARNING: " << w << "\n";
  if (!ckpt.tensors.empty()) {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> header = {"name", "dtype", "shape", "bytes"};
    if (options.stats) {
      for (const char* h : {"min", "max", "mean", "std", "nan", "inf"}) header.push_back(h);
    }
    rows.push_back(header);
    const size_t shown =
        options.all || ckpt.tensors.size() <= kTableRows ? ckpt.tensors.size() : kTableRows - 10;
    for (size_t i = 0; i < shown; ++i) {
      const Tensor& t = ckpt.tensors[i].tensor;
      std::vector<std::string> row = {ckpt.tensors[i].name, std::string(DTypeName(t.dtype())),
                                      ShapeToString(t.shape()), absl::StrCat(t.nbytes())};
      if (options.stats) {
        const TensorStats& s = stats[i];
        for (double v : {s.min, s.max, s.mean, s.std}) row.push_back(Num(v));
        row.push_back(absl::StrCat(s.nan_count));
        row.push_back(absl::StrCat(s.inf_count));
      }
      rows.push_back(std::move(row));
    }
    out << "\n";
    PrintTable(rows, out);
    if (shown < ckpt.tensors.size()) {
      int64_t rest = 0;
      for (size_t i = shown; i < ckpt.tensors.size(); ++i) rest += ckpt.tensors[i].tensor.nbytes();
      out << "... " << ckpt.tensors.size() - shown << " more tensors (" << HumanBytes(rest)
          << "); --all lists them\n";
    }
  }
  if (!ckpt.metadata.empty()) {
    out << "\nmetadata (" << ckpt.metadata.size() << "):\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& kv : ckpt.metadata) {
      rows.push_back({absl::StrCat("  ", kv.first), kv.second.ToString()});
    }
    PrintTable(rows, out);
  }
  return absl::OkStatus();
}

}  // namespace tp
