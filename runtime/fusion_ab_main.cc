// A/B timing of the fusion pass: loads a model twice on the cpu backend (fuse on / off) and
// times interleaved runs on random inputs (robust to machine load drifting between the two).
//
// Usage: fusion_ab MODEL.onnx THREADS RUNS NAME=d0,d1,... [NAME=...]
// Example: fusion_ab /tmp/tensorport_bench/dit_block.onnx 1 50 x=1,500,512 c=1,512
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "runtime/session.h"

int main(int argc, char** argv) {
  using tp::rt::Session;
  if (argc < 5) {
    std::fprintf(stderr, "usage: fusion_ab MODEL THREADS RUNS NAME=d0,d1,...\n");
    return 2;
  }
  const int threads = std::atoi(argv[2]), runs = std::atoi(argv[3]);
  std::map<std::string, tp::Tensor> inputs;
  std::mt19937 gen(1);
  std::normal_distribution<float> dist;
  for (int i = 4; i < argc; ++i) {
    std::vector<std::string> kv = absl::StrSplit(argv[i], '=');
    tp::Shape shape;
    for (absl::string_view d : absl::StrSplit(kv.at(1), ',')) {
      int64_t v = 0;
      if (!absl::SimpleAtoi(d, &v)) return 2;
      shape.push_back(v);
    }
    tp::Tensor t = tp::Tensor::Uninitialized(tp::DType::kF32, shape);
    for (int64_t j = 0; j < t.num_elements(); ++j) t.mutable_data_as<float>()[j] = dist(gen);
    inputs[kv[0]] = t;
  }
  std::unique_ptr<Session> s[2];
  for (int f = 0; f < 2; ++f) {
    tp::rt::SessionOptions o;
    o.backend = "cpu";
    o.num_threads = threads;
    o.fuse = f == 1;
    auto r = Session::Load(argv[1], o);
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
      return 2;
    }
    s[f] = std::move(*r);
  }
  std::vector<double> ms[2];
  for (int i = 0; i < runs + 1; ++i) {
    for (int f = 0; f < 2; ++f) {
      const auto t0 = std::chrono::steady_clock::now();
      auto out = s[f]->Run(inputs);
      const auto t1 = std::chrono::steady_clock::now();
      if (!out.ok()) {
        std::fprintf(stderr, "%s\n", out.status().ToString().c_str());
        return 1;
      }
      if (i > 0) ms[f].push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
  }
  for (int f = 0; f < 2; ++f) {
    std::sort(ms[f].begin(), ms[f].end());
    std::printf("%s threads=%d min_ms=%.2f median_ms=%.2f (fused chains: %d)\n",
                f ? "fused  " : "unfused", threads, ms[f].front(), ms[f][ms[f].size() / 2],
                f ? static_cast<int>(s[1]->fusion().nodes.empty() ? 0 : s[1]->fusion().matmul_bias +
                                         s[1]->fusion().layer_norm + s[1]->fusion().gelu)
                  : 0);
  }
  return 0;
}
