// Times tensorport's runtime on the benchmark suite (suite_models.py) and prints one line
// per (model, threads): "tensorport MODEL threads=T median_ms=X mean_abs_out=Y min_ms=Z" (min_ms:
// the fastest run, steadier than the median on a loaded machine). Driven by bench_runtime.sh,
// which runs ONNX Runtime on the same models and inputs and prints the ratios.
//
// Usage: bench_runtime --models_dir=DIR --models=mbv3_det,dit_block --threads=1,2 --runs=5
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/status_macros.h"
#include "core/tensor.h"
#include "runtime/session.h"

ABSL_FLAG(std::string, models_dir, "/tmp/tensorport_bench",
          "folder written by suite_models.py");
ABSL_FLAG(std::string, models, "mbv3_det,resnet50,wav2vec2,hifigan,dit_block,rnn",
          "comma-separated model names");
ABSL_FLAG(std::string, threads, "1,2", "comma-separated thread counts");
ABSL_FLAG(int, runs, 5, "timed runs per configuration (after one warm-up run)");
ABSL_FLAG(std::string, backend, "cpu", "runtime backend");
ABSL_FLAG(bool, serve, false,
          "read \"MODEL THREADS RUNS\" lines from stdin and answer each with one result line "
          "(sessions are kept), so a driver can alternate with another runtime run by run");
ABSL_FLAG(bool, profile, false,
          "also print the time per (op, output shape) of one run, slowest first");

namespace tp {
namespace {

absl::StatusOr<std::map<std::string, Tensor>> ReadInputs(const std::string& base) {
  std::ifstream list(base + ".inputs.txt");
  if (!list) return absl::NotFoundError(absl::StrCat(base, ".inputs.txt: cannot open"));
  std::map<std::string, Tensor> inputs;
  std::string line;
  while (std::getline(list, line)) {
    std::vector<std::string> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (parts.empty()) continue;
    Shape shape;
    for (size_t i = 1; i < parts.size(); ++i) {
      int64_t d;
      if (!absl::SimpleAtoi(parts[i], &d) || d < 0) {
        return absl::InvalidArgumentError(absl::StrCat(base, ".inputs.txt: input \"", parts[0],
                                                       "\" has dim \"", parts[i],
                                                       "\", expected a non-negative integer"));
      }
      shape.push_back(d);
    }
    ASSIGN_OR_RETURN(int64_t count, NumElements(shape));
    const std::string path = absl::StrCat(base, ".", parts[0], ".f32");
    std::ifstream f(path, std::ios::binary | std::ios::ate);
    if (!f) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
    const int64_t size = f.tellg();
    if (size != count * 4) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": holds ", size, " bytes, shape ",
                                                     ShapeToString(shape), " needs ", count * 4));
    }
    f.seekg(0);
    std::string bytes(size, '\0');
    f.read(bytes.data(), size);
    ASSIGN_OR_RETURN(Tensor t, Tensor::FromBytes(DType::kF32, shape, bytes));
    inputs[parts[0]] = t;
  }
  return inputs;
}

// Sessions by (model, threads), kept for --serve.
std::map<std::pair<std::string, int>, std::unique_ptr<rt::Session>>& Sessions() {
  static auto* m = new std::map<std::pair<std::string, int>, std::unique_ptr<rt::Session>>();
  return *m;
}
std::map<std::string, std::map<std::string, Tensor>>& Inputs() {
  static auto* m = new std::map<std::string, std::map<std::string, Tensor>>();
  return *m;
}

absl::Status Bench(const std::string& name, int threads, int runs) {
  const std::string base = absl::StrCat(absl::GetFlag(FLAGS_models_dir), "/", name);
  std::unique_ptr<rt::Session>& session = Sessions()[{name, threads}];
  const bool fresh = session == nullptr;
  if (fresh) {
    rt::SessionOptions options;
    options.backend = absl::GetFlag(FLAGS_backend);
    options.num_threads = threads;
    ASSIGN_OR_RETURN(session, rt::Session::Load(base + ".onnx", options));
  }
  if (!Inputs().count(name)) {
    ASSIGN_OR_RETURN(Inputs()[name], ReadInputs(base));
  }
  const std::map<std::string, Tensor>& inputs = Inputs()[name];
  std::vector<double> ms;
  double mean_abs = 0;
  // A fresh session's first run (kernels compiled, weights re-laid-out) is not timed.
  for (int r = fresh ? 0 : 1; r <= runs; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(auto outputs, session->Run(inputs));
    const auto t1 = std::chrono::steady_clock::now();
    if (r == 0 || (r == 1 && !fresh)) {
      ASSIGN_OR_RETURN(std::vector<double> v, ToDoubleVector(outputs.begin()->second));
      for (double x : v) mean_abs += std::fabs(x);
      mean_abs /= std::max<size_t>(v.size(), 1);
    }
    if (r == 0) continue;
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  if (absl::GetFlag(FLAGS_profile)) {
    // The kernel log of one more run (the graph the run executes, rewrites included).
    std::vector<rt::KernelRecord> log;
    rt::RunOptions run;
    run.kernel_log = &log;
    ASSIGN_OR_RETURN(auto outputs, session->Run(inputs, run));
    std::map<std::string, std::pair<double, int>> per_op;
    for (const rt::KernelRecord& r : log) {
      const std::string key = absl::StrCat(r.domain.empty() ? "" : "fused.", r.op_type, " ",
                                           r.shape, r.reference ? " (reference)" : "");
      per_op[key].first += r.ms;
      per_op[key].second += 1;
    }
    std::vector<std::pair<double, std::string>> sorted;
    for (const auto& [op, v] : per_op) {
      sorted.push_back({v.first, absl::StrCat(op, " x", v.second)});
    }
    std::sort(sorted.rbegin(), sorted.rend());
    for (const auto& [t, op] : sorted) std::printf("  %8.2f ms  %s\n", t, op.c_str());
  }
  std::printf("tensorport %s threads=%d runs_ms=", name.c_str(), threads);
  for (size_t i = 0; i < ms.size(); ++i) std::printf("%s%.2f", i ? "," : "", ms[i]);
  std::sort(ms.begin(), ms.end());
  std::printf(" median_ms=%.2f mean_abs_out=%.6g min_ms=%.2f\n", ms[ms.size() / 2], mean_abs,
              ms.front());
  std::fflush(stdout);
  return absl::OkStatus();
}

}  // namespace
}  // namespace tp

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_runs) < 1) {
    std::fprintf(stderr, "--runs must be >= 1\n");
    return 2;
  }
  if (absl::GetFlag(FLAGS_serve)) {
    std::string line;
    while (std::getline(std::cin, line)) {
      std::vector<std::string> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
      int threads = 0, runs = 0;
      if (parts.size() != 3 || !absl::SimpleAtoi(parts[1], &threads) ||
          !absl::SimpleAtoi(parts[2], &runs) || threads < 1 || runs < 1) {
        std::printf("error: expected \"MODEL THREADS RUNS\", got \"%s\"\n", line.c_str());
        std::fflush(stdout);
        continue;
      }
      absl::Status s = tp::Bench(parts[0], threads, runs);
      if (!s.ok()) std::printf("error: %s\n", s.ToString().c_str());
      std::fflush(stdout);
    }
    return 0;
  }
  const std::vector<std::string> models = absl::StrSplit(absl::GetFlag(FLAGS_models), ',');
  const std::vector<std::string> thread_list =
      absl::StrSplit(absl::GetFlag(FLAGS_threads), ',');
  for (const std::string& model : models) {
    for (const std::string& t : thread_list) {
      int threads;
      if (!absl::SimpleAtoi(t, &threads) || threads < 1) {
        std::fprintf(stderr, "--threads: \"%s\" is not a positive integer\n", t.c_str());
        return 2;
      }
      absl::Status s = tp::Bench(model, threads, absl::GetFlag(FLAGS_runs));
      if (!s.ok()) {
        std::fprintf(stderr, "%s\n", s.ToString().c_str());
        return 2;
      }
    }
  }
  return 0;
}
