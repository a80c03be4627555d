"""Extra conformance cases for the opset-dependent behaviour that PyTorch 1.13 exports rely on.

ONNX's own node tests mostly cover each op at its newest opset; these cases pin the older
semantics (Softmax flattening before opset 13, axes/split/pads as attributes vs inputs, Clip's
attributes) and PyTorch's own interpolation/normalization results. Expected values come from
NumPy or PyTorch, never from the runtime. Layout matches ../shared/onnx-backend-tests:
CASE/model.onnx, CASE/test_data_set_0/input_0.pb, output_<i>.pb.

Usage: /usr/bin/python3 onnx_conformance_opset_cases.py OUT_DIR
The case names and output counts must match OPSET_CASES in tests/BUILD.bazel.
"""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

OUT = sys.argv[1]
rng = np.random.default_rng(17)
CASES = {}


def case(name, opset, nodes, x, outputs, inits=(), symbolic_outputs=False):
    """One graph input x; outputs is a list of expected arrays (graph outputs y0, y1, ...).

    symbolic_outputs declares output dims by name only (ONNX 1.12's STFT shape inference ignores
    `onesided` and would contradict the true shape)."""
    out_names = [f"y{i}" for i in range(len(outputs))]
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[np.dtype(x.dtype)], x.shape)],
        [helper.make_tensor_value_info(n, onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[np.dtype(o.dtype)],
                                       [f"d{i}" for i in range(o.ndim)] if symbolic_outputs
                                       else o.shape)
         for n, o in zip(out_names, outputs)],
        [numpy_helper.from_array(v, k) for k, v in inits])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    d = os.path.join(OUT, name, "test_data_set_0")
    os.makedirs(d, exist_ok=True)
    onnx.save(model, os.path.join(OUT, name, "model.onnx"))
    with open(os.path.join(d, "input_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(x, "x").SerializeToString())
    for i, o in enumerate(outputs):
        with open(os.path.join(d, f"output_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(o, out_names[i]).SerializeToString())
    CASES[name] = len(outputs)


def node(op, inputs, outputs=("y0",), **attrs):
    return helper.make_node(op, list(inputs), list(outputs), **attrs)


def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def softmax(a, axis):
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


x = f32(2, 3, 4)
case("softmax_opset11_axis1", 11, [node("Softmax", ["x"], axis=1)], x,
     [softmax(x.reshape(2, 12), 1).reshape(2, 3, 4)])
case("softmax_opset13_axis1", 13, [node("Softmax", ["x"], axis=1)], x, [softmax(x, 1)])
case("logsoftmax_opset11_default", 11, [node("LogSoftmax", ["x"])], x,
     [np.log(softmax(x.reshape(2, 12), 1)).reshape(2, 3, 4)])
case("reducesum_opset11_axes_attr", 11, [node("ReduceSum", ["x"], axes=[1])], x,
     [x.sum(axis=1, keepdims=True)])
case("reducesum_opset13_axes_input", 13, [node("ReduceSum", ["x", "axes"], keepdims=0)], x,
     [x.sum(axis=-1)], inits=[("axes", np.array([-1], np.int64))])
case("reducesum_opset13_noop_empty_axes", 13,
     [node("ReduceSum", ["x"], noop_with_empty_axes=1)], x, [x])
case("reducemean_opset17_attr", 17, [node("ReduceMean", ["x"], axes=[-2, -1], keepdims=1)], x,
     [x.mean(axis=(1, 2), keepdims=True)])
case("reducemax_opset13_keepdims0", 13, [node("ReduceMax", ["x"], axes=[0], keepdims=0)], x,
     [x.max(axis=0)])
case("reducel2_opset13", 13, [node("ReduceL2", ["x"], axes=[2])], x,
     [np.sqrt((x.astype(np.float64) ** 2).sum(axis=2, keepdims=True)).astype(np.float32)])
case("split_opset11_attr", 11, [node("Split", ["x"], ["y0", "y1"], axis=1, split=[1, 2])], x,
     [x[:, :1], x[:, 1:]])
case("split_opset13_input", 13, [node("Split", ["x", "s"], ["y0", "y1"], axis=2)], x,
     [x[:, :, :3], x[:, :, 3:]], inits=[("s", np.array([3, 1], np.int64))])
case("split_opset13_equal", 13, [node("Split", ["x"], ["y0", "y1", "y2"], axis=1)], x,
     [x[:, 0:1], x[:, 1:2], x[:, 2:3]])
x1 = f32(3, 1, 4, 1)
case("squeeze_opset11_attr", 11, [node("Squeeze", ["x"], axes=[-1])], x1, [x1[..., 0]])
case("squeeze_opset13_input", 13, [node("Squeeze", ["x", "a"])], x1, [x1[:, 0, :, 0]],
     inits=[("a", np.array([1, 3], np.int64))])
case("squeeze_opset13_all", 13, [node("Squeeze", ["x"])], x1, [x1.reshape(3, 4)])
case("unsqueeze_opset11_attr", 11, [node("Unsqueeze", ["x"], axes=[0, -1])], x,
     [x[None, ..., None]])
case("unsqueeze_opset13_input", 13, [node("Unsqueeze", ["x", "a"])], x, [x[:, None]],
     inits=[("a", np.array([1], np.int64))])
case("clip_opset6_attrs", 6, [node("Clip", ["x"], min=-0.5, max=0.25)], x,
     [np.clip(x, -0.5, 0.25)])
case("clip_opset13_inputs", 13, [node("Clip", ["x", "lo", "hi"])], x, [np.clip(x, -0.5, 0.25)],
     inits=[("lo", np.array(-0.5, np.float32)), ("hi", np.array(0.25, np.float32))])
case("clip_opset13_max_only", 13, [node("Clip", ["x", "", "hi"])], x, [np.minimum(x, 0.1)],
     inits=[("hi", np.array(0.1, np.float32))])
xp = f32(1, 2, 5)
case("pad_opset2_reflect_attr", 2, [node("Pad", ["x"], mode="reflect", pads=[0, 0, 3, 0, 0, 2])],
     xp, [np.pad(xp, [(0, 0), (0, 0), (3, 2)], mode="reflect")])
case("pad_opset13_reflect", 13, [node("Pad", ["x", "p"], mode="reflect")], xp,
     [np.pad(xp, [(0, 0), (0, 0), (4, 4)], mode="reflect")],
     inits=[("p", np.array([0, 0, 4, 0, 0, 4], np.int64))])
case("pad_opset13_edge", 13, [node("Pad", ["x", "p"], mode="edge")], xp,
     [np.pad(xp, [(0, 0), (1, 0), (2, 3)], mode="edge")],
     inits=[("p", np.array([0, 1, 2, 0, 0, 3], np.int64))])
case("pad_opset13_constant_value", 13, [node("Pad", ["x", "p", "v"])], xp,
     [np.pad(xp, [(0, 0), (0, 0), (2, 1)], constant_values=1.5)],
     inits=[("p", np.array([0, 0, 2, 0, 0, 1], np.int64)), ("v", np.array(1.5, np.float32))])
case("pad_opset13_negative", 13, [node("Pad", ["x", "p"])], xp, [xp[:, :, 1:4]],
     inits=[("p", np.array([0, 0, -1, 0, 0, -1], np.int64))])
xs = f32(4, 6)
case("slice_negative_step", 13, [node("Slice", ["x", "s", "e", "a", "st"])], xs,
     [xs[:, ::-2]], inits=[("s", np.array([-1], np.int64)),
                          ("e", np.array([-(2 ** 62)], np.int64)),
                          ("a", np.array([1], np.int64)), ("st", np.array([-2], np.int64))])
case("slice_clamped", 13, [node("Slice", ["x", "s", "e"])], xs, [xs[1:, 2:]],
     inits=[("s", np.array([1, 2], np.int64)), ("e", np.array([100, 2 ** 62], np.int64))])
case("slice_opset9_attrs", 9, [node("Slice", ["x"], starts=[0, -3], ends=[2, 1000], axes=[0, 1])],
     xs, [xs[0:2, -3:]])

# PyTorch's own interpolation and normalization results.
xr = f32(1, 2, 5)
t = torch.from_numpy(xr)
case("resize_linear_1d_sizes_pytorch_half_pixel", 13,
     [node("Resize", ["x", "", "", "sz"], mode="linear",
           coordinate_transformation_mode="pytorch_half_pixel")], xr,
     [F.interpolate(t, size=11, mode="linear", align_corners=False).numpy()],
     inits=[("sz", np.array([1, 2, 11], np.int64))])
case("resize_linear_1d_align_corners", 13,
     [node("Resize", ["x", "", "", "sz"], mode="linear",
           coordinate_transformation_mode="align_corners")], xr,
     [F.interpolate(t, size=9, mode="linear", align_corners=True).numpy()],
     inits=[("sz", np.array([1, 2, 9], np.int64))])
case("resize_nearest_1d_scales_torch", 13,
     [node("Resize", ["x", "", "sc"], mode="nearest", coordinate_transformation_mode="asymmetric",
           nearest_mode="floor")], xr,
     [F.interpolate(t, scale_factor=3, mode="nearest").numpy()],
     inits=[("sc", np.array([1, 1, 3], np.float32))])
x2 = f32(1, 2, 3, 4)
case("resize_bilinear_2d_half_pixel", 13,
     [node("Resize", ["x", "", "", "sz"], mode="linear",
           coordinate_transformation_mode="half_pixel")], x2,
     [F.interpolate(torch.from_numpy(x2), size=(7, 9), mode="bilinear",
                    align_corners=False).numpy()],
     inits=[("sz", np.array([1, 2, 7, 9], np.int64))])
case("resize_nearest_2d_downsample_torch", 13,
     [node("Resize", ["x", "", "", "sz"], mode="nearest",
           coordinate_transformation_mode="asymmetric", nearest_mode="floor")], x2,
     [F.interpolate(torch.from_numpy(x2), size=(2, 3), mode="nearest").numpy()],
     inits=[("sz", np.array([1, 2, 2, 3], np.int64))])
xl = f32(2, 5, 6)
g, b = f32(6), f32(6)
case("layernorm_opset17_last_axis", 17, [node("LayerNormalization", ["x", "g", "b"], epsilon=1e-5)],
     xl, [F.layer_norm(torch.from_numpy(xl), (6,), torch.from_numpy(g), torch.from_numpy(b),
                       1e-5).numpy()], inits=[("g", g), ("b", b)])
g2, b2 = f32(5, 6), f32(5, 6)
case("layernorm_opset17_axis1", 17,
     [node("LayerNormalization", ["x", "g", "b"], axis=1, epsilon=1e-5)], xl,
     [F.layer_norm(torch.from_numpy(xl), (5, 6), torch.from_numpy(g2), torch.from_numpy(b2),
                   1e-5).numpy()], inits=[("g", g2), ("b", b2)])
gi, bi = f32(5), f32(5)
case("instancenorm_torch", 15, [node("InstanceNormalization", ["x", "g", "b"], epsilon=1e-5)], xl,
     [F.instance_norm(torch.from_numpy(xl), weight=torch.from_numpy(gi),
                      bias=torch.from_numpy(bi), eps=1e-5).numpy()],
     inits=[("g", gi), ("b", bi)])
mean, var = f32(5), np.abs(f32(5)) + 0.1
case("batchnorm_inference_torch", 15,
     [node("BatchNormalization", ["x", "g", "b", "m", "v"], epsilon=1e-5)], xl,
     [F.batch_norm(torch.from_numpy(xl), torch.from_numpy(mean), torch.from_numpy(var),
                   torch.from_numpy(gi), torch.from_numpy(bi), False, 0.1, 1e-5).numpy()],
     inits=[("g", gi), ("b", bi), ("m", mean), ("v", var)])
case("gelu_as_erf_torch", 13,
     [node("Div", ["x", "sq2"], ["d"]), node("Erf", ["d"], ["e"]), node("Add", ["e", "one"], ["p"]),
      node("Mul", ["x", "p"], ["m"]), node("Mul", ["m", "half"])], xl,
     [F.gelu(torch.from_numpy(xl)).numpy()],
     inits=[("sq2", np.array(np.sqrt(2), np.float32)), ("one", np.array(1, np.float32)),
            ("half", np.array(0.5, np.float32))])
case("cumsum_exclusive_reverse", 14, [node("CumSum", ["x", "ax"], exclusive=1, reverse=1)], xs,
     [(np.flip(np.cumsum(np.flip(xs, 1), 1), 1) - xs).astype(np.float32)],
     inits=[("ax", np.array(1, np.int64))])
case("gather_negative_indices", 13, [node("Gather", ["x", "i"], axis=1)], xs,
     [xs[:, [-1, 0, 2, -6]]], inits=[("i", np.array([-1, 0, 2, -6], np.int64))])
case("gather_elements_axis0", 13, [node("GatherElements", ["x", "i"], axis=0)], xs,
     [np.take_along_axis(xs, np.array([[3, 0, 1, -1, 2, 0]] * 2, np.int64) % 4, 0)],
     inits=[("i", np.array([[3, 0, 1, -1, 2, 0]] * 2, np.int64))])
case("expand_bidirectional", 13, [node("Expand", ["x", "s"])], f32(3, 1)[:, :] * 0 + xs[:3, :1],
     [np.broadcast_to(xs[:3, :1], (2, 3, 4)).copy()], inits=[("s", np.array([2, 1, 4], np.int64))])
case("tile_2d", 13, [node("Tile", ["x", "r"])], xs, [np.tile(xs, (2, 3))],
     inits=[("r", np.array([2, 3], np.int64))])
case("trilu_lower_k_minus1", 14, [node("Trilu", ["x", "k"], upper=0)], xs, [np.tril(xs, -1)],
     inits=[("k", np.array(-1, np.int64))])
case("where_broadcast", 13, [node("Where", ["c", "x", "z"])], xs,
     [np.where(np.array([True, False, True, True, False, False]), xs, np.float32(-2))],
     inits=[("c", np.array([True, False, True, True, False, False])),
            ("z", np.array(-2, np.float32))])
case("cast_f32_to_i64_truncates", 13, [node("Cast", ["x"], to=TensorProto.INT64)], xs * 3,
     [(xs * 3).astype(np.int64)])
case("cast_f32_to_f16", 13, [node("Cast", ["x"], to=TensorProto.FLOAT16)], xs * 1000,
     [(xs * 1000).astype(np.float16)])
case("reshape_zero_and_minus1", 13, [node("Reshape", ["x", "s"])], x, [x.reshape(2, 3, 2, 2)],
     inits=[("s", np.array([0, 0, -1, 2], np.int64))])
case("transpose_perm", 13, [node("Transpose", ["x"], perm=[2, 0, 1])], x, [x.transpose(2, 0, 1)])
case("flatten_negative_axis", 13, [node("Flatten", ["x"], axis=-1)], x, [x.reshape(6, 4)])
case("concat_negative_axis", 13, [node("Concat", ["x", "c"], axis=-1)], x,
     [np.concatenate([x, np.ones((2, 3, 2), np.float32)], -1)],
     inits=[("c", np.ones((2, 3, 2), np.float32))])
case("scatternd_add_opset16", 16, [node("ScatterND", ["x", "i", "u"], reduction="add")], xs,
     [xs + np.array([[0] * 6, [0] * 6, [1] * 6, [0] * 6], np.float32) * 2],
     inits=[("i", np.array([[2], [2]], np.int64)), ("u", np.ones((2, 6), np.float32))])
case("range_from_input", 13, [node("Range", ["x", "lim", "d"])], np.array(1.5, np.float32),
     [np.arange(1.5, 4.0, 0.5, dtype=np.float32)],
     inits=[("lim", np.array(4.0, np.float32)), ("d", np.array(0.5, np.float32))])
case("constantofshape_shape_of_input", 13,
     [node("Shape", ["x"], ["s"]),
      node("ConstantOfShape", ["s"], value=numpy_helper.from_array(np.array([7], np.int64)))],
     x, [np.full((2, 3, 4), 7, np.int64)])
case("shape_start_end_opset15", 15, [node("Shape", ["x"], start=1, end=-1)], x,
     [np.array([3], np.int64)])
case("pow_broadcast_int_exponent", 13, [node("Pow", ["x", "e"])], np.abs(xs) + 0.5,
     [((np.abs(xs) + 0.5) ** np.array([2, 3, 1, 0, 2, 3], np.float32)).astype(np.float32)],
     inits=[("e", np.array([2, 3, 1, 0, 2, 3], np.int64))])
case("mod_fmod_and_python", 13, [node("Mod", ["x", "d"], ["y0"], fmod=1)], xs * 5,
     [np.fmod(xs * 5, np.float32(1.5))], inits=[("d", np.array(1.5, np.float32))])
case("dropout_inference_mask", 13, [node("Dropout", ["x"], ["y0", "y1"])], xs,
     [xs, np.ones(xs.shape, bool)])

sig = f32(2, 64)
spec = torch.stft(torch.from_numpy(sig), n_fft=16, hop_length=4, window=torch.hann_window(16),
                  center=False, return_complex=True)  # [batch, bins, frames]
case("stft_torch_hann", 17, [node("STFT", ["x", "step", "w"])], sig[:, :, None],
     [torch.view_as_real(spec).permute(0, 2, 1, 3).contiguous().numpy()],
     inits=[("step", np.array(4, np.int64)), ("w", torch.hann_window(16).numpy())],
     symbolic_outputs=True)

# Ops without cases in ONNX 1.12's data, and PyTorch-matching variants of the detection and
# sampling ops.
img = f32(2, 3, 7, 6)
case("lppool_2d_p2_torch", 13, [node("LpPool", ["x"], kernel_shape=[2, 3], strides=[2, 2], p=2)],
     img, [F.lp_pool2d(torch.from_numpy(img), 2, (2, 3), stride=2).numpy()])
windows = np.lib.stride_tricks.sliding_window_view(np.pad(img, ((0, 0), (0, 0), (1, 1), (0, 0))),
                                                   (2, 2), axis=(2, 3))[:, :, ::1, ::2]
case("lppool_2d_p3_pads", 13,
     [node("LpPool", ["x"], kernel_shape=[2, 2], strides=[1, 2], pads=[1, 0, 1, 0], p=3)], img,
     [(np.abs(windows.astype(np.float64)) ** 3).sum((-2, -1)).__pow__(1 / 3).astype(np.float32)])
case("globallppool_p1", 13, [node("GlobalLpPool", ["x"], p=1)], img,
     [np.abs(img).sum((2, 3), keepdims=True)])
case("lpnormalization_axis1_p2", 13, [node("LpNormalization", ["x"], axis=1, p=2)], img,
     [(img / np.sqrt((img.astype(np.float64) ** 2).sum(1, keepdims=True))).astype(np.float32)])
case("lpnormalization_last_p1", 13, [node("LpNormalization", ["x"], p=1)], img,
     [(img / np.abs(img.astype(np.float64)).sum(-1, keepdims=True)).astype(np.float32)])
feat = f32(2, 3, 12, 10)
rois5 = np.array([[0, 1.2, 0.7, 6.4, 9.9], [1, 0, 0, 9, 11], [1, 3.1, 2.2, 3.9, 4.0]], np.float32)
import torchvision  # noqa: E402  (Debian's python3-torchvision, beside python3-torch)
case("maxroipool_torchvision", 13,
     [node("MaxRoiPool", ["x", "r"], pooled_shape=[3, 2], spatial_scale=0.8)], feat,
     [torchvision.ops.roi_pool(torch.from_numpy(feat), torch.from_numpy(rois5), (3, 2), 0.8).numpy()],
     inits=[("r", rois5)])
for aligned in (True, False):
    case(f"roialign_torchvision_aligned_{int(aligned)}", 16,
         [node("RoiAlign", ["x", "r", "b"], output_height=3, output_width=4, sampling_ratio=2,
               spatial_scale=0.5,
               coordinate_transformation_mode="half_pixel" if aligned else "output_half_pixel")],
         feat,
         [torchvision.ops.roi_align(torch.from_numpy(feat), torch.from_numpy((rois5 * [1, 2, 2, 2, 2]).astype(np.float32)),
                                    (3, 4), 0.5, 2, aligned).numpy()],
         inits=[("r", (rois5[:, 1:] * 2).astype(np.float32)),
                ("b", rois5[:, 0].astype(np.int64))])
grid = (rng.uniform(-1.3, 1.3, (2, 5, 4, 2))).astype(np.float32)
for mode, padding, align in [("bicubic", "reflection", 0), ("bicubic", "border", 1),
                             ("nearest", "reflection", 1), ("bilinear", "reflection", 0)]:
    case(f"gridsample_{mode}_{padding}_{align}_torch", 16,
         [node("GridSample", ["x", "g"], mode=mode, padding_mode=padding, align_corners=align)],
         img, [F.grid_sample(torch.from_numpy(img), torch.from_numpy(grid), mode=mode,
                             padding_mode=padding, align_corners=bool(align)).numpy()],
         inits=[("g", grid)])
mats = f32(3, 2, 4, 4)
case("det_batched", 13, [node("Det", ["x"])], mats,
     [np.linalg.det(mats.astype(np.float64)).astype(np.float32)])

if len(sys.argv) > 2 and sys.argv[2] == "--list":
    for k, v in CASES.items():
        print(f'    "{k}": {v},')
