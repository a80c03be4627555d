"""GGUF files convert writes are loaded by ggml's own reader (gguf_init_from_file with data, from
llama.cpp v0.5.0's libggml-base.so; ggml_gguf.py) and hold exactly what PyTorch and NumPy say.

A seeded PyTorch checkpoint (made here with torch.save: conv, linear, embedding, norm and bias
tensors, a transposed non-contiguous tensor, two tensors sharing one storage, and an entry whose
fastest dim is not a multiple of 32) is converted with every --out-type. For each tensor the
expected bytes come from PyTorch or NumPy, never from tensorport:
  f32   torch's float32 bytes;
  f16   torch .half();   bf16   torch .bfloat16();
  q8_0  ggml's quantize_row_q8_0 written in NumPy (scale amax/127 as f16, values x*(1/scale)
        rounded half away from zero, computed in float64 from the float32 product);
with the documented keep rule: 1-D tensors and names containing "bias" or "norm" stay f32, and
q8_0 of a tensor whose fastest dim is not a multiple of 32 is written as f16.
ggml's ggml type and ne must match, and every byte of every tensor must equal the expectation; the
@huggingface/gguf parser (check via tests/gguf_peer) must agree too (convert/testdata covers it).

Usage: ggml_dtypes_test.py CONVERT_BINARY
"""
import os
import re
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import ggml_gguf  # noqa: E402

CONVERT = os.path.abspath(sys.argv.pop(1))
TMP = os.environ.get("TEST_TMPDIR") or tempfile.mkdtemp()
GGML_TYPE = {"f32": 0, "f16": 1, "q8_0": 8, "bf16": 30}


def make_checkpoint(path):
    g = torch.Generator().manual_seed(1234)
    sd = {}
    sd["enc.conv.weight"] = torch.randn(64, 16, 7, generator=g) * 0.3
    sd["enc.conv.bias"] = torch.randn(64, generator=g)
    sd["enc.norm.weight"] = 1 + 0.1 * torch.randn(64, generator=g)
    sd["dec.proj.weight"] = torch.randn(96, 64, generator=g) * 3.0
    sd["dec.embed.weight"] = torch.randn(50, 32, generator=g) * 1e-3
    sd["dec.up.weight"] = torch.randn(32, 16, 4, generator=g)        # ConvTranspose-like
    sd["dec.odd.weight"] = torch.randn(10, 30, generator=g)          # fastest dim not % 32
    sd["dec.t.weight"] = torch.randn(64, 128, generator=g).t()       # non-contiguous view
    shared = torch.randn(8, 64, generator=g)
    sd["dec.a.weight"] = shared[:4]                                  # two views of one storage
    sd["dec.b.weight"] = shared[4:]
    sd["dec.ties.weight"] = torch.tensor([[127.0] + [(i % 2 * 2 - 1) * (i + 0.5) for i in range(1, 32)]])
    sd["dec.ramp.weight"] = (torch.arange(64 * 32, dtype=torch.float32).reshape(64, 32) - 1000) / 3
    torch.save({"model": sd}, path)
    return {k: v.contiguous() for k, v in sd.items()}


def q8_0_bytes(x):
    x = np.ascontiguousarray(x, dtype=np.float32).reshape(-1, 32)
    amax = np.max(np.abs(x), axis=1)
    d = (amax / np.float32(127)).astype(np.float32)
    with np.errstate(divide="ignore"):
        inv = np.where(d != 0, np.float32(1) / d, np.float32(0)).astype(np.float32)
    y = (x * inv[:, None]).astype(np.float32).astype(np.float64)
    q = (np.sign(y) * np.floor(np.abs(y) + 0.5)).astype(np.int8)
    out = bytearray()
    for i in range(x.shape[0]):
        out += np.float16(d[i]).tobytes() + q[i].tobytes()
    return bytes(out)


def expected(name, t, out_type):
    """(ggml type, bytes) that the GGUF must hold for this tensor."""
    keep = t.dim() <= 1 or re.search("(?i)(bias|norm)", name)
    target = "f32" if out_type == "f32" or keep else out_type
    if target == "q8_0" and t.shape[-1] % 32 != 0:
        target = "f16"
    if target == "f32":
        return GGML_TYPE["f32"], t.numpy().astype("<f4").tobytes()
    if target == "f16":
        return GGML_TYPE["f16"], t.half().numpy().tobytes()
    if target == "bf16":
        return GGML_TYPE["bf16"], t.bfloat16().view(torch.int16).numpy().tobytes()
    return GGML_TYPE["q8_0"], q8_0_bytes(t.numpy())


class GgmlLoadsWhatConvertWrites(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.src = os.path.join(TMP, "dtypes.pth")
        cls.tensors = make_checkpoint(cls.src)

    def check(self, out_type):
        out = os.path.join(TMP, "dtypes_%s.gguf" % out_type)
        args = [CONVERT, "--quiet", "--select", "model", self.src, out]
        if out_type != "f32":
            args[1:1] = ["--out-type", out_type]
        subprocess.run(args, check=True)
        loaded, n_kv = ggml_gguf.load(out)
        self.assertGreaterEqual(n_kv, 1)  # general.architecture at least
        self.assertEqual(sorted(loaded), sorted(self.tensors))
        for name, t in self.tensors.items():
            with self.subTest(out_type=out_type, tensor=name):
                ggml_type, ne, data = loaded[name]
                want_type, want = expected(name, t, out_type)
                self.assertEqual(ggml_type, want_type)
                self.assertEqual(ggml_gguf.torch_shape(ne, t.dim()), tuple(t.shape))
                self.assertEqual(ne[t.dim():], (1,) * (4 - t.dim()))
                self.assertEqual(len(data), len(want))
                if data != want:
                    a = np.frombuffer(data, np.uint8)
                    b = np.frombuffer(want, np.uint8)
                    first = int(np.argmax(a != b))
                    self.fail("%d of %d bytes differ, first at byte %d" % (
                        int(np.count_nonzero(a != b)), len(want), first))
        return out

    def test_f32(self):
        self.check("f32")

    def test_f16(self):
        self.check("f16")

    def test_bf16(self):
        self.check("bf16")

    def test_q8_0(self):
        self.check("q8_0")

    def test_damage_is_caught(self):
        # The comparison can fail: one flipped byte in the data of the f32 file is seen.
        out = self.check("f32")
        with open(out, "r+b") as f:
            f.seek(-5, os.SEEK_END)
            b = f.read(1)
            f.seek(-5, os.SEEK_END)
            f.write(bytes([b[0] ^ 0x40]))
        loaded, _ = ggml_gguf.load(out)
        self.assertTrue(any(loaded[n][2] != expected(n, t, "f32")[1]
                            for n, t in self.tensors.items()))


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
