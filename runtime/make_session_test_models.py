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

# Two nodes without kernels: Bernoulli (default domain; random outputs) and a custom-domain op.
unsupported = helper.make_model(
    helper.make_graph(
        [helper.make_node("Bernoulli", ["m"], ["d"], name="bernoulli_node"),
         helper.make_node("Relu", ["d"], ["r"], name="relu_node"),
         helper.make_node("FancyOp", ["r"], ["f"], name="fancy_node", domain="com.example")],
        "unsupported",
        [helper.make_tensor_value_info("m", TensorProto.FLOAT, [3, 3])],
        [helper.make_tensor_value_info("f", TensorProto.FLOAT, [3, 3])]),
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
