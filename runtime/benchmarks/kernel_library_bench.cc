// The measurement behind the cpu backend's kernel-library choice (runtime/cpu/README.md): the
// same convolution or matrix product, at the shapes of the benchmark suite's models, computed by
//   - tensorport's own kernel (the cpu table's Conv / MatMul: im2col + Eigen GEMM on our pool),
//   - oneDNN 2.6 with plain NCHW / NCW tensors (what a drop-in kernel gets: same layouts in and
//     out, weights re-laid-out once ahead of time),
//   - oneDNN with its preferred blocked layouts (activations kept blocked between ops, reorders
//     not timed: the best case of a layout-keeping pipeline),
//   - XNNPACK with NHWC activations (layout conversions not timed, its best case),
// and for GEMMs Eigen, oneDNN's sgemm, oneDNN's matmul primitive with pre-packed weights and
// XNNPACK's fully-connected operator. Best of N runs after a warm-up (robust to the noise of a
// shared machine); one line per shape: the time of each contender in ms.
//
// Usage: kernel_library_bench [threads] [reps] [label substring]
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>
#include <pthreadpool.h>
#include <xnnpack.h>

#include "oneapi/dnnl/dnnl.hpp"
#include "core/tensor.h"
#include "runtime/cpu/gemm.h"
#include "runtime/cpu/kernel_table.h"
#include "runtime/cpu/kernels.h"
#include "runtime/kernel.h"

namespace tp {
namespace {

using dnnl::memory;
using Tag = dnnl::memory::format_tag;

int threads = 1;
int reps = 10;
std::string filter;

std::vector<float> Random(int64_t n, uint32_t seed) {
  std::vector<float> v(n);
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.0f, 0.1f);
  for (float& x : v) x = dist(gen);
  return v;
}

double Best(const std::function<void()>& fn) {
  fn();
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  return best;
}

dnnl::engine& Engine() {
  static dnnl::engine* e = new dnnl::engine(dnnl::engine::kind::cpu, 0);
  return *e;
}

pthreadpool_t Pool() {
  static pthreadpool_t pool = threads > 1 ? pthreadpool_create(threads) : nullptr;
  return pool;
}

struct ConvShape {
  const char* model;
  int64_t cin, cout, group;
  std::vector<int64_t> in;  // spatial dims (1 or 2)
  std::vector<int64_t> k, s, d, pad;
};

std::vector<int64_t> OutDims(const ConvShape& c) {
  std::vector<int64_t> o;
  for (size_t i = 0; i < c.in.size(); ++i) {
    o.push_back((c.in[i] + 2 * c.pad[i] - c.d[i] * (c.k[i] - 1) - 1) / c.s[i] + 1);
  }
  return o;
}

// Our own kernel through the cpu kernel table.
double OwnConv(const ConvShape& c, const std::vector<float>& x, const std::vector<float>& w,
               const std::vector<float>& b) {
  onnx::NodeProto n;
  n.set_op_type("Conv");
  n.add_input("x");
  n.add_input("w");
  n.add_input("b");
  n.add_output("y");
  auto ints = [&](const char* name, std::vector<int64_t> v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  };
  ints("kernel_shape", c.k);
  ints("strides", c.s);
  ints("dilations", c.d);
  std::vector<int64_t> pads = c.pad;
  pads.insert(pads.end(), c.pad.begin(), c.pad.end());
  ints("pads", pads);
  auto* g = n.add_attribute();
  g->set_name("group");
  g->set_type(onnx::AttributeProto::INT);
  g->set_i(c.group);
  Shape xs = {1, c.cin}, ws = {c.cout, c.cin / c.group};
  xs.insert(xs.end(), c.in.begin(), c.in.end());
  ws.insert(ws.end(), c.k.begin(), c.k.end());
  Tensor xt = TensorFromFloats(xs, x), wt = TensorFromFloats(ws, w),
         bt = TensorFromFloats({c.cout}, b);
  const rt::KernelDef* def = rt::CpuKernelTable().Find("", "Conv", 17);
  return Best([&] {
    rt::KernelContext ctx(n, 17, {&xt, &wt, &bt}, threads);
    absl::Status s = def->fn(ctx);
    if (!s.ok()) std::abort();
  });
}

// oneDNN convolution; `blocked`: src/dst in the primitive's preferred layout.
double DnnlConv(const ConvShape& c, const std::vector<float>& x, const std::vector<float>& w,
                const std::vector<float>& b, bool blocked) {
  const bool two_d = c.in.size() == 2;
  const std::vector<int64_t> out = OutDims(c);
  memory::dims src = {1, c.cin}, dst = {1, c.cout}, wei, strides, dil, pl, pr;
  for (size_t i = 0; i < c.in.size(); ++i) {
    src.push_back(c.in[i]);
    dst.push_back(out[i]);
    strides.push_back(c.s[i]);
    dil.push_back(c.d[i] - 1);
    pl.push_back(c.pad[i]);
    const int64_t rem = (out[i] - 1) * c.s[i] + c.d[i] * (c.k[i] - 1) + 1 - c.in[i] - c.pad[i];
    pr.push_back(std::max<int64_t>(rem, 0));
  }
  Tag plain = two_d ? Tag::nchw : Tag::ncw;
  Tag wplain;
  if (c.group > 1) {
    wei = {c.group, c.cout / c.group, c.cin / c.group};
    wplain = two_d ? Tag::goihw : Tag::goiw;
  } else {
    wei = {c.cout, c.cin};
    wplain = two_d ? Tag::oihw : Tag::oiw;
  }
  wei.insert(wei.end(), c.k.begin(), c.k.end());
  auto dt = memory::data_type::f32;
  memory::desc src_md(src, dt, blocked ? Tag::any : plain);
  memory::desc dst_md(dst, dt, blocked ? Tag::any : plain);
  memory::desc wei_md(wei, dt, Tag::any);
  memory::desc bias_md({c.cout}, dt, Tag::x);
  dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference,
                                       dnnl::algorithm::convolution_direct, src_md, wei_md,
                                       bias_md, dst_md, strides, dil, pl, pr);
  dnnl::convolution_forward::primitive_desc pd(desc, Engine());
  dnnl::stream stream(Engine());
  memory src_plain({src, dt, plain}, Engine(), const_cast<float*>(x.data()));
  memory wei_plain({wei, dt, wplain}, Engine(), const_cast<float*>(w.data()));
  memory bias_mem(bias_md, Engine(), const_cast<float*>(b.data()));
  memory src_mem = src_plain, wei_mem(pd.weights_desc(), Engine()), dst_mem(pd.dst_desc(), Engine());
  dnnl::reorder(wei_plain, wei_mem).execute(stream, wei_plain, wei_mem);
  if (pd.src_desc() != src_plain.get_desc()) {
    src_mem = memory(pd.src_desc(), Engine());
    dnnl::reorder(src_plain, src_mem).execute(stream, src_plain, src_mem);
  }
  stream.wait();
  dnnl::convolution_forward prim(pd);
  return Best([&] {
    prim.execute(stream, {{DNNL_ARG_SRC, src_mem},
                          {DNNL_ARG_WEIGHTS, wei_mem},
                          {DNNL_ARG_BIAS, bias_mem},
                          {DNNL_ARG_DST, dst_mem}});
    stream.wait();
  });
}

// XNNPACK NHWC convolution (1-D convs as H = 1); inputs are random, layouts are what XNNPACK
// wants (the conversion is not timed).
double XnnConv(const ConvShape& c, const std::vector<float>& b) {
  const bool two_d = c.in.size() == 2;
  const std::vector<int64_t> out = OutDims(c);
  const int64_t ih = two_d ? c.in[0] : 1, iw = two_d ? c.in[1] : c.in[0];
  const int64_t kh = two_d ? c.k[0] : 1, kw = two_d ? c.k[1] : c.k[0];
  const int64_t sh = two_d ? c.s[0] : 1, sw = two_d ? c.s[1] : c.s[0];
  const int64_t dh = two_d ? c.d[0] : 1, dw = two_d ? c.d[1] : c.d[0];
  const int64_t ph = two_d ? c.pad[0] : 0, pw = two_d ? c.pad[1] : c.pad[0];
  const int64_t oh = two_d ? out[0] : 1, ow = two_d ? out[1] : out[0];
  std::vector<float> x = Random(ih * iw * c.cin, 5), w = Random(c.cout * kh * kw * c.cin / c.group, 6);
  std::vector<float> y(oh * ow * c.cout);
  xnn_operator_t op = nullptr;
  const uint32_t flags = c.group == c.cin && c.group > 1 ? XNN_FLAG_DEPTHWISE_CONVOLUTION : 0;
  if (xnn_create_convolution2d_nhwc_f32(ph, pw, ph, pw, kh, kw, sh, sw, dh, dw, c.group,
                                        c.cin / c.group, c.cout / c.group, c.cin, c.cout,
                                        w.data(), b.data(), -INFINITY, INFINITY, flags,
                                        &op) != xnn_status_success) {
    return -1;
  }
  if (xnn_setup_convolution2d_nhwc_f32(op, 1, ih, iw, x.data(), y.data(), Pool()) !=
      xnn_status_success) {
    return -1;
  }
  const double t = Best([&] { xnn_run_operator(op, Pool()); });
  xnn_delete_operator(op);
  return t;
}

void Conv(const ConvShape& c) {
  std::string label = std::string(c.model) + " conv " + std::to_string(c.cin) + "->" +
                      std::to_string(c.cout) + " g" + std::to_string(c.group) + " k";
  for (int64_t k : c.k) label += std::to_string(k) + ",";
  label += " s" + std::to_string(c.s[0]) + " d" + std::to_string(c.d[0]) + " in";
  for (int64_t i : c.in) label += " " + std::to_string(i);
  if (label.find(filter) == std::string::npos) return;
  int64_t ks = 1, is = 1;
  for (int64_t k : c.k) ks *= k;
  for (int64_t i : c.in) is *= i;
  std::vector<float> x = Random(c.cin * is, 1), w = Random(c.cout * c.cin / c.group * ks, 2),
                     b = Random(c.cout, 3);
  const double own = OwnConv(c, x, w, b);
  const double plain = DnnlConv(c, x, w, b, false);
  const double blocked = DnnlConv(c, x, w, b, true);
  const double xnn = XnnConv(c, b);
  // The same with the padding done beforehand (an input with zero borders, no padding left):
  // oneDNN's direct kernels take only small paddings.
  ConvShape padded = c;
  int64_t pis = 1;
  for (size_t d = 0; d < c.in.size(); ++d) {
    padded.in[d] = c.in[d] + 2 * c.pad[d];
    padded.pad[d] = 0;
    pis *= padded.in[d];
  }
  std::vector<float> xp = Random(c.cin * pis, 1);
  const double prepadded = DnnlConv(padded, xp, w, b, true);
  std::printf("%-58s own %8.3f  dnnl-nchw %8.3f  dnnl-blocked %8.3f  dnnl-blocked-prepadded %8.3f  xnnpack-nhwc %8.3f\n",
              label.c_str(), own, plain, blocked, prepadded, xnn);
  std::fflush(stdout);
}

// ConvTranspose: our col2im kernel against oneDNN's deconvolution (plain and blocked layouts).
void Deconv(const char* model, int64_t cin, int64_t cout, std::vector<int64_t> in,
            std::vector<int64_t> k, std::vector<int64_t> s, std::vector<int64_t> pad) {
  std::string label = std::string(model) + " convtranspose " + std::to_string(cin) + "->" +
                      std::to_string(cout) + " k" + std::to_string(k[0]) + " s" +
                      std::to_string(s[0]) + " in";
  for (int64_t i : in) label += " " + std::to_string(i);
  if (label.find(filter) == std::string::npos) return;
  int64_t ks = 1, is = 1;
  for (int64_t v : k) ks *= v;
  for (int64_t v : in) is *= v;
  std::vector<float> x = Random(cin * is, 1), w = Random(cin * cout * ks, 2), b = Random(cout, 3);
  onnx::NodeProto n;
  n.set_op_type("ConvTranspose");
  n.add_input("x");
  n.add_input("w");
  n.add_input("b");
  n.add_output("y");
  auto ints = [&](const char* name, std::vector<int64_t> v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t e : v) a->add_ints(e);
  };
  ints("kernel_shape", k);
  ints("strides", s);
  std::vector<int64_t> pads = pad;
  pads.insert(pads.end(), pad.begin(), pad.end());
  ints("pads", pads);
  Shape xs = {1, cin}, ws = {cin, cout};
  xs.insert(xs.end(), in.begin(), in.end());
  ws.insert(ws.end(), k.begin(), k.end());
  Tensor xt = TensorFromFloats(xs, x), wt = TensorFromFloats(ws, w), bt = TensorFromFloats({cout}, b);
  auto time_kernel = [&](absl::Status (*fn)(rt::KernelContext&)) {
    return Best([&] {
      rt::KernelContext ctx(n, 17, {&xt, &wt, &bt}, threads);
      if (!fn(ctx).ok()) std::abort();
    });
  };
  const double own = time_kernel(rt::cpu::ConvTransposeCol2imKernel);
  const double dnnl = time_kernel(rt::cpu::ConvTransposeKernel);
  std::printf("%-58s col2im %8.3f  dnnl-plain(+reorders) %8.3f\n", label.c_str(), own, dnnl);
  std::fflush(stdout);
}

void Gemm(const char* model, int64_t m, int64_t k, int64_t n) {
  const std::string label = std::string(model) + " gemm " + std::to_string(m) + "x" +
                            std::to_string(k) + "x" + std::to_string(n);
  if (label.find(filter) == std::string::npos) return;
  std::vector<float> a = Random(m * k, 1), b = Random(k * n, 2), c(m * n);
  const double eigen = Best([&] {
    rt::cpu::Sgemm(false, false, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, c.data(), n,
                   threads);
  });
  const double sgemm = Best([&] {
    dnnl_sgemm('N', 'N', m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, c.data(), n);
  });
  // matmul primitive with weights in its preferred layout.
  auto dt = memory::data_type::f32;
  memory::desc a_md({m, k}, dt, Tag::ab), b_md({k, n}, dt, Tag::any), c_md({m, n}, dt, Tag::ab);
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, c_md), Engine());
  dnnl::stream stream(Engine());
  memory a_mem(a_md, Engine(), a.data()), c_mem(c_md, Engine(), c.data());
  memory b_plain({{k, n}, dt, Tag::ab}, Engine(), b.data()), b_mem(pd.weights_desc(), Engine());
  dnnl::reorder(b_plain, b_mem).execute(stream, b_plain, b_mem);
  stream.wait();
  dnnl::matmul prim(pd);
  const double matmul = Best([&] {
    prim.execute(stream, {{DNNL_ARG_SRC, a_mem}, {DNNL_ARG_WEIGHTS, b_mem}, {DNNL_ARG_DST, c_mem}});
    stream.wait();
  });
  xnn_operator_t op = nullptr;
  double xnn = -1;
  if (xnn_create_fully_connected_nc_f32(k, n, k, n, b.data(), nullptr, -INFINITY, INFINITY,
                                        XNN_FLAG_TRANSPOSE_WEIGHTS, &op) == xnn_status_success &&
      xnn_setup_fully_connected_nc_f32(op, m, a.data(), c.data(), Pool()) == xnn_status_success) {
    xnn = Best([&] { xnn_run_operator(op, Pool()); });
  }
  if (op != nullptr) xnn_delete_operator(op);
  // The same product with B stored transposed ([n, k], as a Linear layer's weight), and as
  // C^T = B^T A^T (the long dimension as the GEMM's rows).
  std::vector<float> bt(k * n), ct(m * n);
  for (int64_t i = 0; i < k; ++i) {
    for (int64_t j = 0; j < n; ++j) bt[j * k + i] = b[i * n + j];
  }
  const double sgemm_nt = Best([&] {
    dnnl_sgemm('N', 'T', m, n, k, 1.0f, a.data(), k, bt.data(), k, 0.0f, c.data(), n);
  });
  const double sgemm_swapped = Best([&] {
    dnnl_sgemm('T', 'T', n, m, k, 1.0f, b.data(), n, a.data(), k, 0.0f, ct.data(), m);
  });
  std::printf("%-58s eigen %8.3f  dnnl-sgemm %8.3f  dnnl-sgemm-NT %8.3f  dnnl-sgemm-swapped %8.3f  dnnl-matmul %8.3f  xnnpack-fc %8.3f\n",
              label.c_str(), eigen, sgemm, sgemm_nt, sgemm_swapped, matmul, xnn);
  std::fflush(stdout);
}

}  // namespace
}  // namespace tp

int main(int argc, char** argv) {
  using tp::ConvShape;
  if (argc > 1) tp::threads = std::atoi(argv[1]);
  if (argc > 2) tp::reps = std::atoi(argv[2]);
  if (argc > 3) tp::filter = argv[3];
  omp_set_num_threads(tp::threads);
  if (xnn_initialize(nullptr) != xnn_status_success) return 1;
  std::printf("threads %d, best of %d\n", tp::threads, tp::reps);
  const std::vector<ConvShape> convs = {
      // mbv3_det at 480x640
      {"mbv3", 3, 16, 1, {480, 640}, {3, 3}, {2, 2}, {1, 1}, {1, 1}},
      {"mbv3", 16, 16, 16, {240, 320}, {3, 3}, {1, 1}, {1, 1}, {1, 1}},
      {"mbv3", 16, 64, 1, {240, 320}, {1, 1}, {1, 1}, {1, 1}, {0, 0}},
      {"mbv3", 64, 64, 64, {240, 320}, {3, 3}, {2, 2}, {1, 1}, {1, 1}},
      {"mbv3", 64, 24, 1, {120, 160}, {1, 1}, {1, 1}, {1, 1}, {0, 0}},
      {"mbv3", 72, 72, 72, {120, 160}, {5, 5}, {2, 2}, {1, 1}, {2, 2}},
      {"mbv3", 240, 240, 240, {30, 40}, {5, 5}, {1, 1}, {1, 1}, {2, 2}},
      {"mbv3", 240, 80, 1, {30, 40}, {1, 1}, {1, 1}, {1, 1}, {0, 0}},
      {"mbv3", 96, 24, 1, {120, 160}, {3, 3}, {1, 1}, {1, 1}, {1, 1}},
      {"mbv3", 24, 96, 1, {120, 160}, {1, 1}, {1, 1}, {1, 1}, {0, 0}},
      // resnet50 at 224
      {"resnet50", 3, 64, 1, {224, 224}, {7, 7}, {2, 2}, {1, 1}, {3, 3}},
      {"resnet50", 64, 64, 1, {56, 56}, {3, 3}, {1, 1}, {1, 1}, {1, 1}},
      {"resnet50", 64, 256, 1, {56, 56}, {1, 1}, {1, 1}, {1, 1}, {0, 0}},
      {"resnet50", 128, 128, 1, {28, 28}, {3, 3}, {1, 1}, {1, 1}, {1, 1}},
      {"resnet50", 1024, 256, 1, {14, 14}, {1, 1}, {1, 1}, {1, 1}, {0, 0}},
      {"resnet50", 256, 256, 1, {14, 14}, {3, 3}, {1, 1}, {1, 1}, {1, 1}},
      {"resnet50", 512, 512, 1, {7, 7}, {3, 3}, {1, 1}, {1, 1}, {1, 1}},
      // hifigan (100 mel frames)
      {"hifigan", 80, 512, 1, {100}, {7}, {1}, {1}, {3}},
      {"hifigan", 256, 256, 1, {800}, {3}, {1}, {3}, {3}},
      {"hifigan", 256, 256, 1, {800}, {11}, {1}, {5}, {25}},
      {"hifigan", 128, 128, 1, {6400}, {7}, {1}, {1}, {3}},
      {"hifigan", 64, 64, 1, {12800}, {11}, {1}, {3}, {15}},
      {"hifigan", 32, 32, 1, {25600}, {3}, {1}, {1}, {1}},
      {"hifigan", 32, 1, 1, {25600}, {7}, {1}, {1}, {3}},
      // wav2vec2 feature extractor and positional conv (1 s of audio)
      {"wav2vec2", 1, 512, 1, {16000}, {10}, {5}, {1}, {0}},
      {"wav2vec2", 512, 512, 1, {3199}, {3}, {2}, {1}, {0}},
      {"wav2vec2", 512, 512, 1, {199}, {2}, {2}, {1}, {0}},
      {"wav2vec2", 768, 768, 16, {49}, {128}, {1}, {1}, {64}},
  };
  for (const ConvShape& c : convs) tp::Conv(c);
  tp::Deconv("mbv3", 24, 24, {120, 160}, {2, 2}, {2, 2}, {0, 0});
  tp::Deconv("mbv3", 24, 1, {240, 320}, {2, 2}, {2, 2}, {0, 0});
  tp::Deconv("hifigan", 512, 256, {100}, {16}, {8}, {4});
  tp::Deconv("hifigan", 256, 128, {800}, {16}, {8}, {4});
  tp::Deconv("hifigan", 128, 64, {6400}, {4}, {2}, {1});
  tp::Deconv("hifigan", 64, 32, {12800}, {4}, {2}, {1});
  tp::Gemm("wav2vec2", 49, 768, 768);
  tp::Gemm("wav2vec2", 49, 768, 3072);
  tp::Gemm("wav2vec2", 49, 3072, 768);
  tp::Gemm("dit", 500, 512, 1536);
  tp::Gemm("dit", 500, 2048, 512);
  tp::Gemm("dit-attn", 500, 64, 500);
  tp::Gemm("dit-attn", 500, 500, 64);
  tp::Gemm("rnn", 400, 256, 2048);
  tp::Gemm("rnn-step", 1, 256, 1024);
  return 0;
}
