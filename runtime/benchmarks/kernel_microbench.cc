// Per-kernel timings of the cpu backend on the shapes of the benchmark models (best of N runs,
// which is robust to the noise of shared machines). A development aid next to bench_runtime.
//
// Usage: kernel_microbench [threads] [reps] [label substring]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "core/tensor.h"
#include "runtime/cpu/kernel_table.h"
#include "runtime/kernel.h"

namespace tp {
namespace {

Tensor Random(Shape shape) {
  Tensor t = Tensor::Zeros(DType::kF32, shape);
  std::mt19937 gen(1);
  std::normal_distribution<float> dist;
  for (int64_t i = 0; i < t.num_elements(); ++i) t.mutable_data_as<float>()[i] = dist(gen);
  return t;
}

void AddInts(onnx::NodeProto* n, const std::string& name, std::vector<int64_t> v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

// Only kernels whose label contains this substring run (argv[3]; empty: all).
std::string* label_filter = new std::string();

void Time(const std::string& label, const onnx::NodeProto& node, std::vector<const Tensor*> in,
          int threads, int reps) {
  if (label.find(*label_filter) == std::string::npos) return;
  const rt::KernelDef* def = rt::CpuKernelTable().Find("", node.op_type(), 17);
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    rt::KernelContext ctx(node, 17, in, threads);
    auto t0 = std::chrono::steady_clock::now();
    absl::Status s = def->fn(ctx);
    auto t1 = std::chrono::steady_clock::now();
    if (!s.ok()) {
      std::printf("%s: %s\n", label.c_str(), s.ToString().c_str());
      return;
    }
    best = std::min(best, std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::printf("%-40s %8.3f ms\n", label.c_str(), best);
}

void Conv(int threads, int reps, int64_t cin, int64_t cout, int64_t k, int64_t dil, int64_t len) {
  onnx::NodeProto n;
  n.set_op_type("Conv");
  n.add_input("x");
  n.add_input("w");
  n.add_input("b");
  n.add_output("y");
  const int64_t pad = (k * dil - dil) / 2;
  AddInts(&n, "dilations", {dil});
  AddInts(&n, "pads", {pad, pad});
  Tensor x = Random({1, cin, len}), w = Random({cout, cin, k}), b = Random({cout});
  char label[128];
  std::snprintf(label, sizeof(label), "Conv %lld->%lld k%lld d%lld L%lld", (long long)cin,
                (long long)cout, (long long)k, (long long)dil, (long long)len);
  Time(label, n, {&x, &w, &b}, threads, reps);
}

void MatMul(int threads, int reps, Shape a, Shape b) {
  onnx::NodeProto n;
  n.set_op_type("MatMul");
  n.add_input("a");
  n.add_input("b");
  n.add_output("y");
  Tensor ta = Random(a), tb = Random(b);
  Time("MatMul " + ShapeToString(a) + "x" + ShapeToString(b), n, {&ta, &tb}, threads, reps);
}

void Unary(int threads, int reps, const std::string& op, Shape shape, int inputs = 1) {
  onnx::NodeProto n;
  n.set_op_type(op);
  for (int i = 0; i < inputs; ++i) n.add_input("x" + std::to_string(i));
  n.add_output("y");
  Tensor x = Random(shape);
  std::vector<const Tensor*> in(inputs, &x);
  Time(op + " " + ShapeToString(shape), n, in, threads, reps);
}

void ReduceMeanLast(int threads, int reps, Shape shape) {
  onnx::NodeProto n;
  n.set_op_type("ReduceMean");
  n.add_input("x");
  n.add_output("y");
  AddInts(&n, "axes", {-1});
  Tensor x = Random(shape);
  Time("ReduceMean(-1) " + ShapeToString(shape), n, {&x}, threads, reps);
}

// A bidirectional LSTM layer over `steps` frames, batch 1 (the suite's recurrent model).
void Lstm(int threads, int reps, int64_t steps, int64_t input, int64_t hidden) {
  onnx::NodeProto n;
  n.set_op_type("LSTM");
  for (const char* in : {"x", "w", "r", "b"}) n.add_input(in);
  n.add_output("y");
  auto* a = n.add_attribute();
  a->set_name("hidden_size");
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(hidden);
  auto* d = n.add_attribute();
  d->set_name("direction");
  d->set_type(onnx::AttributeProto::STRING);
  d->set_s("bidirectional");
  Tensor x = Random({steps, 1, input}), w = Random({2, 4 * hidden, input}),
         r = Random({2, 4 * hidden, hidden}), b = Random({2, 8 * hidden});
  Time("LSTM bidirectional " + std::to_string(steps) + "x" + std::to_string(input) + " h" +
           std::to_string(hidden),
       n, {&x, &w, &r, &b}, threads, reps);
}

}  // namespace
}  // namespace tp

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  const int reps = argc > 2 ? std::atoi(argv[2]) : 10;
  if (argc > 3) *tp::label_filter = argv[3];
  for (int64_t k : {3, 7, 11}) {
    tp::Conv(threads, reps, 64, 64, k, 3, 1384);
    tp::Conv(threads, reps, 32, 32, k, 3, 11072);
    tp::Conv(threads, reps, 16, 16, k, 3, 22144);
    tp::Conv(threads, reps, 8, 8, k, 3, 44288);
  }
  tp::Conv(threads, reps, 8, 1, 7, 1, 44288);
  tp::MatMul(threads, reps, {1, 500, 512}, {512, 1536});
  tp::MatMul(threads, reps, {1, 500, 2048}, {2048, 512});
  tp::MatMul(threads, reps, {1, 8, 500, 64}, {1, 8, 64, 500});
  tp::MatMul(threads, reps, {1, 8, 500, 500}, {1, 8, 500, 64});
  tp::Unary(threads, reps, "Erf", {1, 500, 2048});
  tp::Unary(threads, reps, "Softmax", {1, 8, 500, 500});
  tp::Unary(threads, reps, "LeakyRelu", {1, 32, 11072});
  tp::Unary(threads, reps, "Add", {1, 32, 11072}, 2);
  tp::Unary(threads, reps, "Transpose", {1, 500, 8, 64});
  // The DiT block's light ops (LayerNorm decomposition, GELU, adaLN modulation).
  tp::Unary(threads, reps, "Add", {1, 500, 512}, 2);
  tp::Unary(threads, reps, "Mul", {1, 500, 2048}, 2);
  tp::Unary(threads, reps, "Sub", {1, 500, 512}, 2);
  tp::Unary(threads, reps, "Erf", {1, 500, 512});
  tp::ReduceMeanLast(threads, reps, {1, 500, 512});
  tp::Lstm(threads, reps, 400, 256, 256);
  tp::Lstm(threads, reps, 400, 512, 256);
  return 0;
}
