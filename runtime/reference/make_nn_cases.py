"""Writes nn_cases.onnx: single-node cases for the reference nn kernels, expected values from
PyTorch 1.13 / NumPy (never from tensorport).

The file is one ModelProto whose graph holds every case as a node (node.name is the case name);
the node's inputs and its expected outputs are initializers under the node's own input and output
names. Most cases are float64 so the test can use a tight tolerance; a few are float32.

Usage: /usr/bin/python3 make_nn_cases.py OUT_DIR
"""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import helper, numpy_helper

rng = np.random.default_rng(1234)
torch.manual_seed(1234)

nodes = []
inits = []


def rand(*shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


def t(a):
    return torch.from_numpy(np.ascontiguousarray(a))


def contiguous(a):
    # np.ascontiguousarray would turn a 0-d result into shape (1,).
    return np.asarray(a).copy(order="C")


def add_case(name, op, inputs, outputs, **attrs):
    """inputs / outputs: lists of numpy arrays (None for an omitted optional input)."""
    in_names = []
    for i, a in enumerate(inputs):
        if a is None:
            in_names.append("")
            continue
        n = f"{name}.in{i}"
        in_names.append(n)
        inits.append(numpy_helper.from_array(contiguous(a), n))
    out_names = []
    for i, a in enumerate(outputs):
        n = f"{name}.out{i}"
        out_names.append(n)
        inits.append(numpy_helper.from_array(contiguous(a), n))
    nodes.append(helper.make_node(op, in_names, out_names, name=name, **attrs))


def same_pads(in_size, k, s, d, upper):
    out = -(-in_size // s)
    total = max(0, (out - 1) * s + (k - 1) * d + 1 - in_size)
    small = total // 2
    return (small, total - small) if upper else (total - small, small)


# ---- Conv ---------------------------------------------------------------------------------------
def conv_case(name, x, w, b, stride, pads, dilation, groups, dtype=np.float64, **extra):
    """pads: per spatial dim (begin, end); expected via F.pad + convNd."""
    nd = x.ndim - 2
    x = x.astype(dtype)
    w = w.astype(dtype)
    b = None if b is None else b.astype(dtype)
    flat = []
    for (pb, pe) in reversed(pads):
        flat += [pb, pe]
    xp = F.pad(t(x), flat)
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[nd]
    y = conv(xp, t(w), None if b is None else t(b), stride=stride, dilation=dilation,
             groups=groups).numpy()
    attrs = dict(strides=list(stride), dilations=list(dilation), group=groups,
                 kernel_shape=list(w.shape[2:]))
    if "auto_pad" in extra:
        attrs["auto_pad"] = extra["auto_pad"]
    else:
        attrs["pads"] = [p[0] for p in pads] + [p[1] for p in pads]
    add_case(name, "Conv", [x, w, b], [y], **attrs)


conv_case("conv1d_basic", rand(2, 3, 17), rand(5, 3, 3), rand(5), (1,), [(1, 1)], (1,), 1)
conv_case("conv1d_groups_dil", rand(2, 4, 19), rand(6, 2, 3), rand(6), (1,), [(3, 3)], (2,), 2)
conv_case("conv1d_stride_asym", rand(1, 3, 16), rand(4, 3, 5), None, (3,), [(1, 2)], (1,), 1)
conv_case("conv1d_depthwise", rand(1, 4, 12), rand(4, 1, 7), rand(4), (1,), [(9, 9)], (3,), 4)
conv_case("conv1d_f32", rand(2, 8, 33), rand(8, 8, 7), rand(8), (1,), [(3, 3)], (1,), 1,
          dtype=np.float32)
for upper in (True, False):
    x = rand(1, 2, 10)
    pb, pe = same_pads(10, 4, 3, 1, upper)
    conv_case(f"conv1d_same_{'upper' if upper else 'lower'}", x, rand(3, 2, 4), rand(3), (3,),
              [(pb, pe)], (1,), 1, auto_pad="SAME_UPPER" if upper else "SAME_LOWER")
conv_case("conv1d_valid", rand(1, 2, 11), rand(3, 2, 3), None, (2,), [(0, 0)], (1,), 1,
          auto_pad="VALID")
conv_case("conv2d_basic", rand(1, 3, 9, 8), rand(4, 3, 3, 2), rand(4), (2, 1), [(1, 1), (0, 0)],
          (1, 2), 1)
conv_case("conv2d_groups", rand(2, 6, 7, 7), rand(6, 2, 3, 3), rand(6), (1, 2), [(1, 2), (2, 1)],
          (2, 1), 3)
conv_case("conv3d", rand(1, 2, 5, 4, 6), rand(3, 2, 2, 3, 2), rand(3), (1, 1, 2),
          [(1, 0), (1, 1), (0, 1)], (1, 1, 1), 1)


# ---- ConvTranspose ------------------------------------------------------------------------------
def conv_transpose_case(name, x, w, b, stride, dilation, groups, out_pad, pads=None,
                        output_shape=None, auto_pad=None):
    """Expected: full transposed conv (no padding), zero-extended by output_padding, cropped."""
    nd = x.ndim - 2
    convt = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[nd]
    full = convt(t(x), t(w), None, stride=stride, dilation=dilation, groups=groups).numpy()
    ext = np.zeros(full.shape[:2] + tuple(full.shape[2 + i] + out_pad[i] for i in range(nd)))
    ext[(slice(None), slice(None)) + tuple(slice(0, full.shape[2 + i]) for i in range(nd))] = full
    in_sp = x.shape[2:]
    begins, targets = [], []
    for i in range(nd):
        full_i = ext.shape[2 + i]
        if output_shape is not None or auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            target = output_shape[i] if output_shape is not None else in_sp[i] * stride[i]
            total = full_i - target
            if auto_pad == "SAME_UPPER":
                pb = total // 2
            else:
                pb = total - total // 2
        else:
            pb, pe = pads[i], pads[nd + i]
            target = full_i - pb - pe
        begins.append(pb)
        targets.append(target)
    # output_shape above the full size: negative padding, extra outputs that only the bias reaches.
    grow = [max(0, begins[i] + targets[i] - ext.shape[2 + i]) for i in range(nd)]
    ext = np.pad(ext, [(0, 0), (0, 0)] + [(0, g) for g in grow])
    y = ext[(slice(None), slice(None)) + tuple(slice(begins[i], begins[i] + targets[i])
                                              for i in range(nd))]
    if b is not None:
        y = y + b.reshape((1, -1) + (1,) * nd)
    attrs = dict(strides=list(stride), dilations=list(dilation), group=groups)
    if any(out_pad):
        attrs["output_padding"] = list(out_pad)
    if output_shape is not None:
        attrs["output_shape"] = list(output_shape)
    elif auto_pad is not None:
        attrs["auto_pad"] = auto_pad
    else:
        attrs["pads"] = list(pads)
    add_case(name, "ConvTranspose", [x, w, b], [y.astype(x.dtype)], **attrs)


conv_transpose_case("convt1d_basic", rand(2, 4, 9), rand(4, 3, 4), rand(3), (2,), (1,), 1, (0,),
                    pads=[1, 1])
conv_transpose_case("convt1d_outpad_dil", rand(1, 4, 7), rand(4, 3, 3), rand(3), (3,), (2,), 1,
                    (1,), pads=[2, 1])
conv_transpose_case("convt1d_groups", rand(2, 4, 6), rand(4, 2, 5), rand(4), (2,), (1,), 2, (1,),
                    pads=[2, 2])
conv_transpose_case("convt1d_vocoder_up", rand(1, 8, 10), rand(8, 4, 16), rand(4), (8,), (1,), 1,
                    (0,), pads=[4, 4])
conv_transpose_case("convt2d", rand(1, 4, 5, 4), rand(4, 1, 3, 4), rand(2), (2, 3), (1, 1), 2,
                    (1, 2), pads=[1, 0, 0, 1])
conv_transpose_case("convt2d_dil", rand(1, 2, 4, 5), rand(2, 3, 2, 3), None, (1, 2), (2, 1), 1,
                    (0, 1), pads=[0, 1, 1, 0])
conv_transpose_case("convt1d_output_shape", rand(1, 3, 6), rand(3, 2, 4), rand(2), (2,), (1,), 1,
                    (0,), output_shape=[12])
conv_transpose_case("convt1d_output_shape_larger", rand(1, 3, 6), rand(3, 2, 4), rand(2), (2,),
                    (1,), 1, (0,), output_shape=[15])
conv_transpose_case("convt1d_same_upper", rand(1, 3, 5), rand(3, 2, 4), None, (2,), (1,), 1,
                    (0,), auto_pad="SAME_UPPER")
conv_transpose_case("convt1d_same_lower", rand(1, 3, 5), rand(3, 2, 5), None, (2,), (1,), 1,
                    (0,), auto_pad="SAME_LOWER")


# ---- Pools --------------------------------------------------------------------------------------
def maxpool_case(name, x, k, s, p, d, ceil, indices=False):
    nd = x.ndim - 2
    pool = {1: F.max_pool1d, 2: F.max_pool2d}[nd]
    y, idx = pool(t(x), k, s, p, d, ceil_mode=ceil, return_indices=True)
    y = y.numpy()
    attrs = dict(kernel_shape=list(k), strides=list(s), pads=list(p) + list(p),
                 dilations=list(d), ceil_mode=int(ceil))
    outs = [y]
    if indices:
        n, c = x.shape[:2]
        spatial = int(np.prod(x.shape[2:]))
        base = (np.arange(n * c).reshape(n, c) * spatial).reshape((n, c) + (1,) * nd)
        outs.append((idx.numpy() + base).astype(np.int64))
    add_case(name, "MaxPool", [x], outs, **attrs)


def avgpool_case(name, x, k, s, p, ceil, include_pad):
    nd = x.ndim - 2
    pool = {1: F.avg_pool1d, 2: F.avg_pool2d}[nd]
    y = pool(t(x), k, s, p, ceil_mode=ceil, count_include_pad=include_pad).numpy()
    attrs = dict(kernel_shape=list(k), strides=list(s), pads=list(p) + list(p),
                 ceil_mode=int(ceil), count_include_pad=int(include_pad))
    add_case(name, "AveragePool", [x], [y], **attrs)


maxpool_case("maxpool1d", rand(2, 3, 15), (3,), (2,), (1,), (1,), False)
maxpool_case("maxpool1d_ceil_dil", rand(1, 2, 16), (3,), (2,), (1,), (2,), True, indices=True)
maxpool_case("maxpool2d", rand(1, 2, 9, 10), (3, 2), (2, 2), (1, 0), (1, 1), True, indices=True)
maxpool_case("maxpool2d_dil", rand(2, 2, 11, 9), (2, 3), (1, 2), (1, 1), (2, 1), False)
avgpool_case("avgpool1d_incl", rand(2, 3, 15), (4,), (3,), (2,), True, True)
avgpool_case("avgpool1d_excl", rand(2, 3, 15), (4,), (3,), (2,), True, False)
avgpool_case("avgpool2d_incl", rand(1, 2, 9, 8), (3, 3), (2, 2), (1, 1), False, True)
avgpool_case("avgpool2d_excl_ceil", rand(1, 2, 9, 8), (3, 2), (2, 3), (1, 1), True, False)


# ---- MatMul / Gemm ------------------------------------------------------------------------------
for name, sa, sb in [("matmul_2d", (5, 7), (7, 3)),
                     ("matmul_bcast", (2, 1, 3, 4), (5, 4, 6)),
                     ("matmul_vec_mat", (4,), (2, 4, 3)),
                     ("matmul_mat_vec", (2, 3, 4), (4,)),
                     ("matmul_vec_vec", (6,), (6,)),
                     ("matmul_empty_k", (3, 0), (0, 2))]:
    a, b = rand(*sa), rand(*sb)
    add_case(name, "MatMul", [a, b], [np.matmul(a, b)])
a, b = rand(4, 9, dtype=np.float32), rand(9, 5, dtype=np.float32)
add_case("matmul_f32", "MatMul", [a, b],
         [np.matmul(a.astype(np.float64), b.astype(np.float64)).astype(np.float32)])

for name, ta, tb, alpha, beta, cshape in [("gemm_plain", 0, 0, 1.0, 1.0, None),
                                          ("gemm_tA_tB", 1, 1, 0.5, 2.0, (6,)),
                                          ("gemm_tB_col", 0, 1, 1.5, 0.25, (4, 1)),
                                          ("gemm_full_c", 1, 0, 1.0, -1.0, (4, 6)),
                                          ("gemm_scalar_c", 0, 0, 2.0, 3.0, ())]:
    m, k, n = 4, 5, 6
    a = rand(k, m) if ta else rand(m, k)
    b = rand(n, k) if tb else rand(k, n)
    c = None if cshape is None else rand(*cshape)
    y = alpha * ((a.T if ta else a) @ (b.T if tb else b))
    if c is not None:
        y = y + beta * c
    # float32 attributes: compute with the rounded values the node stores.
    alpha32, beta32 = float(np.float32(alpha)), float(np.float32(beta))
    y = alpha32 * ((a.T if ta else a) @ (b.T if tb else b)) + (0 if c is None else beta32 * c)
    add_case(name, "Gemm", [a, b, c], [y], transA=ta, transB=tb, alpha=alpha, beta=beta)


# ---- LSTM / GRU ---------------------------------------------------------------------------------
def reorder(w, order, h):
    return np.concatenate([w[i * h:(i + 1) * h] for i in order], axis=0)


def lstm_case(name, seq, batch, inp, hid, bidir, lens=None, layout=0, with_init=True):
    lstm = torch.nn.LSTM(inp, hid, bidirectional=bidir, batch_first=(layout == 1)).double()
    dirs = 2 if bidir else 1
    x = rand(batch, seq, inp) if layout == 1 else rand(seq, batch, inp)
    h0 = rand(dirs, batch, hid)
    c0 = rand(dirs, batch, hid)
    order = [0, 3, 1, 2]  # torch i, f, g, o -> onnx i, o, f, c
    W, R, B = [], [], []
    for d in range(dirs):
        sfx = "_reverse" if d == 1 else ""
        g = lambda n: getattr(lstm, n + sfx).detach().numpy()
        W.append(reorder(g("weight_ih_l0"), order, hid))
        R.append(reorder(g("weight_hh_l0"), order, hid))
        B.append(np.concatenate([reorder(g("bias_ih_l0"), order, hid),
                                 reorder(g("bias_hh_l0"), order, hid)]))
    W, R, B = np.stack(W), np.stack(R), np.stack(B)
    with torch.no_grad():
        init = (t(h0), t(c0)) if with_init else None
        if lens is None:
            y, (hn, cn) = lstm(t(x), init)
        else:
            packed = torch.nn.utils.rnn.pack_padded_sequence(
                t(x), torch.tensor(lens), batch_first=(layout == 1), enforce_sorted=False)
            yp, (hn, cn) = lstm(packed, init)
            y, _ = torch.nn.utils.rnn.pad_packed_sequence(yp, batch_first=(layout == 1),
                                                          total_length=seq)
    y, hn, cn = y.numpy(), hn.numpy(), cn.numpy()
    if layout == 0:
        y = y.reshape(seq, batch, dirs, hid).transpose(0, 2, 1, 3)
    else:
        y = y.reshape(batch, seq, dirs, hid)
        hn, cn = hn.transpose(1, 0, 2), cn.transpose(1, 0, 2)
        h0, c0 = h0.transpose(1, 0, 2), c0.transpose(1, 0, 2)
    sl = None if lens is None else np.array(lens, dtype=np.int32)
    ins = [x, W, R, B, sl, h0 if with_init else None, c0 if with_init else None]
    while ins[-1] is None:
        ins.pop()
    add_case(name, "LSTM", ins, [y, hn, cn], hidden_size=hid,
             direction="bidirectional" if bidir else "forward", layout=layout)


lstm_case("lstm_bidir", 6, 3, 5, 4, True)
lstm_case("lstm_fwd_noinit", 5, 2, 3, 6, False, with_init=False)
lstm_case("lstm_bidir_lens", 7, 3, 4, 3, True, lens=[7, 4, 1])
lstm_case("lstm_layout1", 5, 2, 3, 4, True, layout=1)


def gru_case(name, seq, batch, inp, hid, bidir):
    gru = torch.nn.GRU(inp, hid, bidirectional=bidir).double()
    dirs = 2 if bidir else 1
    x = rand(seq, batch, inp)
    h0 = rand(dirs, batch, hid)
    order = [1, 0, 2]  # torch r, z, n -> onnx z, r, h
    W, R, B = [], [], []
    for d in range(dirs):
        sfx = "_reverse" if d == 1 else ""
        g = lambda n: getattr(gru, n + sfx).detach().numpy()
        W.append(reorder(g("weight_ih_l0"), order, hid))
        R.append(reorder(g("weight_hh_l0"), order, hid))
        B.append(np.concatenate([reorder(g("bias_ih_l0"), order, hid),
                                 reorder(g("bias_hh_l0"), order, hid)]))
    with torch.no_grad():
        y, hn = gru(t(x), t(h0))
    y = y.numpy().reshape(seq, batch, dirs, hid).transpose(0, 2, 1, 3)
    add_case(name, "GRU", [x, np.stack(W), np.stack(R), np.stack(B), None, h0], [y, hn.numpy()],
             hidden_size=hid, direction="bidirectional" if bidir else "forward",
             linear_before_reset=1)


gru_case("gru_bidir_lbr1", 6, 2, 5, 4, True)
gru_case("gru_fwd_lbr1", 4, 3, 2, 5, False)


def gru_lbr0_numpy(name, seq, batch, inp, hid, reverse):
    """linear_before_reset=0 has no PyTorch module: the ONNX equations written out in NumPy."""
    x = rand(seq, batch, inp)
    W, R = rand(1, 3 * hid, inp), rand(1, 3 * hid, hid)
    B, h0 = rand(1, 6 * hid), rand(1, batch, hid)
    sig = lambda v: 1 / (1 + np.exp(-v))
    Wz, Wr, Wh = np.split(W[0], 3)
    Rz, Rr, Rh = np.split(R[0], 3)
    Wbz, Wbr, Wbh, Rbz, Rbr, Rbh = np.split(B[0], 6)
    h = h0[0]
    y = np.zeros((seq, 1, batch, hid))
    steps = range(seq - 1, -1, -1) if reverse else range(seq)
    for s in steps:
        xt = x[s]
        z = sig(xt @ Wz.T + h @ Rz.T + Wbz + Rbz)
        r = sig(xt @ Wr.T + h @ Rr.T + Wbr + Rbr)
        hh = np.tanh(xt @ Wh.T + (r * h) @ Rh.T + Rbh + Wbh)
        h = (1 - z) * hh + z * h
        y[s, 0] = h
    add_case(name, "GRU", [x, W, R, B, None, h0], [y, h[None]], hidden_size=hid,
             direction="reverse" if reverse else "forward")


gru_lbr0_numpy("gru_lbr0_fwd", 5, 2, 3, 4, False)
gru_lbr0_numpy("gru_lbr0_rev", 5, 2, 3, 4, True)


# ---- Einsum -------------------------------------------------------------------------------------
for name, eq, shapes in [("einsum_bij_bjk", "bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
                         ("einsum_attn", "bhid,bhjd->bhij", [(1, 2, 5, 3), (1, 2, 4, 3)]),
                         ("einsum_ellipsis", "...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),
                         ("einsum_implicit", "bid,bjd", [(2, 3, 4), (2, 5, 4)]),
                         ("einsum_transpose", "ij->ji", [(3, 4)]),
                         ("einsum_diag", "ii->i", [(4, 4)]),
                         ("einsum_sum_all", "ij->", [(3, 5)]),
                         ("einsum_outer", "i,j->ij", [(3,), (4,)]),
                         ("einsum_upper", "bIJ,bJK->bIK", [(2, 2, 3), (2, 3, 2)])]:
    ops = [rand(*s) for s in shapes]
    add_case(name, "Einsum", ops, [np.asarray(np.einsum(eq, *ops))], equation=eq)


graph = helper.make_graph(nodes, "nn_cases", [], [], initializer=inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
out_dir = sys.argv[1]
os.makedirs(out_dir, exist_ok=True)
with open(os.path.join(out_dir, "nn_cases.onnx"), "wb") as f:
    f.write(model.SerializeToString())
