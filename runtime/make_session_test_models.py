"""Builds the session tests' models and their NumPy-computed expected outputs.

Usage: /usr/bin/python3 make_session_test_models.py OUT_DIR
Writes mlp.onnx, mlp_expected.pb (a ModelProto-free bundle: a GraphProto whose initializers are
the expected tensors), unsupported.onnx and bad.onnx.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(5)

x = rng.standard_normal((2, 4)).astype(np.float32)
s = rng.standard_normal(4).astype(np.float32)
b = rng.standard_normal(4).astype(np.float32)
s2 = rng.standard_normal(4).astype(np.float32)
h_override = rng.standard_normal((2, 4)).astype(np.float32)

nodes = [
    helper.make_node("Mul", ["x", "s"], ["xs"], name="/scale/Mul"),
    helper.make_node("Add", ["xs", "b"], ["h"], name="/shift/Add"),
    helper.make_node("Relu", ["h"], ["r"], name="/act/Relu"),
    helper.make_node("Constant", [], ["axes"], name="/axes",
                     value=numpy_helper.from_array(np.array([1], np.int64))),
    helper.make_node("ReduceSum", ["r", "axes"], ["y"], name="/sum/ReduceSum", keepdims=0),
    helper.make_node("Tanh", ["h"], ["z"], name="/out/Tanh"),
]
graph = helper.make_graph(
    nodes, "mlp",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch"]),
     helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", 4])],
    [numpy_helper.from_array(s, "s"), numpy_helper.from_array(b, "b")])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
onnx.checker.check_model(model)
onnx.save(model, os.path.join(out, "mlp.onnx"))


def forward(x, s, b, h=None):
    hh = x * s + b if h is None else h
    return np.maximum(hh, 0).sum(axis=1), np.tanh(x * s + b)


y, z = forward(x, s, b)
y2, z2 = forward(x, s2, b)
y3, _ = forward(x, s, b, h_override)
expected = {"x": x, "s2": s2, "h_override": h_override, "y": y, "z": z, "h": x * s + b,
            "y_replaced": y2, "z_replaced": z2, "y_overridden": y3}
bundle = helper.make_graph([], "expected", [], [],
                           [numpy_helper.from_array(v.astype(np.float32), k)
                            for k, v in expected.items()])
with open(os.path.join(out, "mlp_expected.pb"), "wb") as f:
    f.write(bundle.SerializeToString())

# Two nodes without kernels: StringNormalizer (default domain; string tensors) and a
# custom-domain op.
unsupported = helper.make_model(
    helper.make_graph(
        [helper.make_node("StringNormalizer", ["m"], ["d"], name="strnorm_node"),
         helper.make_node("Relu", ["x"], ["r"], name="relu_node"),
         helper.make_node("FancyOp", ["r"], ["f"], name="fancy_node", domain="com.example")],
        "unsupported",
        [helper.make_tensor_value_info("m", TensorProto.STRING, [3]),
         helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 3])],
        [helper.make_tensor_value_info("d", TensorProto.STRING, [3]),
         helper.make_tensor_value_info("f", TensorProto.FLOAT, [3, 3])]),
    opset_imports=[helper.make_opsetid("", 15), helper.make_opsetid("com.example", 1)])
onnx.save(unsupported, os.path.join(out, "unsupported.onnx"))

# The checker rejects this: a node reads a value nothing defines.
bad = helper.make_model(
    helper.make_graph(
        [helper.make_node("Relu", ["nowhere"], ["y"], name="orphan")], "bad",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])]),
    opset_imports=[helper.make_opsetid("", 13)])
onnx.save(bad, os.path.join(out, "bad.onnx"))

# ---- Control flow, sequences, optionals ----
# control.onnx: a Loop (trip count: an int64 scalar graph input `n`) whose body doubles the
# carried value, emits it as a scan output, and in odd iterations adds 1 inside an If:
#   for i in range(n): h = h * 2; if i % 2 == 1: h = h + 1; scans.append(h)
# Outputs: final h, the stacked scans, and a sequence of the scans (SplitToSequence).
one = numpy_helper.from_array(np.array(1.0, np.float32), "one_v")
then_g = helper.make_graph(
    [helper.make_node("Constant", [], ["one"], name="one_c", value=one),
     helper.make_node("Add", ["h2", "one"], ["h_plus"], name="plus_one")],
    "then_g", [], [helper.make_tensor_value_info("h_plus", TensorProto.FLOAT, [2])])
else_g = helper.make_graph(
    [helper.make_node("Identity", ["h2"], ["h_same"], name="same")],
    "else_g", [], [helper.make_tensor_value_info("h_same", TensorProto.FLOAT, [2])])
body = helper.make_graph(
    [helper.make_node("Constant", [], ["two"], name="two_c",
                      value=numpy_helper.from_array(np.array(2.0, np.float32))),
     helper.make_node("Mul", ["h_in", "two"], ["h2"], name="double"),
     helper.make_node("Constant", [], ["m2"], name="m2_c",
                      value=numpy_helper.from_array(np.array(2, np.int64))),
     helper.make_node("Mod", ["i", "m2"], ["odd_i"], name="mod"),
     helper.make_node("Cast", ["odd_i"], ["odd"], name="to_bool", to=TensorProto.BOOL),
     helper.make_node("If", ["odd"], ["h_out"], name="maybe_add", then_branch=then_g,
                      else_branch=else_g),
     helper.make_node("Identity", ["cond_in"], ["cond_out"], name="keep_going"),
     helper.make_node("Identity", ["h_out"], ["scan"], name="emit")],
    "body",
    [helper.make_tensor_value_info("i", TensorProto.INT64, []),
     helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
     helper.make_tensor_value_info("h_in", TensorProto.FLOAT, [2])],
    [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
     helper.make_tensor_value_info("h_out", TensorProto.FLOAT, [2]),
     helper.make_tensor_value_info("scan", TensorProto.FLOAT, [2])])
control = helper.make_model(
    helper.make_graph(
        [helper.make_node("Constant", [], ["yes"], name="yes_c",
                          value=numpy_helper.from_array(np.array(True))),
         helper.make_node("Loop", ["n", "yes", "h0"], ["h_final", "scans"], name="loop",
                          body=body),
         helper.make_node("SplitToSequence", ["scans"], ["scan_seq"], name="split", keepdims=0)],
        "control",
        [helper.make_tensor_value_info("n", TensorProto.INT64, []),
         helper.make_tensor_value_info("h0", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("h_final", TensorProto.FLOAT, [2]),
         helper.make_tensor_value_info("scans", TensorProto.FLOAT, ["n", 2]),
         helper.make_value_info("scan_seq", helper.make_sequence_type_proto(
             helper.make_tensor_type_proto(TensorProto.FLOAT, [2])))]),
    opset_imports=[helper.make_opsetid("", 16)])
onnx.checker.check_model(control)
onnx.save(control, os.path.join(out, "control.onnx"))
h0 = np.array([0.5, -1.25], np.float32)
h = h0.copy()
scans = []
for i in range(3):
    h = h * 2
    if i % 2 == 1:
        h = h + 1
    scans.append(h.copy())
control_expected = {"h0": h0, "h_final": h, "scans": np.stack(scans)}
bundle = helper.make_graph([], "control_expected", [], [],
                           [numpy_helper.from_array(v, k) for k, v in control_expected.items()])
with open(os.path.join(out, "control_expected.pb"), "wb") as f:
    f.write(bundle.SerializeToString())

# optional.onnx: an optional graph input that may be left out, and a sequence input.
#   y = opt + 1 if opt is given else zeros([2]); count = len(seq)
opt_then = helper.make_graph(
    [helper.make_node("OptionalGetElement", ["opt"], ["opt_v"], name="get"),
     helper.make_node("Constant", [], ["one2"], name="one2_c", value=one),
     helper.make_node("Add", ["opt_v", "one2"], ["y_then"], name="inc")],
    "opt_then", [], [helper.make_tensor_value_info("y_then", TensorProto.FLOAT, [2])])
opt_else = helper.make_graph(
    [helper.make_node("Constant", [], ["y_else"], name="zeros",
                      value=numpy_helper.from_array(np.zeros(2, np.float32)))],
    "opt_else", [], [helper.make_tensor_value_info("y_else", TensorProto.FLOAT, [2])])
optional = helper.make_model(
    helper.make_graph(
        [helper.make_node("OptionalHasElement", ["opt"], ["has"], name="has"),
         helper.make_node("If", ["has"], ["y"], name="pick", then_branch=opt_then,
                          else_branch=opt_else),
         helper.make_node("SequenceLength", ["seq"], ["count"], name="count")],
        "optional",
        [helper.make_value_info("opt", helper.make_optional_type_proto(
             helper.make_tensor_type_proto(TensorProto.FLOAT, [2]))),
         helper.make_value_info("seq", helper.make_sequence_type_proto(
             helper.make_tensor_type_proto(TensorProto.FLOAT, None)))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2]),
         helper.make_tensor_value_info("count", TensorProto.INT64, [])]),
    opset_imports=[helper.make_opsetid("", 16)])
onnx.checker.check_model(optional)
onnx.save(optional, os.path.join(out, "optional.onnx"))

# unsupported_in_loop.onnx: a node without a kernel (strings) inside a Loop body is listed with
# its path before anything runs, together with a top-level one.
bad_body = helper.make_graph(
    [helper.make_node("StringNormalizer", ["p_in"], ["p_out"], name="words"),
     helper.make_node("Identity", ["c_in"], ["c_out"], name="keep")],
    "bad_body",
    [helper.make_tensor_value_info("it", TensorProto.INT64, []),
     helper.make_tensor_value_info("c_in", TensorProto.BOOL, []),
     helper.make_tensor_value_info("p_in", TensorProto.STRING, [2])],
    [helper.make_tensor_value_info("c_out", TensorProto.BOOL, []),
     helper.make_tensor_value_info("p_out", TensorProto.STRING, [2])])
unsupported_loop = helper.make_model(
    helper.make_graph(
        [helper.make_node("Loop", ["n", "", "p"], ["q"], name="outer_loop", body=bad_body),
         helper.make_node("FancyOp", ["q"], ["r"], name="fancy", domain="com.example")],
        "unsupported_loop",
        [helper.make_tensor_value_info("n", TensorProto.INT64, []),
         helper.make_tensor_value_info("p", TensorProto.STRING, [2])],
        [helper.make_tensor_value_info("r", TensorProto.STRING, [2])]),
    opset_imports=[helper.make_opsetid("", 16), helper.make_opsetid("com.example", 1)])
onnx.save(unsupported_loop, os.path.join(out, "unsupported_in_loop.onnx"))
