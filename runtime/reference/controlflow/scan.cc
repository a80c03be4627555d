// Scan: runs `body` once per element of the scan inputs (slices along their scan axes, forward or
// reverse), carrying N state values; body outputs are N states and K scan-output elements, which
// are stacked along their scan-output axes (appended or prepended). Opset 8's form has a batch
// axis 0 on every input, scans axis 1, and takes optional sequence_lens (outputs padded with
// zeros past each batch entry's length).
#include <algorithm>
#include <cstdint>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "runtime/reference/kernels.h"
#include "runtime/reference/util.h"
#include "runtime/tensor_util.h"

namespace tp {
namespace rt {
namespace ref {
namespace {

// Slice `index` of t along `axis`, the axis removed.
absl::StatusOr<Tensor> Take(const Tensor& t, int axis, int64_t index) {
  ASSIGN_OR_RETURN(Tensor packed, t.Contiguous());
  Tensor slab = SliceAxis(packed, axis, index, 1);
  Shape s = t.shape();
  s.erase(s.begin() + axis);
  return slab.Reshaped(s);
}

// One scan over `states` and `inputs` (already without a batch axis); appends the final states
// and the stacked scan outputs to `outs`. `length`: iterations to run; `padded` (>= length): the
// scan outputs' length along their axis, zero-filled past `length`.
absl::Status ScanOnce(KernelContext& ctx, SubgraphRunner& runner, const onnx::GraphProto& body,
                      std::vector<Value> states, const std::vector<Tensor>& inputs,
                      const std::vector<int>& in_axes, const std::vector<bool>& in_reverse,
                      const std::vector<int64_t>& out_axes, const std::vector<bool>& out_reverse,
                      int64_t length, int64_t padded, const std::string& scope_prefix,
                      std::vector<Tensor>* outs) {
  const int n = static_cast<int>(states.size());
  const int k_out = body.output_size() - n;
  std::vector<std::vector<Tensor>> elems(k_out);
  for (int64_t it = 0; it < length; ++it) {
    std::vector<Value> in = states;
    for (size_t m = 0; m < inputs.size(); ++m) {
      const int64_t idx = in_reverse[m] ? length - 1 - it : it;
      ASSIGN_OR_RETURN(Tensor slice, Take(inputs[m], in_axes[m], idx));
      in.push_back(Value::FromTensor(std::move(slice)));
    }
    ASSIGN_OR_RETURN(std::vector<Value> out,
                     runner.Run(body, std::move(in), absl::StrCat(scope_prefix, "iter ", it)));
    for (int i = 0; i < n; ++i) states[i] = std::move(out[i]);
    for (int k = 0; k < k_out; ++k) {
      if (!out[n + k].is_tensor()) {
        return ctx.Invalid(absl::StrCat("scan output ", k, " is a ", out[n + k].Describe(),
                                        ", expected a tensor"));
      }
      elems[k].push_back(out[n + k].tensor());
    }
  }
  for (int i = 0; i < n; ++i) {
    if (!states[i].is_tensor()) {
      return ctx.Invalid(absl::StrCat("state ", i, " is a ", states[i].Describe()));
    }
    outs->push_back(states[i].tensor());
  }
  for (int k = 0; k < k_out; ++k) {
    std::vector<Tensor>& e = elems[k];
    if (e.empty()) {
      return ctx.Error(absl::StatusCode::kUnimplemented,
                       "scans zero elements: the scan outputs' shape is unknown");
    }
    if (out_reverse[k]) std::reverse(e.begin(), e.end());
    while (static_cast<int64_t>(e.size()) < padded) {
      e.push_back(Tensor::Zeros(e[0].dtype(), e[0].shape()));
    }
    absl::StatusOr<int> axis = NormalizeAxis(out_axes[k], e[0].rank() + 1);
    RETURN_IF_ERROR(ctx.Annotate(axis.status()));
    absl::StatusOr<Tensor> y = StackAlong(e, *axis);
    if (!y.ok()) return ctx.Invalid(absl::StrCat("scan output ", k, ": ", y.status().message()));
    outs->push_back(*std::move(y));
  }
  return absl::OkStatus();
}

std::vector<bool> Flags(const KernelContext& ctx, const char* name, size_t n) {
  std::vector<int64_t> v = ctx.GetInts(name, {});
  std::vector<bool> out(n, false);
  for (size_t i = 0; i < n && i < v.size(); ++i) out[i] = v[i] != 0;
  return out;
}

}  // namespace

absl::Status ScanKernel(KernelContext& ctx) {
  ASSIGN_OR_RETURN(const onnx::GraphProto* body, ctx.GetGraph("body"));
  ASSIGN_OR_RETURN(SubgraphRunner * runner, ctx.subgraphs());
  const int64_t m = ctx.GetInt("num_scan_inputs", -1);
  const bool v8 = ctx.opset() < 9;
  const int first = v8 ? 1 : 0;  // opset 8: input 0 is sequence_lens
  const int n = ctx.num_inputs() - first - static_cast<int>(m);
  if (m < 1 || n < 0) {
    return ctx.Invalid(absl::StrCat("num_scan_inputs = ", m, " with ", ctx.num_inputs(),
                                    " inputs; expected 1..", ctx.num_inputs() - first));
  }
  if (body->input_size() != n + m || body->output_size() < n ||
      ctx.num_outputs() != body->output_size()) {
    return ctx.Invalid(absl::StrCat("body has ", body->input_size(), " inputs and ",
                                    body->output_size(), " outputs; expected ", n + m,
                                    " inputs and the node's ", ctx.num_outputs(), " outputs"));
  }
  const int k_out = body->output_size() - n;
  std::vector<Tensor> states, inputs;
  for (int i = 0; i < n; ++i) {
    ASSIGN_OR_RETURN(const Tensor* t, ctx.Input(first + i));
    states.push_back(*t);
  }
  for (int i = 0; i < m; ++i) {
    ASSIGN_OR_RETURN(const Tensor* t, ctx.Input(first + n + i));
    inputs.push_back(*t);
  }
  std::vector<bool> in_reverse = Flags(ctx, v8 ? "directions" : "scan_input_directions", m);
  std::vector<bool> out_reverse = Flags(ctx, "scan_output_directions", k_out);
  std::vector<int64_t> out_axes = ctx.GetInts("scan_output_axes", {});
  out_axes.resize(k_out, v8 ? 1 : 0);
  std::vector<Tensor> outs;
  if (!v8) {
    std::vector<int64_t> axes = ctx.GetInts("scan_input_axes", {});
    axes.resize(m, 0);
    std::vector<int> in_axes;
    int64_t length = -1;
    for (int i = 0; i < m; ++i) {
      absl::StatusOr<int> a = NormalizeAxis(axes[i], inputs[i].rank());
      RETURN_IF_ERROR(ctx.Annotate(a.status()));
      in_axes.push_back(*a);
      const int64_t len = inputs[i].shape()[*a];
      if (length >= 0 && len != length) {
        return ctx.Invalid(absl::StrCat("scan input ", i, " has ", len, " elements along axis ", *a,
                                        ", scan input 0 has ", length));
      }
      length = len;
    }
    std::vector<Value> sv;
    for (const Tensor& t : states) sv.push_back(Value::FromTensor(t));
    RETURN_IF_ERROR(ScanOnce(ctx, *runner, *body, sv, inputs, in_axes, in_reverse, out_axes,
                             out_reverse, length, length, "", &outs));
  } else {
    // Opset 8: batch axis 0 everywhere, scan axis 1 of the inputs (0 once the batch is taken).
    if (inputs[0].rank() < 2) return ctx.Invalid("scan inputs need [batch, sequence, ...]");
    const int64_t batch = inputs[0].shape()[0], max_len = inputs[0].shape()[1];
    std::vector<int64_t> lens(batch, max_len);
    if (const Tensor* sl = ctx.OptionalInput(0)) {
      ASSIGN_OR_RETURN(lens, ReadInts(*sl));
      if (static_cast<int64_t>(lens.size()) != batch) {
        return ctx.Invalid(
            absl::StrCat("sequence_lens has ", lens.size(), " values for batch ", batch));
      }
    }
    for (int i = 0; i < m; ++i) {
      if (inputs[i].rank() < 2 || inputs[i].shape()[0] != batch ||
          inputs[i].shape()[1] != max_len) {
        return ctx.Invalid(absl::StrCat("scan input ", i, " has shape ",
                                        ShapeToString(inputs[i].shape()), ", expected [", batch,
                                        ", ", max_len, ", ...]"));
      }
    }
    for (const Tensor& t : states) {
      if (t.rank() < 1 || t.shape()[0] != batch) {
        return ctx.Invalid(absl::StrCat("state has shape ", ShapeToString(t.shape()),
                                        ", expected batch ", batch, " first"));
      }
    }
    std::vector<std::vector<Tensor>> per_output(n + k_out);
    for (int64_t b = 0; b < batch; ++b) {
      if (lens[b] < 0 || lens[b] > max_len) {
        return ctx.Invalid(
            absl::StrCat("sequence_lens[", b, "] = ", lens[b], ", expected 0..", max_len));
      }
      std::vector<Value> sv;
      for (const Tensor& t : states) {
        ASSIGN_OR_RETURN(Tensor s, Take(t, 0, b));
        sv.push_back(Value::FromTensor(std::move(s)));
      }
      std::vector<Tensor> in_b;
      for (const Tensor& t : inputs) {
        ASSIGN_OR_RETURN(Tensor s, Take(t, 0, b));
        in_b.push_back(std::move(s));
      }
      std::vector<Tensor> outs_b;
      std::vector<int64_t> axes0(k_out, 0);
      RETURN_IF_ERROR(ScanOnce(ctx, *runner, *body, sv, in_b, std::vector<int>(m, 0), in_reverse,
                               axes0, out_reverse, lens[b], max_len, absl::StrCat("batch ", b, " "),
                               &outs_b));
      for (size_t j = 0; j < outs_b.size(); ++j) per_output[j].push_back(std::move(outs_b[j]));
    }
    for (auto& parts : per_output) {
      absl::StatusOr<Tensor> y = StackAlong(parts, 0);
      RETURN_IF_ERROR(ctx.Annotate(y.status()));
      outs.push_back(*std::move(y));
    }
  }
  for (size_t i = 0; i < outs.size(); ++i) ctx.SetOutput(static_cast<int>(i), std::move(outs[i]));
  return absl::OkStatus();
}

}  // namespace ref
}  // namespace rt
}  // namespace tp
