#include "runtime/rewrite/blocked_layout.h"

#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "runtime/cpu/blocked.h"
#include "runtime/cpu/dnnl_conv.h"
#include "runtime/cpu/phase_deconv.h"
#include "runtime/kernel.h"
#include "runtime/reference/nn/conv_params.h"
#include "runtime/rewrite/activations.h"

namespace tp {
namespace rt {
namespace {

using cpu::kBlock;

const std::set<std::string>& ElementwiseOps() {
  static const std::set<std::string>* ops = new std::set<std::string>{
      "Relu", "LeakyRelu", "Clip", "HardSigmoid", "HardSwish", "Sigmoid", "Tanh", "Erf", "Exp",
      "Neg", "Abs", "Sqrt", "Softplus", "Elu", "Selu", "Celu", "Identity", "Reciprocal"};
  return *ops;
}

bool IsDefault(const onnx::NodeProto& n) {
  return n.domain().empty() || n.domain() == "ai.onnx";
}

class LayoutPass {
 public:
  explicit LayoutPass(WorkGraph* g) : g_(g) {}

  LayoutCounts Run() {
    std::vector<onnx::NodeProto> nodes = std::move(g_->nodes);
    for (onnx::NodeProto& n : nodes) Visit(std::move(n));
    for (const std::string& o : g_->graph_outputs()) NeedPlain(o);
    g_->nodes = std::move(out_);
    return counts_;
  }

 private:
  // The blocked twin of a value, or "" when it has none.
  std::string Blocked(const std::string& v) const {
    auto it = blocked_.find(v);
    return it == blocked_.end() ? "" : it->second;
  }
  // Logical dims of a value (known rank and channel count), or nullopt.
  std::optional<std::vector<int64_t>> Logical(const std::string& v) const {
    const ValueInfo* i = g_->Info(v);
    if (i == nullptr || !i->has_shape || i->dims.size() < 3 || i->dims[1] <= 0) return std::nullopt;
    if (!i->has_dtype || i->dtype != DType::kF32) return std::nullopt;
    return i->dims;
  }

  // Makes the plain value `v` available (a ToPlain of its blocked twin when it exists only
  // blocked).
  void NeedPlain(const std::string& v) {
    if (!only_blocked_.count(v)) return;
    onnx::NodeProto n;
    n.set_op_type("ToPlain");
    n.set_domain(kFusedDomain);
    n.set_name(v + "/ToPlain");
    n.add_input(Blocked(v));
    n.add_output(v);
    out_.push_back(std::move(n));
    only_blocked_.erase(v);
    ++counts_.reorders;
  }

  // Output `v` of a node that now produces it blocked: renames it and records the twin.
  std::string MakeBlocked(const std::string& v) {
    const std::string b = g_->NewName(v + "/blocked");
    blocked_[v] = b;
    only_blocked_.insert(v);
    const ValueInfo* i = g_->Info(v);
    if (i != nullptr && i->has_shape) {
      ValueInfo bi = *i;
      bi.dims = cpu::BlockedShape(i->dims);
      g_->SetInfo(b, bi);
    }
    return b;
  }

  void EmitPlain(onnx::NodeProto n) {
    for (const std::string& in : n.input()) {
      if (!in.empty()) NeedPlain(in);
    }
    out_.push_back(std::move(n));
  }

  void Visit(onnx::NodeProto n) {
    if (IsDefault(n) && (n.op_type() == "Conv" || n.op_type() == "ConvTranspose") &&
        TryConv(n)) {
      return;
    }
    bool any_blocked = false;
    for (const std::string& in : n.input()) any_blocked = any_blocked || !Blocked(in).empty();
    if (any_blocked && TryBlockedOp(n)) {
      ++counts_.blocked_ops;
      return;
    }
    EmitPlain(std::move(n));
  }

  bool TryConv(const onnx::NodeProto& n) {
    const bool transpose = n.op_type() == "ConvTranspose";
    if (n.input_size() < 2 || n.output_size() != 1) return false;
    const Tensor* w = g_->Constant(n.input(1));
    const bool has_bias = n.input_size() > 2 && !n.input(2).empty();
    const Tensor* b = has_bias ? g_->Constant(n.input(2)) : nullptr;
    if (w == nullptr || w->dtype() != DType::kF32 || (has_bias && (b == nullptr || b->dtype() != DType::kF32))) {
      return false;
    }
    std::optional<std::vector<int64_t>> x = Logical(n.input(0));
    if (!x || !g_->Dims(n.input(0))) return false;
    KernelContext ctx(n, g_->opset, std::vector<const Tensor*>{}, 1);
    cpu::DnnlConvConfig c;
    c.transpose = transpose;
    absl::StatusOr<ConvParams> p =
        transpose ? ResolveConvTranspose(ctx, *x, w->shape()) : ResolveConv(ctx, *x, w->shape());
    if (!p.ok()) return false;
    c.p = *p;
    const std::string xb = Blocked(n.input(0));
    c.src = xb.empty() ? cpu::Layout::kPlain : cpu::Layout::kBlocked8;
    c.dst = c.p.c_out % kBlock == 0 ? cpu::Layout::kBlocked8 : cpu::Layout::kPlain;
    auto fast = [&] {
      return transpose ? cpu::PhaseDeconvSupports(c) : cpu::DnnlHasFastConv(c, has_bias);
    };
    if (!fast()) {
      // Perhaps with a plain output (oneDNN's GEMM convolutions take plain layouts).
      c.dst = cpu::Layout::kPlain;
      if (!fast()) return false;
    }
    onnx::NodeProto f = n;
    f.set_domain(kFusedDomain);
    f.set_op_type(transpose ? "FusedConvTranspose" : "FusedConv");
    if (!xb.empty()) f.set_input(0, xb);
    SetAttr(&f, "src_blocked", int64_t{c.src == cpu::Layout::kBlocked8});
    SetAttr(&f, "dst_blocked", int64_t{c.dst == cpu::Layout::kBlocked8});
    SetAttr(&f, "onnx_opset", int64_t{g_->opset});
    if (c.dst == cpu::Layout::kBlocked8) {
      f.set_output(0, MakeBlocked(n.output(0)));
      ++counts_.blocked_convs;
    }
    out_.push_back(std::move(f));
    ++counts_.convs;
    return true;
  }

  // A constant operand of a binary op with a blocked value of logical dims `dims`: itself when it
  // is a scalar, a blocked copy when it is per-channel, "" otherwise.
  std::string BlockedOperand(const std::string& name, const std::vector<int64_t>& dims) {
    const Tensor* t = g_->Constant(name);
    if (t == nullptr || t->dtype() != DType::kF32) return "";
    const int rank = static_cast<int>(dims.size());
    if (t->num_elements() == 1 && t->rank() <= rank) return name;
    if (t->rank() > rank) return "";
    const int offset = rank - t->rank();
    for (int d = 0; d < t->rank(); ++d) {
      if (t->shape()[d] != (offset + d == 1 ? dims[1] : 1)) return "";
    }
    // [C] values as a [1, C/8, 1.., 8] tensor: the same memory order.
    absl::StatusOr<Tensor> c = t->Contiguous();
    if (!c.ok()) return "";
    Shape shape(rank + 1, 1);
    shape[1] = dims[1] / kBlock;
    shape[rank] = kBlock;
    absl::StatusOr<Tensor> r = c->Reshaped(shape);
    if (!r.ok()) return "";
    return g_->AddConstant(name + "/blocked", *r);
  }

  // Emits `n` rewritten for blocked inputs; false (nothing emitted) when it has no blocked form.
  bool TryBlockedOp(const onnx::NodeProto& n) {
    if (n.output_size() < 1 || n.input_size() < 1) return false;
    const std::string& x = n.input(0);
    const std::string xb = Blocked(x);
    std::optional<std::vector<int64_t>> dims = Logical(x);
    if (!dims || dims->size() > 4) return false;
    const std::string out = n.output(0);
    std::optional<cpu::Activation> act = AsActivation(*g_, n);
    const bool elementwise =
        n.output_size() == 1 &&
        ((IsDefault(n) && ElementwiseOps().count(n.op_type()) &&
          (n.op_type() != "Clip" || act.has_value()) &&
          (n.op_type() == "Clip" || n.input_size() == 1)) ||
         act.has_value());
    if (elementwise && !xb.empty()) {
      onnx::NodeProto f = n;
      f.set_input(0, xb);
      f.set_output(0, MakeBlocked(out));
      out_.push_back(std::move(f));
      return true;
    }
    if (!IsDefault(n)) return false;
    const std::string& op = n.op_type();
    if ((op == "Add" || op == "Sub" || op == "Mul" || op == "Div") && n.input_size() == 2) {
      return TryBinary(n);
    }
    if (xb.empty() || n.output_size() != 1) {
      if (op == "Concat") return TryConcat(n);
      return false;
    }
    if (op == "GlobalAveragePool" || op == "GlobalMaxPool") {
      onnx::NodeProto f = Fused(n, "BlockedGlobalPool", {xb});
      SetAttr(&f, "mode", std::string(op == "GlobalMaxPool" ? "max" : "avg"));
      f.set_output(0, MakeBlocked(out));
      out_.push_back(std::move(f));
      return true;
    }
    if ((op == "MaxPool" || op == "AveragePool") && n.output_size() == 1) {
      onnx::NodeProto f = n;
      f.set_domain(kFusedDomain);
      f.set_op_type("BlockedPool");
      f.set_input(0, xb);
      SetAttr(&f, "mode", std::string(op == "MaxPool" ? "max" : "avg"));
      SetAttr(&f, "onnx_opset", int64_t{g_->opset});
      f.set_output(0, MakeBlocked(out));
      out_.push_back(std::move(f));
      return true;
    }
    if (op == "Resize" || op == "Upsample") return TryResize(n, xb);
    if (op == "Concat") return TryConcat(n);
    if (op == "BatchNormalization") return TryBatchNorm(n, xb, *dims);
    return false;
  }

  onnx::NodeProto Fused(const onnx::NodeProto& n, const char* op,
                        const std::vector<std::string>& inputs) {
    onnx::NodeProto f;
    f.set_domain(kFusedDomain);
    f.set_op_type(op);
    f.set_name(n.name());
    for (const std::string& in : inputs) f.add_input(in);
    f.add_output(n.output(0));
    return f;
  }

  bool TryBinary(const onnx::NodeProto& n) {
    const std::string a = n.input(0), b = n.input(1);
    const std::string ab = Blocked(a), bb = Blocked(b);
    std::optional<std::vector<int64_t>> da = Logical(a), db = Logical(b);
    std::string ia, ib;
    if (!ab.empty() && !bb.empty()) {
      if (!da || !db || da->size() != db->size() || (*da)[1] != (*db)[1]) return false;
      for (size_t d = 0; d < da->size(); ++d) {
        if ((*da)[d] != (*db)[d] && (*da)[d] != 1 && (*db)[d] != 1) return false;
      }
      ia = ab;
      ib = bb;
    } else if (!ab.empty()) {
      if (!da) return false;
      ia = ab;
      ib = BlockedOperand(b, *da);
    } else if (!bb.empty()) {
      if (!db) return false;
      ib = bb;
      ia = BlockedOperand(a, *db);
    }
    if (ia.empty() || ib.empty()) return false;
    onnx::NodeProto f = n;
    f.set_input(0, ia);
    f.set_input(1, ib);
    f.set_output(0, MakeBlocked(n.output(0)));
    out_.push_back(std::move(f));
    return true;
  }

  bool TryConcat(const onnx::NodeProto& n) {
    std::optional<std::vector<int64_t>> dims = Logical(n.input(0));
    if (!dims) return false;
    const int64_t rank = static_cast<int64_t>(dims->size());
    int64_t axis = AttrInt(n, "axis", 1);
    if (axis < 0) axis += rank;
    if (axis != 1 || n.output_size() != 1) return false;
    onnx::NodeProto f = n;
    for (int i = 0; i < n.input_size(); ++i) {
      const std::string b = Blocked(n.input(i));
      if (b.empty()) return false;
      f.set_input(i, b);
    }
    SetAttr(&f, "axis", int64_t{1});
    f.set_output(0, MakeBlocked(n.output(0)));
    out_.push_back(std::move(f));
    return true;
  }

  bool TryResize(const onnx::NodeProto& n, const std::string& xb) {
    std::optional<std::vector<int64_t>> in = g_->Dims(n.input(0));
    std::optional<std::vector<int64_t>> out = g_->Dims(n.output(0));
    if (!in || !out || in->size() != out->size() || (*in)[0] != (*out)[0] ||
        (*in)[1] != (*out)[1]) {
      return false;
    }
    const std::string mode = AttrString(n, "mode", "nearest");
    if (mode != "nearest" && mode != "linear") return false;
    if (AttrString(n, "coordinate_transformation_mode", "") == "tf_crop_and_resize") return false;
    // Scales / sizes must be constants (the kernel re-reads them with the node's attributes).
    for (int i = 1; i < n.input_size(); ++i) {
      if (!n.input(i).empty() && g_->Constant(n.input(i)) == nullptr) return false;
    }
    onnx::NodeProto f = n;
    f.set_domain(kFusedDomain);
    f.set_op_type("BlockedResize");
    f.set_input(0, xb);
    SetAttr(&f, "onnx_op", n.op_type());
    SetAttr(&f, "onnx_opset", int64_t{g_->opset});
    f.set_output(0, MakeBlocked(n.output(0)));
    out_.push_back(std::move(f));
    return true;
  }

  bool TryBatchNorm(const onnx::NodeProto& n, const std::string& xb,
                    const std::vector<int64_t>& dims) {
    if (n.input_size() != 5 || AttrInt(n, "training_mode", 0) != 0) return false;
    for (int i = 1; i < n.output_size(); ++i) {
      if (!n.output(i).empty()) return false;
    }
    const int64_t c = dims[1];
    std::vector<std::vector<double>> v;
    for (int i = 1; i < 5; ++i) {
      const Tensor* t = g_->Constant(n.input(i));
      if (t == nullptr || t->dtype() != DType::kF32 || t->num_elements() != c) return false;
      absl::StatusOr<std::vector<double>> d = ToDoubleVector(*t);
      if (!d.ok()) return false;
      v.push_back(*d);
    }
    const double eps = AttrFloat(n, "epsilon", 1e-5f);
    Tensor scale = Tensor::Uninitialized(DType::kF32, {c});
    Tensor shift = Tensor::Uninitialized(DType::kF32, {c});
    for (int64_t m = 0; m < c; ++m) {
      const double s = v[0][m] / std::sqrt(v[3][m] + eps);
      scale.mutable_data_as<float>()[m] = static_cast<float>(s);
      shift.mutable_data_as<float>()[m] = static_cast<float>(v[1][m] - v[2][m] * s);
    }
    onnx::NodeProto f = Fused(n, "BlockedChannelAffine",
                              {xb, g_->AddConstant(n.name() + "/scale", scale),
                               g_->AddConstant(n.name() + "/shift", shift)});
    f.set_output(0, MakeBlocked(n.output(0)));
    out_.push_back(std::move(f));
    return true;
  }

  WorkGraph* g_;
  std::vector<onnx::NodeProto> out_;
  std::map<std::string, std::string> blocked_;  // value -> its blocked twin
  std::set<std::string> only_blocked_;          // values with no plain version yet
  LayoutCounts counts_;
};

}  // namespace

LayoutCounts UseBlockedLayout(WorkGraph* g) { return LayoutPass(g).Run(); }

}  // namespace rt
}  // namespace tp
