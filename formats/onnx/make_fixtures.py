"""ONNX fixtures for onnx_test, with expected values read back by the onnx package's
numpy_helper.to_array (the independent reference).

Outputs in OUT_DIR:
  tiny.onnx                 torch.onnx.export (opset 16) of a small vocoder-like module
  typed.onnx                onnx.helper: typed fields (float_data, int32_data holding F16/BF16 bit
                            patterns and small ints, int64_data, double_data), raw_data, a scalar
                            and an empty tensor, symbolic input dims, metadata_props
  external.onnx + external_weights.bin   initializers in an external data file
  escape_dotdot.onnx, escape_absolute.onnx, escape_symlink.onnx   locations to refuse (the test
                            makes the symlink "link.bin" itself)
  bad_*.onnx + bad_cases.txt   invalid variants: file, status code, message part
  *_expected.json           {"metadata": [[k, v]], "tensors": [{"name","dtype","shape","values"}]}
Usage: /usr/bin/python3 make_fixtures.py OUT_DIR
"""
import json
import os
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

OUT = sys.argv[1]
OUR_DTYPE = {TensorProto.FLOAT: "f32", TensorProto.FLOAT16: "f16", TensorProto.BFLOAT16: "bf16",
             TensorProto.DOUBLE: "f64", TensorProto.INT8: "i8", TensorProto.INT16: "i16",
             TensorProto.INT32: "i32", TensorProto.INT64: "i64", TensorProto.UINT8: "u8",
             TensorProto.BOOL: "bool"}


def expected_for(path, extra_meta=()):
    model = onnx.load(path, load_external_data=True)
    tensors = []
    for init in model.graph.initializer:
        arr = numpy_helper.to_array(init, base_dir=os.path.dirname(path))
        if init.data_type == TensorProto.BFLOAT16 and arr.dtype == np.uint16:
            arr = torch.from_numpy(arr.view(np.int16)).view(torch.bfloat16).to(torch.float64).numpy()
        tensors.append({"name": init.name, "dtype": OUR_DTYPE[init.data_type], "shape": list(init.dims),
                        "values": [float(v) for v in np.asarray(arr, dtype=np.float64).ravel()]})
    return {"tensors": tensors, "metadata": [list(m) for m in extra_meta]}


def dump(name, obj):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(obj, f)


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.pre = torch.nn.utils.weight_norm(torch.nn.Conv1d(4, 6, 3, padding=1))
        self.up = torch.nn.ConvTranspose1d(6, 3, 4, stride=2, padding=1)
        self.norm = torch.nn.GroupNorm(1, 3)
        self.post = torch.nn.Conv1d(3, 1, 5, padding=2)

    def forward(self, mel):
        x = torch.nn.functional.leaky_relu(self.pre(mel), 0.1)
        x = self.norm(self.up(x))
        return torch.tanh(self.post(x))


def tiny():
    torch.manual_seed(0)
    model = Tiny().eval()
    path = os.path.join(OUT, "tiny.onnx")
    torch.onnx.export(model, (torch.randn(1, 4, 10),), path, opset_version=16,
                      input_names=["mel"], output_names=["audio"],
                      dynamic_axes={"mel": {2: "frames"}, "audio": {2: "samples"}})
    m = onnx.load(path)
    meta = [["onnx.producer_name", m.producer_name], ["onnx.opset.ai.onnx", "16"]]
    inputs = [i for i in m.graph.input if i.name not in {t.name for t in m.graph.initializer}]
    assert [i.name for i in inputs] == ["mel"]
    meta.append(["onnx.input.0", "mel:f32[1,4,frames]"])
    meta.append(["onnx.output.0", "audio:f32[1,1,samples]"])
    dump("tiny_expected.json", expected_for(path, meta))


def graph_with(inits, name="g", inputs=None):
    inputs = inputs or [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, None])]
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3, None])
    node = helper.make_node("Identity", ["x"], ["y"])
    return helper.make_graph([node], name, inputs, [out], initializer=inits)


def save(model, name):
    onnx.save(model, os.path.join(OUT, name))


def model_of(graph, **kw):
    m = helper.make_model(graph, producer_name="tensorport-fixtures", opset_imports=[helper.make_opsetid("", 17)], **kw)
    m.ir_version = 8
    return m


def bits_in_int32(name, data_type, dims, bits):
    """A TensorProto whose int32_data holds 16-bit patterns, one per value, as the spec says."""
    t = TensorProto()
    t.name = name
    t.data_type = data_type
    t.dims.extend(dims)
    t.int32_data.extend(int(b) for b in np.asarray(bits, dtype=np.uint16).ravel())
    return t


def typed():
    rng = np.random.default_rng(1)
    f32 = rng.standard_normal((2, 3)).astype(np.float32)
    f16 = rng.standard_normal((5,)).astype(np.float16)
    bsrc = rng.standard_normal((4,)).astype(np.float32)
    bbits = torch.from_numpy(bsrc).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
    inits = [
        helper.make_tensor("f32_typed", TensorProto.FLOAT, [2, 3], f32.ravel().tolist()),
        helper.make_tensor("f32_raw", TensorProto.FLOAT, [2, 3], f32.tobytes(), raw=True),
        bits_in_int32("f16_int32_data", TensorProto.FLOAT16, [5], f16.view(np.uint16)),
        helper.make_tensor("f16_raw", TensorProto.FLOAT16, [5], f16.tobytes(), raw=True),
        bits_in_int32("bf16_int32_data", TensorProto.BFLOAT16, [2, 2], bbits),
        helper.make_tensor("f64", TensorProto.DOUBLE, [2], [1.0 / 3.0, -7.5]),
        helper.make_tensor("i64", TensorProto.INT64, [3], [-(2**40), 0, 2**40]),
        helper.make_tensor("i32", TensorProto.INT32, [2], [-70000, 70000]),
        helper.make_tensor("i16", TensorProto.INT16, [2], [-300, 300]),
        helper.make_tensor("i8", TensorProto.INT8, [3], [-128, 0, 127]),
        helper.make_tensor("u8", TensorProto.UINT8, [2], [0, 255]),
        helper.make_tensor("mask", TensorProto.BOOL, [3], [True, False, True]),
        helper.make_tensor("scalar", TensorProto.FLOAT, [], [2.5]),
        helper.make_tensor("empty", TensorProto.FLOAT, [0, 4], []),
    ]
    m = model_of(graph_with(inits, "typed_graph"))
    helper.set_model_props(m, {"sample_rate": "24000"})
    save(m, "typed.onnx")
    meta = [["onnx.ir_version", "8"], ["onnx.producer_name", "tensorport-fixtures"],
            ["onnx.graph_name", "typed_graph"], ["onnx.opset.ai.onnx", "17"],
            ["onnx.input.0", "x:f32[batch,3,?]"], ["onnx.output.0", "y:f32[batch,3,?]"],
            ["onnx.meta.sample_rate", "24000"]]
    dump("typed_expected.json", expected_for(os.path.join(OUT, "typed.onnx"), meta))


def external_init(name, arr, location, offset, length=None):
    t = TensorProto()
    t.name = name
    t.data_type = TensorProto.FLOAT
    t.dims.extend(arr.shape)
    t.data_location = TensorProto.EXTERNAL
    for k, v in [("location", location), ("offset", str(offset))] + ([("length", str(length))] if length is not None else []):
        e = t.external_data.add()
        e.key, e.value = k, v
    return t


def external():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal((5,)).astype(np.float32)
    blob = b"\0" * 16 + a.tobytes() + b"\0" * 8 + b.tobytes()
    with open(os.path.join(OUT, "external_weights.bin"), "wb") as f:
        f.write(blob)
    inits = [external_init("a", a, "external_weights.bin", 16, a.nbytes),
             external_init("b", b, "external_weights.bin", 16 + a.nbytes + 8)]
    save(model_of(graph_with(inits)), "external.onnx")
    dump("external_expected.json", expected_for(os.path.join(OUT, "external.onnx")))
    one = np.ones((2,), np.float32)
    save(model_of(graph_with([external_init("w", one, "../external_weights.bin", 0)])), "escape_dotdot.onnx")
    save(model_of(graph_with([external_init("w", one, "/etc/hostname", 0)])), "escape_absolute.onnx")
    save(model_of(graph_with([external_init("w", one, "link.bin", 0)])), "escape_symlink.onnx")
    save(model_of(graph_with([external_init("w", one, "external_weights.bin", 10**6)])), "bad_external_offset.onnx")
    save(model_of(graph_with([external_init("w", one, "external_weights.bin", 0, 12)])), "bad_external_length.onnx")
    save(model_of(graph_with([external_init("w", one, "missing.bin", 0)])), "bad_external_missing.onnx")


def bad():
    cases = [
        ("escape_dotdot.onnx", "INVALID_ARGUMENT", 'external data location "../external_weights.bin" escapes the model\'s folder'),
        ("escape_absolute.onnx", "INVALID_ARGUMENT", 'external data location "/etc/hostname" is absolute'),
        ("bad_external_offset.onnx", "OUT_OF_RANGE", 'initializer "w": external data [1000000, +8) runs past the end'),
        ("bad_external_length.onnx", "INVALID_ARGUMENT", "external data length 12, f32 [2] needs 8"),
        ("bad_external_missing.onnx", "NOT_FOUND", 'external data file "missing.bin" not found'),
    ]

    def add(name, model, code, part):
        save(model, name)
        cases.append((name, code, part))

    raw = helper.make_tensor("w", TensorProto.FLOAT, [3], np.ones(3, np.float32).tobytes(), raw=True)
    raw.raw_data = np.ones(2, np.float32).tobytes()
    add("bad_raw_size.onnx", model_of(graph_with([raw])), "INVALID_ARGUMENT",
        'initializer "w": raw_data holds 8 bytes, f32 [3] needs 12')
    typed_short = helper.make_tensor("w", TensorProto.FLOAT, [1], [1.0])
    typed_short.dims[:] = [1000000000000]
    add("bad_typed_count.onnx", model_of(graph_with([typed_short])), "INVALID_ARGUMENT",
        "float_data holds 1 values, shape [1000000000000] needs 1000000000000")
    s = helper.make_tensor("names", TensorProto.STRING, [1], [b"x"])
    add("bad_string.onnx", model_of(graph_with([s])), "UNIMPLEMENTED", 'initializer "names": element type string (8) is not supported')
    neg = helper.make_tensor("w", TensorProto.FLOAT, [1], [1.0])
    neg.dims[:] = [-1]
    add("bad_negative_dim.onnx", model_of(graph_with([neg])), "INVALID_ARGUMENT", "dims hold -1")
    i8 = helper.make_tensor("w", TensorProto.INT8, [1], [300])
    add("bad_int8_range.onnx", model_of(graph_with([i8])), "INVALID_ARGUMENT", "item 0 holds 300, expected -128..127")
    dup = [helper.make_tensor("w", TensorProto.FLOAT, [1], [1.0])] * 2
    add("bad_duplicate.onnx", model_of(graph_with(dup)), "INVALID_ARGUMENT", 'initializer "w" appears twice')
    with open(os.path.join(OUT, "bad_garbage.onnx"), "wb") as f:
        f.write(b"\x08\x07\x12\xff\xff\xff\x0fabc")
    cases.append(("bad_garbage.onnx", "INVALID_ARGUMENT", "not a valid ONNX ModelProto"))
    with open(os.path.join(OUT, "bad_cases.txt"), "w") as f:
        for c in cases:
            f.write("\t".join(c) + "\n")


def main():
    tiny()
    typed()
    external()
    bad()


if __name__ == "__main__":
    main()
