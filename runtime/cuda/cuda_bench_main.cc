// Times the cuda backend against the cpu backend on the bundled reference models at realistic
// sizes (the time axis of each model's input tiled out: a vocoder on 2 s of 24 kHz audio, the
// SEANet encoder on 2 s, a DiT block over 500 frames, the text encoder over 200 tokens), through
// the runtime Session, and reports the agreement of the two backends' outputs.
//
//   bazel run --define=cuda=1 //runtime/cuda:cuda_bench -- --dumps=$PWD/reference_dumps
//
// Exit status: 0 measured, 1 the backends disagree beyond 1e-3 relative, 2 usage / no GPU / load
// error.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "core/tensor.h"
#include "formats/npy/npz.h"
#include "runtime/cuda/kernel_table.h"
#include "runtime/session.h"

ABSL_FLAG(std::string, dumps, "reference_dumps", "folder of the bundled reference models");
ABSL_FLAG(int, iters, 5, "timed runs per backend (median reported)");
ABSL_FLAG(int, cpu_threads, 2, "threads for the cpu backend");

namespace tp {
namespace rt {
namespace {

struct BenchCase {
  const char* model;
  const char* input;  // the input whose time axis is tiled
  int axis;
  int64_t length;
  const char* what;
};

constexpr BenchCase kCases[] = {
    {"vocoder", "mel", 2, 6000, "vocoder, 2 s of 24 kHz audio"},
    {"encoder", "audio", 2, 48000, "SEANet encoder, 2 s of 24 kHz audio"},
    {"dit", "x", 1, 500, "DiT block, 500 frames"},
    {"text_encoder", "tokens", 1, 200, "text encoder, 200 tokens"},
};

// `t` repeated cyclically along `axis` to `length`.
absl::StatusOr<Tensor> Tile(const Tensor& t, int axis, int64_t length) {
  ASSIGN_OR_RETURN(Tensor packed, t.Contiguous());
  Shape out = packed.shape();
  const int64_t src_len = out[axis];
  if (src_len == 0) return absl::InvalidArgumentError("cannot tile an empty axis");
  out[axis] = length;
  int64_t outer = 1, inner = ElementSize(packed.dtype());
  for (int d = 0; d < axis; ++d) outer *= out[d];
  for (int d = axis + 1; d < packed.rank(); ++d) inner *= out[d];
  Tensor y = Tensor::Zeros(packed.dtype(), out);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < length; ++i) {
      std::memcpy(y.mutable_data() + (o * length + i) * inner,
                  packed.data() + (o * src_len + i % src_len) * inner, inner);
    }
  }
  return y;
}

absl::StatusOr<double> TimeRuns(const Session& s, const std::map<std::string, Tensor>& feed,
                                int iters, std::map<std::string, Tensor>* outputs) {
  ASSIGN_OR_RETURN(*outputs, s.Run(feed));  // warm-up (cuBLAS handle, device buffers)
  std::vector<double> ms;
  for (int i = 0; i < iters; ++i) {
    const auto start = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(*outputs, s.Run(feed));
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

absl::StatusOr<bool> RunCase(const BenchCase& c, const std::string& dumps, int iters,
                             int cpu_threads) {
  const std::string dir = absl::StrCat(dumps, "/", c.model);
  ASSIGN_OR_RETURN(Checkpoint inputs, ReadNpzFile(dir + "/inputs.npz"));
  std::map<std::string, Tensor> feed;
  for (const NamedTensor& t : inputs.tensors) {
    if (t.name == c.input) {
      ASSIGN_OR_RETURN(feed[t.name], Tile(t.tensor, c.axis, c.length));
    } else {
      feed[t.name] = t.tensor;
    }
  }
  SessionOptions cpu_opts;
  cpu_opts.backend = "cpu";
  cpu_opts.num_threads = cpu_threads;
  SessionOptions cuda_opts;
  cuda_opts.backend = "cuda";
  ASSIGN_OR_RETURN(std::unique_ptr<Session> cpu, Session::Load(dir + "/model.onnx", cpu_opts));
  ASSIGN_OR_RETURN(std::unique_ptr<Session> gpu, Session::Load(dir + "/model.onnx", cuda_opts));
  std::map<std::string, Tensor> cpu_out, gpu_out;
  ASSIGN_OR_RETURN(double cpu_ms, TimeRuns(*cpu, feed, iters, &cpu_out));
  ASSIGN_OR_RETURN(double gpu_ms, TimeRuns(*gpu, feed, iters, &gpu_out));
  double max_abs = 0, max_ref = 0;
  for (const auto& [name, want] : cpu_out) {
    auto it = gpu_out.find(name);
    if (it == gpu_out.end() || it->second.shape() != want.shape()) {
      return absl::InternalError(absl::StrCat(c.model, ": output ", name, " differs in shape"));
    }
    ASSIGN_OR_RETURN(std::vector<double> w, ToDoubleVector(want));
    ASSIGN_OR_RETURN(std::vector<double> g, ToDoubleVector(it->second));
    for (size_t i = 0; i < w.size(); ++i) {
      max_abs = std::max(max_abs, std::fabs(w[i] - g[i]));
      max_ref = std::max(max_ref, std::fabs(w[i]));
    }
  }
  const double rel = max_ref > 0 ? max_abs / max_ref : max_abs;
  std::printf("%-14s %-40s cpu(%d thr) %9.2f ms   cuda %9.2f ms   cpu/cuda %6.2fx   "
              "max|diff| %.3g (rel %.3g)\n",
              c.model, c.what, cpu_threads, cpu_ms, gpu_ms, cpu_ms / gpu_ms, max_abs, rel);
  return rel <= 1e-3;
}

}  // namespace
}  // namespace rt
}  // namespace tp

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const absl::Status device = tp::rt::CudaDeviceStatus();
  if (!device.ok()) {
    std::printf("skipped: no visible CUDA GPU (%s)\n", std::string(device.message()).c_str());
    return 2;
  }
  bool all_agree = true;
  for (const tp::rt::BenchCase& c : tp::rt::kCases) {
    absl::StatusOr<bool> agree = tp::rt::RunCase(c, absl::GetFlag(FLAGS_dumps),
                                                 absl::GetFlag(FLAGS_iters),
                                                 absl::GetFlag(FLAGS_cpu_threads));
    if (!agree.ok()) {
      std::printf("%s: %s\n", c.model, std::string(agree.status().message()).c_str());
      return 2;
    }
    all_agree = all_agree && *agree;
  }
  return all_agree ? 0 : 1;
}
