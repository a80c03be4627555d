"""End-to-end check of `verify --weights ... --schema` (mode 0) on the bundled reference models.

Every expected outcome comes from PyTorch, not from verify: each converted safetensors file is read
by the small reader below and compared with the tensor PyTorch derives from the checkpoint
(torch._weight_norm for weight_g/weight_v pairs, the MLX conv layouts, the dtype cast done by
torch). Files that agree with PyTorch must pass verify; files corrupted here (one tensor scaled by
1.01, one tensor removed, one added) must fail, and the failing tensors verify names must be
exactly the ones PyTorch's derivation disagrees with.

usage: /usr/bin/python3 check_verify_weights.py CONVERT VERIFY WORKDIR REFERENCE_DUMPS_DIR
"""
import json
import os
import re
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "testing"))
import safetensors_io  # noqa: E402


def read_safetensors(path):
    """name -> (safetensors dtype, array)."""
    tensors, _, dtypes = safetensors_io.read(path)
    return {n: (dtypes[n], a) for n, a in tensors.items()}


CONVERT, VERIFY, WORK, DUMPS = sys.argv[1:5]
os.makedirs(WORK, exist_ok=True)

MODELS = {
    "vocoder": ["--preset", "hifigan"],
    "encoder": ["--preset", "mlx", "--conv-layout", "mlx"],
    "dit": ["--preset", "mlx", "--conv-layout", "mlx"],
    "text_encoder": ["--preset", "mlx", "--conv-layout", "mlx"],
}
# MLX layouts (the mlx preset's declared conv weights): Conv1d [out, in, k] -> [out, k, in],
# ConvTranspose1d [in, out, k] -> [out, k, in].
MLX_CONV = [r"(.*\.)?conv_(pre|post)\.weight", r"(.*\.)?resblocks\.\d+\.convs[12]?\.\d+\.weight",
            r"(.*\.)?conv\.conv\.weight", r"(.*\.)?(conv\d*|conv1x1|pool|noise_convs\.\d+)\.weight"]
MLX_CONVT = [r"(.*\.)?ups\.\d+\.weight", r"(.*\.)?convtr\.convtr\.weight"]

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)



def torch_expected(model, out_type):
    """name -> tensor as PyTorch derives it from the checkpoint for the preset used."""
    sd = torch.load(os.path.join(DUMPS, model, "checkpoint.pt"))
    mlx = model != "vocoder"
    out = {}
    for name, t in sd.items():
        if name.endswith("_v") and name[:-2] + "_g" in sd:
            continue
        if name.endswith("_g") and name[:-2] + "_v" in sd:
            base = name[:-2]
            t = torch._weight_norm(sd[base + "_v"].double(), sd[name].double(), 0).float()
            name = base
        if mlx and t.dim() == 3:
            if any(re.fullmatch(p, name) for p in MLX_CONV):
                t = t.permute(0, 2, 1)
            elif any(re.fullmatch(p, name) for p in MLX_CONVT):
                t = t.permute(1, 2, 0)
        # --out-type casts weights of rank >= 2; norms, biases and 1-D stay f32.
        if out_type in ("f16", "bf16") and t.dim() >= 2 and t.is_floating_point():
            t = t.to(torch.float16 if out_type == "f16" else torch.bfloat16).float()
        out[name] = t.contiguous().numpy()
    return out


def disagreeing(model, out_type, converted):
    """Names where the converted file and PyTorch's derivation differ (missing/extra included)."""
    expected = torch_expected(model, out_type)
    bad = set(expected) ^ set(converted)
    for name in set(expected) & set(converted):
        got = converted[name][1].astype(np.float32)
        want = expected[name]
        if got.shape != want.shape or not np.allclose(got, want, rtol=2e-6, atol=1e-7):
            bad.add(name)
    return bad


def run(args):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return p.returncode, p.stdout


def verify(converted, model, *extra):
    args = [VERIFY, "--weights", converted, "--source", os.path.join(DUMPS, model, "checkpoint.pt"),
            "--schema", MODELS[model][1], "--color", "never"] + list(extra)
    return run(args)


def failing_names(output):
    m = re.search(r"^failing tensors: (.*)$", output, re.M)
    if not m:
        return set()
    return {re.sub(r" \([a-z-]+\)$", "", x) for x in m.group(1).split(", ")}


# 1. Clean conversions pass (checked against PyTorch for the safetensors outputs first).
for model, preset in MODELS.items():
    src = os.path.join(DUMPS, model, "checkpoint.pt")
    for out_type in ("f32", "f16", "q8_0"):
        for ext in ("safetensors", "gguf"):
            if out_type == "q8_0" and ext == "safetensors":
                continue
            path = os.path.join(WORK, f"{model}_{out_type}.{ext}")
            rc, text = run([CONVERT, "--quiet", "--out-type", out_type] + preset + [src, path])
            check(rc == 0, f"convert {model} {out_type} {ext}: {text.strip()[-200:]}")
            if ext == "safetensors":
                bad = disagreeing(model, out_type, read_safetensors(path))
                check(not bad, f"{model} {out_type}: conversion agrees with PyTorch ({sorted(bad)})")
            rc, text = verify(path, model)
            check(rc == 0 and "PASSED" in text,
                  f"verify {model} {out_type} {ext} passes (rc {rc}): {text.strip().splitlines()[-1]}")

# 2. The flags given explicitly give the same verdict; --preset is an alias of --schema.
rc, text = run([VERIFY, "--weights", os.path.join(WORK, "encoder_f16.gguf"), "--source",
                os.path.join(DUMPS, "encoder", "checkpoint.pt"), "--preset", "mlx", "--out-type",
                "f16", "--conv-layout", "mlx", "--fuse-weight-norm"])
check(rc == 0 and "cast error f32->f16" in text, f"explicit flags + --preset pass (rc {rc})")
# A wrong --out-type is a dtype failure.
rc, text = verify(os.path.join(WORK, "dit_f16.gguf"), "dit", "--out-type", "f32")
check(rc == 1 and "dtype f16, expected f32" in text, f"--out-type f32 on an f16 file fails (rc {rc})")

# 3. One tensor scaled by 1.01: exactly the tensors PyTorch disagrees with fail.
for model, out_type, victim in (("vocoder", "f32", "ups.0.weight"),
                                ("encoder", "f16", "model.3.conv.conv.weight"),
                                ("text_encoder", "f32", "embedding.weight")):
    clean = read_safetensors(os.path.join(WORK, f"{model}_{out_type}.safetensors"))
    tensors = {n: a for n, (_, a) in clean.items()}
    tensors[victim] = (tensors[victim].astype(np.float64) * 1.01).astype(tensors[victim].dtype)
    path = os.path.join(WORK, f"{model}_{out_type}_scaled.safetensors")
    safetensors_io.write(path, tensors)
    want = disagreeing(model, out_type, read_safetensors(path))
    check(want == {victim}, f"{model}: PyTorch disagrees only with {victim} ({sorted(want)})")
    report = os.path.join(WORK, f"{model}_scaled.json")
    rc, text = verify(path, model, "--json", report)
    check(rc == 1 and failing_names(text) == want,
          f"verify {model} scaled {victim} fails naming it (rc {rc}, {failing_names(text)})")
    with open(report) as f:
        layers = {l["name"]: l["status"] for l in json.load(f)["layers"]}
    check(layers.get(victim) == "fail" and
          all(s == "pass" for n, s in layers.items() if n != victim),
          f"JSON report: {victim} fail, the rest pass")

# 4. A tensor removed / one added.
clean = read_safetensors(os.path.join(WORK, "vocoder_f32.safetensors"))
tensors = {n: a for n, (_, a) in clean.items() if n != "conv_post.bias"}
path = os.path.join(WORK, "vocoder_missing.safetensors")
safetensors_io.write(path, tensors)
want = disagreeing("vocoder", "f32", read_safetensors(path))
check(want == {"conv_post.bias"}, f"PyTorch: only conv_post.bias is unaccounted for ({want})")
rc, text = verify(path, "vocoder")
check(rc == 1 and failing_names(text) == want and "conv_post.bias (missing)" in text,
      f"verify with a missing tensor fails listing it (rc {rc})")

tensors = {n: a for n, (_, a) in clean.items()}
tensors["extra.weight"] = np.ones((2, 2), np.float32)
path = os.path.join(WORK, "vocoder_extra.safetensors")
safetensors_io.write(path, tensors)
want = disagreeing("vocoder", "f32", read_safetensors(path))
rc, text = verify(path, "vocoder")
check(rc == 1 and failing_names(text) == want == {"extra.weight"} and
      "extra.weight (extra)" in text, f"verify with an extra tensor fails listing it (rc {rc})")

# 5. Converted without weight-norm fusion by a schema file that keeps g and v apart, verified
#    against the hifigan preset: every fused weight is missing and every g/v is extra.
schema = os.path.join(WORK, "nofuse.textproto")
with open(schema, "w") as f:
    f.write('name: "nofuse"\npass { keep { pattern: ".*" } }\n')
path = os.path.join(WORK, "vocoder_nofuse.safetensors")
rc, _ = run([CONVERT, "--quiet", "--schema", schema,
             os.path.join(DUMPS, "vocoder", "checkpoint.pt"), path])
check(rc == 0, "convert vocoder without fusion")
want = disagreeing("vocoder", "f32", read_safetensors(path))
rc, text = verify(path, "vocoder")
check(rc == 1 and failing_names(text) == want and len(want) > 0,
      f"unfused file against hifigan fails on exactly the {len(want)} names PyTorch expects "
      f"(rc {rc}, verify {len(failing_names(text))})")
rc, text = run([VERIFY, "--weights", path, "--source",
                os.path.join(DUMPS, "vocoder", "checkpoint.pt"), "--schema", schema])
check(rc == 0, f"the same file against the schema it was made with passes (rc {rc})")

print(f"\n{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
