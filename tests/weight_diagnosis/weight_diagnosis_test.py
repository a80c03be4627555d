"""Weight-level diagnosis on real architectures, end to end through `convert` and `verify`.

Each checkpoint (the gate corpus: torchvision ResNet-18 / MobileNetV3, PyTorch's nn.LSTM and
bidirectional nn.GRU, weight-norm vocoder, SEANet encoder and text encoder, a DiT block, attention,
a tied LM; and make_models.py's Conv1d/ConvTranspose1d stack, GRU tagger and CRNN) is converted by
//convert:convert, then one porting mistake is planted by rewriting the converted safetensors file
with NumPy: a Conv weight transposed with the wrong permutation or its bytes reinterpreted under
another shape (also a missing transpose under --conv-layout mlx), a transposed matrix, LSTM / GRU
gate blocks in ONNX's (or another) order or exchanged between split gates, bidirectional
directions swapped (across tensors, and within a tensor holding both), weight norm over the wrong
axes or not fused, a scaled copy. The planted values are computed here with NumPy from the
converted file or from the checkpoint.

For every case `verify --weights` (weights mode) and, where the mistake reaches the exported graph,
`verify --layer-diff --model ... --weights` (mode 3) must fail and name exactly the planted tensors
with the planted mistake in the JSON report's "weight_diagnoses" (and in the layer's "hint", or
the "not exercised" problem). Clean conversions of the same architectures, and tensors corrupted
with noise no common mistake explains, must name nothing.

Usage: weight_diagnosis_test.py CORPUS_JSON MODELS_JSON VERIFY CONVERT
"""
import collections
import json
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "testing"))
import safetensors_io  # noqa: E402

DIRS = {}
for listing in sys.argv[1:3]:
    base = os.path.dirname(os.path.abspath(listing))
    with open(listing) as f:
        entries = json.load(f)
    for entry in entries:
        DIRS[entry["name"]] = os.path.join(base, entry["name"])
VERIFY = os.path.abspath(sys.argv[3])
CONVERT = os.path.abspath(sys.argv[4])
del sys.argv[1:5]
TMP = os.environ.get("TEST_TMPDIR") or tempfile.mkdtemp()

# The forward and reverse input weights of the first layer in one [2, ...] tensor.
DIRECTIONS_SCHEMA = r'''
name: "directions"
pass { concat { pattern: "(.*)\\.weight_ih_l0(_reverse)?" output: "\\1.weight_ih_l0_both" axis: 0 } }
pass { reshape { pattern: ".*\\.weight_ih_l0_both" shape: [2, -1] } }
pass { keep { pattern: ".*" } }
'''
# Every LSTM tensor split into its four gates, named <name>.i/.f/.g/.o.
GATES_SCHEMA = r'''
name: "gates"
pass { lstm { pattern: "lstm" split_gates: true } }
pass { keep { pattern: ".*" } }
'''
CONVERSIONS = {
    "plain": [],
    "fused": ["--fuse-weight-norm"],
    "mlx": ["--preset", "mlx", "--conv-layout", "mlx"],
    "f16": ["--out-type", "f16"],
    "dirs": ["--schema", os.path.join(TMP, "directions.textproto")],
    "gates": ["--schema", os.path.join(TMP, "gates.textproto")],
}



_converted, _sources = {}, {}


def converted(arch, conv):
    key = (arch, conv)
    if key not in _converted:
        out = os.path.join(TMP, "%s_%s.safetensors" % (arch, conv))
        subprocess.run([CONVERT, "--quiet"] + CONVERSIONS[conv] +
                       [os.path.join(DIRS[arch], "checkpoint.pt"), out], check=True)
        _converted[key] = out
    return _converted[key]


def source(arch):
    if arch not in _sources:
        sd = torch.load(os.path.join(DIRS[arch], "checkpoint.pt"))
        _sources[arch] = {k: v.numpy() for k, v in sd.items()}
    return _sources[arch]


def run_verify(arch, path, mode):
    d = DIRS[arch]
    report = os.path.join(TMP, "report.json")
    if os.path.exists(report):
        os.remove(report)
    args = [VERIFY, "--weights", path, "--source", os.path.join(d, "checkpoint.pt"),
            "--json", report, "--color", "never"]
    if mode == "model":
        args += ["--layer-diff", "--model", os.path.join(d, "model.onnx"), "--inputs",
                 os.path.join(d, "inputs.npz"), "--reference", os.path.join(d, "reference.npz"),
                 "--device", "cpu"]
    p = subprocess.run(args, capture_output=True, text=True, timeout=300)
    rep = None
    if p.returncode in (0, 1):
        with open(report) as f:
            rep = json.load(f)
    return p.returncode, rep, p.stdout + p.stderr


# ---- planting (NumPy) --------------------------------------------------------------------------

def permute(name, axes):
    def plant(t, src):
        t[name] = np.ascontiguousarray(t[name].transpose(axes))
    return plant


def reinterpret(name, axes, layout=None):
    """The bytes of `layout` (axes of the stored tensor; default: as stored) under the shape the
    stored tensor would have permuted by `axes`."""
    def plant(t, src):
        a = t[name]
        data = a if layout is None else np.ascontiguousarray(a.transpose(layout))
        t[name] = data.reshape(a.transpose(axes).shape)
    return plant


def gates(name, order):
    def plant(t, src):
        a = t[name]
        blocks = np.split(a, len(order), axis=0)
        t[name] = np.concatenate([blocks[k] for k in order], axis=0)
    return plant


def swap(a_name, b_name):
    def plant(t, src):
        t[a_name], t[b_name] = t[b_name].copy(), t[a_name].copy()
    return plant


def halves(name):
    def plant(t, src):
        t[name] = np.ascontiguousarray(t[name][::-1])
    return plant


def weight_norm(name, how, axes=None):
    """X.weight from the checkpoint's X.weight_g / X.weight_v computed the wrong way."""
    base = name[: -len(".weight")]

    def plant(t, src):
        g, v = src[base + ".weight_g"], src[base + ".weight_v"]
        if how == "axes":
            value = g * v / np.sqrt(np.sum(v * v, axis=axes, keepdims=True))
        elif how == "all":
            value = g * v / np.linalg.norm(v)
        elif how == "v":
            value = v
        else:
            value = g * v
        t[name] = value.astype(t[name].dtype)
    return plant


def scale(name, k):
    def plant(t, src):
        t[name] = t[name] * np.array(k, dtype=t[name].dtype)
    return plant


def noise(name):
    def plant(t, src):
        a = t[name]
        rng = np.random.default_rng(7)
        t[name] = (a + 0.05 * a.std() * rng.standard_normal(a.shape)).astype(a.dtype)
    return plant


# ---- cases -------------------------------------------------------------------------------------

Case = collections.namedtuple(
    "Case", "id arch conv plant mistake tensors texts weights_texts model_texts modes")


def case(id, arch, conv, plant, mistake, tensors, texts, weights_texts=(), model_texts=(),
         modes=("weights", "model")):
    return Case(id, arch, conv, plant, mistake, tensors, texts, weights_texts, model_texts, modes)


WRONG_PERM = "the transpose was applied with the wrong permutation"
REINTERPRETED = "the data reinterpreted (reshaped) instead of permuted"
TRANSPOSED = "a transposed matrix"
LSTM_ONNX = "LSTM gate blocks in order i, o, f, g (ONNX's order i, o, f, c) where PyTorch's i, f, g, o"
GRU_ONNX = "GRU gate blocks in order z, r, n (ONNX's and Keras's order z, r, h) where PyTorch's r, z, n"
SWAPPED = "the bidirectional directions are swapped"
WN_AXES = "weight norm over the wrong axes"
WN_UNFUSED = "weight norm not fused"

CASES = [
    # A Conv weight transposed with the wrong permutation: [O, K, I] for [O, I, K].
    case("conv1d_perm_vocoder", "vocoder", "plain", permute("conv_pre.weight_v", (0, 2, 1)),
         "permuted", ["conv_pre.weight_v"], [WRONG_PERM, "stored as [O, K, I] (shape [32, 7, 8])"],
         model_texts=["a Conv1d weight stored as [O, K, I]"]),
    case("convt1d_perm_vocoder", "vocoder", "plain", permute("ups.0.weight_v", (0, 2, 1)),
         "permuted", ["ups.0.weight_v"], [WRONG_PERM],
         model_texts=["a ConvTranspose1d weight stored as [I, K, O] (shape [32, 8, 16]) where "
                      "[I, O, K] (shape [32, 16, 8]) is expected"]),
    case("conv1d_perm_encoder", "encoder", "plain", permute("model.3.conv.conv.weight_v", (0, 2, 1)),
         "permuted", ["model.3.conv.conv.weight_v"], [WRONG_PERM, "[O, K, I]"]),
    case("conv1d_perm_text_encoder", "text_encoder", "plain", permute("cnn.0.0.weight_v", (0, 2, 1)),
         "permuted", ["cnn.0.0.weight_v"], [WRONG_PERM, "[O, K, I]"]),
    case("conv1d_perm_stack", "conv_stack", "plain", permute("conv1.weight", (0, 2, 1)),
         "permuted", ["conv1.weight"], [WRONG_PERM, "[O, K, I] (shape [16, 5, 8])"],
         model_texts=["a Conv1d weight"]),
    case("convt1d_perm_stack", "conv_stack", "plain", permute("ups.0.weight", (1, 0, 2)),
         "permuted", ["ups.0.weight"], [WRONG_PERM],
         model_texts=["a ConvTranspose1d weight stored as [O, I, K] (shape [12, 16, 4])"]),
    case("conv2d_perm_resnet18", "resnet18", "plain", permute("conv1.weight", (0, 2, 3, 1)),
         "permuted", ["conv1.weight"], [WRONG_PERM, "[O, kH, kW, I] (shape [64, 7, 7, 3])"],
         model_texts=["a Conv2d weight stored as [O, kH, kW, I]"]),
    case("conv2d_perm_mobilenet", "mobilenet_v3_small", "plain",
         permute("features.0.0.weight", (0, 2, 3, 1)), "permuted", ["features.0.0.weight"],
         [WRONG_PERM, "[O, kH, kW, I]"]),
    case("conv1d_perm_f16", "vocoder", "f16", permute("resblocks.1.convs1.0.weight_v", (0, 2, 1)),
         "permuted", ["resblocks.1.convs1.0.weight_v"], [WRONG_PERM], modes=("weights",)),
    # The right bytes under the wrong shape (a reshape where a transpose was needed).
    case("conv1d_bytes_vocoder", "vocoder", "plain",
         reinterpret("resblocks.0.convs1.0.weight_v", (0, 2, 1)), "reinterpreted",
         ["resblocks.0.convs1.0.weight_v"],
         [REINTERPRETED, "the bytes are those of the expected [O, I, K] (shape [16, 16, 3]) but "
          "the shape says [O, K, I] (shape [16, 3, 16])"]),
    case("conv1d_bytes_encoder", "encoder", "plain",
         reinterpret("model.4.block.1.conv.conv.weight_v", (0, 2, 1)), "reinterpreted",
         ["model.4.block.1.conv.conv.weight_v"], [REINTERPRETED]),
    case("conv1d_bytes_text_encoder", "text_encoder", "plain",
         reinterpret("cnn.1.0.weight_v", (0, 2, 1)), "reinterpreted", ["cnn.1.0.weight_v"],
         [REINTERPRETED]),
    case("conv1d_bytes_stack", "conv_stack", "plain", reinterpret("conv2.weight", (0, 2, 1)),
         "reinterpreted", ["conv2.weight"], [REINTERPRETED, "[O, K, I] (shape [6, 3, 12])"]),
    case("convt1d_bytes_stack", "conv_stack", "plain", reinterpret("ups.0.weight", (0, 2, 1)),
         "reinterpreted", ["ups.0.weight"], [REINTERPRETED],
         model_texts=["a ConvTranspose1d weight: the bytes are those of the expected [I, O, K]"]),
    case("conv2d_bytes_resnet18", "resnet18", "plain",
         reinterpret("layer1.0.conv1.weight", (0, 2, 3, 1)), "reinterpreted",
         ["layer1.0.conv1.weight"], [REINTERPRETED, "[O, kH, kW, I] (shape [64, 3, 3, 64])"]),
    # --conv-layout mlx expects [O, K, I]: the transpose left out (shape honest, or not).
    case("mlx_missing_vocoder", "vocoder", "mlx", permute("conv_pre.weight", (0, 2, 1)),
         "permuted", ["conv_pre.weight"],
         ["a Conv1d weight stored in the source layout [O, I, K] (shape [32, 8, 7]) where "
          "[O, K, I] (shape [32, 7, 8]) is expected: the transpose (0, 2, 1) is missing"]),
    case("mlx_missing_convt_vocoder", "vocoder", "mlx", permute("ups.0.weight", (2, 0, 1)),
         "permuted", ["ups.0.weight"],
         ["a ConvTranspose1d weight stored in the source layout [I, O, K] (shape [32, 16, 8])",
          "the transpose (1, 2, 0) is missing"]),
    case("mlx_missing_encoder", "encoder", "mlx", permute("model.3.conv.conv.weight", (0, 2, 1)),
         "permuted", ["model.3.conv.conv.weight"], ["the transpose (0, 2, 1) is missing"]),
    case("mlx_missing_stack", "conv_stack", "mlx", permute("conv1.weight", (0, 2, 1)),
         "permuted", ["conv1.weight"], ["stored in the source layout [O, I, K]"]),
    case("mlx_bytes_vocoder", "vocoder", "mlx",
         reinterpret("resblocks.0.convs2.0.weight", (0, 1, 2), layout=(0, 2, 1)), "reinterpreted",
         ["resblocks.0.convs2.0.weight"],
         ["the bytes are those of the source layout [O, I, K] (shape [16, 16, 3]) but the shape "
          "says [O, K, I] (shape [16, 3, 16])", REINTERPRETED]),
    case("mlx_bytes_encoder", "encoder", "mlx",
         reinterpret("model.4.block.1.conv.conv.weight", (0, 1, 2), layout=(0, 2, 1)),
         "reinterpreted", ["model.4.block.1.conv.conv.weight"],
         ["the bytes are those of the source layout [O, I, K]"]),
    case("mlx_bytes_stack", "conv_stack", "mlx",
         reinterpret("conv2.weight", (0, 1, 2), layout=(0, 2, 1)), "reinterpreted",
         ["conv2.weight"], ["the bytes are those of the source layout [O, I, K]"]),
    # A transposed matrix ([in, out] for [out, in]), the square case included.
    case("matrix_square_dit", "dit", "plain", permute("attn.proj.weight", (1, 0)), "permuted",
         ["attn.proj.weight"], [TRANSPOSED, "stored as [in, out] (shape [32, 32])",
                                "(square: the shapes agree)"],
         model_texts=["a Linear weight stored as [in, out]"]),
    case("matrix_dit", "dit", "plain", permute("mlp.fc1.weight", (1, 0)), "permuted",
         ["mlp.fc1.weight"], [TRANSPOSED, "[in, out] (shape [32, 128]) where [out, in] (shape "
                                          "[128, 32]) is expected"]),
    case("matrix_square_attention", "attention", "plain", permute("block.res.weight", (1, 0)),
         "permuted", ["block.res.weight"], [TRANSPOSED, "(square: the shapes agree)"]),
    case("matrix_attention", "attention", "plain", permute("proj_in.weight", (1, 0)), "permuted",
         ["proj_in.weight"], [TRANSPOSED, "[in, out] (shape [24, 32])"]),
    case("matrix_lstm", "lstm", "plain", permute("embed.weight", (1, 0)), "permuted",
         ["embed.weight"], [TRANSPOSED]),
    case("matrix_resnet18", "resnet18", "plain", permute("fc.weight", (1, 0)), "permuted",
         ["fc.weight"], [TRANSPOSED, "[in, out] (shape [512, 10])"],
         model_texts=["a Linear weight"]),
    case("matrix_gru_tagger", "gru_tagger", "plain", permute("proj.weight", (1, 0)), "permuted",
         ["proj.weight"], [TRANSPOSED]),
    # Recurrent gate blocks in another order.
    case("lstm_onnx_order", "lstm", "plain", gates("lstm.weight_ih_l0", (0, 3, 1, 2)),
         "gate-order", ["lstm.weight_ih_l0"], [LSTM_ONNX]),
    case("lstm_onnx_order_encoder", "encoder", "plain",
         gates("model.7.lstm.weight_hh_l1", (0, 3, 1, 2)), "gate-order",
         ["model.7.lstm.weight_hh_l1"], [LSTM_ONNX]),
    case("lstm_onnx_order_text_encoder", "text_encoder", "plain",
         gates("lstm.weight_ih_l0_reverse", (0, 3, 1, 2)), "gate-order",
         ["lstm.weight_ih_l0_reverse"], [LSTM_ONNX]),
    case("lstm_other_order", "lstm", "plain", gates("lstm.bias_ih_l1", (1, 0, 2, 3)),
         "gate-order", ["lstm.bias_ih_l1"], ["LSTM gate blocks in order f, i, g, o where"]),
    case("lstm_onnx_order_f16", "lstm", "f16", gates("lstm.weight_hh_l0", (0, 3, 1, 2)),
         "gate-order", ["lstm.weight_hh_l0"], [LSTM_ONNX], modes=("weights",)),
    case("lstm_split_gates_exchanged", "lstm", "gates",
         swap("lstm.weight_ih_l0.i", "lstm.weight_ih_l0.o"), "gate-order",
         ["lstm.weight_ih_l0.i", "lstm.weight_ih_l0.o"],
         ["LSTM gate blocks exchanged: it holds gate"]),
    case("gru_onnx_order", "gru", "plain", gates("gru.weight_ih_l1_reverse", (1, 0, 2)),
         "gate-order", ["gru.weight_ih_l1_reverse"], [GRU_ONNX]),
    case("gru_onnx_order_tagger", "gru_tagger", "plain", gates("gru.weight_hh_l0", (1, 0, 2)),
         "gate-order", ["gru.weight_hh_l0"], [GRU_ONNX]),
    case("gru_onnx_order_crnn", "crnn", "plain", gates("gru.weight_ih_l0", (1, 0, 2)),
         "gate-order", ["gru.weight_ih_l0"], [GRU_ONNX]),
    case("gru_other_order", "gru_tagger", "plain", gates("gru.bias_hh_l0", (2, 0, 1)),
         "gate-order", ["gru.bias_hh_l0"], ["GRU gate blocks in order n, r, z where"]),
    # Bidirectional directions swapped: across tensors, and within one [2, ...] tensor.
    case("dirs_text_encoder", "text_encoder", "plain",
         swap("lstm.weight_ih_l0", "lstm.weight_ih_l0_reverse"), "directions-swapped",
         ["lstm.weight_ih_l0", "lstm.weight_ih_l0_reverse"], [SWAPPED]),
    case("dirs_gru", "gru", "plain", swap("gru.weight_hh_l1", "gru.weight_hh_l1_reverse"),
         "directions-swapped", ["gru.weight_hh_l1", "gru.weight_hh_l1_reverse"],
         [SWAPPED, "direction's values"]),
    case("dirs_crnn", "crnn", "plain", swap("gru.bias_ih_l0", "gru.bias_ih_l0_reverse"),
         "directions-swapped", ["gru.bias_ih_l0", "gru.bias_ih_l0_reverse"], [SWAPPED]),
    case("dirs_within_text_encoder", "text_encoder", "dirs", halves("lstm.weight_ih_l0_both"),
         "directions-swapped", ["lstm.weight_ih_l0_both"],
         [SWAPPED, "exchanged within the tensor"], modes=("weights",)),
    case("dirs_within_gru", "gru", "dirs", halves("gru.weight_ih_l0_both"), "directions-swapped",
         ["gru.weight_ih_l0_both"], [SWAPPED], modes=("weights",)),
    case("dirs_within_crnn", "crnn", "dirs", halves("gru.weight_ih_l0_both"), "directions-swapped",
         ["gru.weight_ih_l0_both"], [SWAPPED], modes=("weights",)),
    # Weight norm over the wrong axes, or not fused (converted with --fuse-weight-norm).
    case("wn_axis0_vocoder", "vocoder", "fused",
         weight_norm("resblocks.0.convs1.1.weight", "axes", axes=0), "weight-norm-axes",
         ["resblocks.0.convs1.1.weight"],
         [WN_AXES, "over axis 0 where PyTorch's dim=0 (the norm over every axis but 0)"]),
    case("wn_axis0_encoder", "encoder", "fused",
         weight_norm("model.3.conv.conv.weight", "axes", axes=0), "weight-norm-axes",
         ["model.3.conv.conv.weight"], [WN_AXES, "over axis 0 where"]),
    case("wn_axis0_text_encoder", "text_encoder", "fused",
         weight_norm("cnn.0.0.weight", "axes", axes=0), "weight-norm-axes", ["cnn.0.0.weight"],
         [WN_AXES]),
    case("wn_all_vocoder", "vocoder", "fused", weight_norm("conv_pre.weight", "all"),
         "weight-norm-axes", ["conv_pre.weight"], [WN_AXES, "over all axes"]),
    case("wn_all_encoder", "encoder", "fused",
         weight_norm("model.1.block.1.conv.conv.weight", "all"), "weight-norm-axes",
         ["model.1.block.1.conv.conv.weight"], [WN_AXES, "over all axes"]),
    case("wn_all_text_encoder", "text_encoder", "fused", weight_norm("cnn.1.0.weight", "all"),
         "weight-norm-axes", ["cnn.1.0.weight"], [WN_AXES, "over all axes"]),
    case("wn_dim1_vocoder", "vocoder", "fused", weight_norm("ups.0.weight", "axes", axes=(0, 2)),
         "weight-norm-axes", ["ups.0.weight"], [WN_AXES, "over axes (0, 2) (PyTorch's dim=1)"]),
    case("wn_dim0_tied_lm", "tied_lm", "fused", weight_norm("conv.weight", "axes", axes=(1, 2)),
         "weight-norm-axes", ["conv.weight"],
         [WN_AXES, "over axes (1, 2) (PyTorch's dim=0) where PyTorch's dim=1"]),
    case("wn_v_vocoder", "vocoder", "fused", weight_norm("resblocks.1.convs2.0.weight", "v"),
         "weight-norm-unfused", ["resblocks.1.convs2.0.weight"],
         [WN_UNFUSED, "the tensor is v itself (\"resblocks.1.convs2.0.weight_v\""]),
    case("wn_v_text_encoder", "text_encoder", "fused", weight_norm("cnn.0.0.weight", "v"),
         "weight-norm-unfused", ["cnn.0.0.weight"], [WN_UNFUSED, "v itself"]),
    case("wn_v_tied_lm", "tied_lm", "fused", weight_norm("conv.weight", "v"),
         "weight-norm-unfused", ["conv.weight"], [WN_UNFUSED, "v itself"]),
    case("wn_gv_vocoder", "vocoder", "fused", weight_norm("resblocks.0.convs2.1.weight", "gv"),
         "weight-norm-unfused", ["resblocks.0.convs2.1.weight"],
         [WN_UNFUSED, "without the division by ||v||"]),
    case("wn_gv_encoder", "encoder", "fused",
         weight_norm("model.1.shortcut.conv.conv.weight", "gv"), "weight-norm-unfused",
         ["model.1.shortcut.conv.conv.weight"], [WN_UNFUSED, "g * v"]),
    case("wn_gv_text_encoder", "text_encoder", "fused", weight_norm("cnn.1.0.weight", "gv"),
         "weight-norm-unfused", ["cnn.1.0.weight"], [WN_UNFUSED, "without the division by ||v||"]),
    # A scaled copy.
    case("scaled_resnet18", "resnet18", "plain", scale("layer1.0.conv1.weight", 0.5), "scaled",
         ["layer1.0.conv1.weight"], ["a scaled copy: converted = 0.5 x expected (a gain of -6.02 dB)"]),
    case("scaled_dit", "dit", "plain", scale("mlp.fc2.weight", 2.0), "scaled", ["mlp.fc2.weight"],
         ["converted = 2 x expected (a gain of +6.02 dB)"]),
    case("scaled_vocoder", "vocoder", "plain", scale("conv_pre.bias", 1.5), "scaled",
         ["conv_pre.bias"], ["converted = 1.5 x expected (a gain of +3.52 dB)"]),
    case("scaled_crnn", "crnn", "plain", scale("conv.weight", -0.25), "scaled", ["conv.weight"],
         ["converted = -0.25 x expected (sign flipped, a gain of -12.04 dB)"]),
    case("scaled_f16", "lstm", "f16", scale("head.weight", 0.5), "scaled", ["head.weight"],
         ["converted = 0.5 x expected"], modes=("weights",)),
]

# Corrupted in a way no common porting mistake explains: verify fails and names nothing.
UNEXPLAINED = [
    ("vocoder", "plain", "resblocks.1.convs1.1.weight_v"),
    ("dit", "plain", "attn.qkv.weight"),
    ("lstm", "plain", "lstm.weight_ih_l1"),
    ("resnet18", "plain", "layer2.0.conv1.weight"),
    ("crnn", "plain", "gru.weight_hh_l0_reverse"),
    ("text_encoder", "fused", "cnn.1.0.weight"),
]

# Clean conversions: pass, nothing named. Mode 3 reads every conversion but the f16 ones (the
# model then differs by f16 rounding) and the directions schema (a concat cannot be bound back).
CLEAN = {
    "plain": ["vocoder", "encoder", "text_encoder", "tied_lm", "lstm", "gru", "dit", "attention",
              "resnet18", "mobilenet_v3_small", "conv_stack", "gru_tagger", "crnn"],
    "fused": ["vocoder", "encoder", "text_encoder", "tied_lm"],
    "mlx": ["vocoder", "encoder", "conv_stack"],
    "f16": ["vocoder", "lstm"],
    "dirs": ["text_encoder", "gru", "crnn"],
    "gates": ["lstm", "encoder"],
}


def planted(c):
    tensors, meta, _ = safetensors_io.read(converted(c.arch, c.conv))
    c.plant(tensors, source(c.arch))
    path = os.path.join(TMP, "%s.safetensors" % c.id)
    safetensors_io.write(path, tensors, meta)
    return path


class WeightDiagnosis(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for conv, text in (("dirs", DIRECTIONS_SCHEMA), ("gates", GATES_SCHEMA)):
            with open(CONVERSIONS[conv][1], "w") as f:
                f.write(text)

    def test_each_planted_mistake_is_named(self):
        for c in CASES:
            path = planted(c)
            for mode in c.modes:
                with self.subTest(case=c.id, mode=mode):
                    rc, rep, out = run_verify(c.arch, path, mode)
                    self.assertEqual(rc, 1, out[-3000:])
                    found = {f["tensor"]: f for f in rep["weight_diagnoses"]}
                    self.assertEqual(sorted(found), sorted(c.tensors), out[-3000:])
                    texts = list(c.texts) + list(c.weights_texts if mode == "weights"
                                                 else c.model_texts)
                    for t in c.tensors:
                        f = found[t]
                        self.assertEqual(f["mistake"], c.mistake, f["diagnosis"])
                        for s in texts:
                            self.assertIn(s, f["diagnosis"])
                        # Where a reader of the report meets it.
                        if mode == "weights":
                            layer = [l for l in rep["layers"] if l["name"] == t][0]
                            self.assertTrue(layer["hint"].startswith(
                                "weight diagnosis: " + f["diagnosis"]), layer["hint"])
                        else:
                            shown = any(("weight diagnosis: %s: %s" % (t, f["diagnosis"]))
                                        in (l["hint"] or "") for l in rep["layers"])
                            shown = shown or any("weight diagnosis: " + f["diagnosis"] in p
                                                 for p in rep["problems"])
                            self.assertTrue(shown, out[-3000:])
                    self.assertIn("weight diagnosis: ", out)

    def test_unexplained_corruption_names_nothing(self):
        for arch, conv, name in UNEXPLAINED:
            tensors, meta, _ = safetensors_io.read(converted(arch, conv))
            noise(name)(tensors, None)
            path = os.path.join(TMP, "noise_%s.safetensors" % arch)
            safetensors_io.write(path, tensors, meta)
            for mode in ("weights", "model"):
                with self.subTest(arch=arch, tensor=name, mode=mode):
                    rc, rep, out = run_verify(arch, path, mode)
                    self.assertEqual(rc, 1, out[-3000:])
                    self.assertEqual(rep["weight_diagnoses"], [], out[-3000:])
                    self.assertNotIn("weight diagnosis", out)

    def test_clean_conversions_pass_and_name_nothing(self):
        for conv, archs in CLEAN.items():
            for arch in archs:
                modes = ("weights",) if conv in ("f16", "dirs") else ("weights", "model")
                for mode in modes:
                    with self.subTest(arch=arch, conversion=conv, mode=mode):
                        rc, rep, out = run_verify(arch, converted(arch, conv), mode)
                        self.assertEqual(rc, 0, out[-3000:])
                        self.assertTrue(rep["passed"])
                        self.assertEqual(rep["weight_diagnoses"], [])
                        self.assertNotIn("weight diagnosis", out)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
