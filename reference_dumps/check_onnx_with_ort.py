#!/usr/bin/python3
"""Runs each reference model's model.onnx in ONNX Runtime (npm onnxruntime-node) and compares the
outputs with PyTorch: on the bundled inputs (against reference.npz) and on a second input set with a
different batch size and length (exercising the dynamic axes; expected values from PyTorch on the
saved checkpoint).

Needs onnxruntime-node installed somewhere (`npm install --ignore-scripts onnxruntime-node` in DIR):
  /usr/bin/python3 reference_dumps/check_onnx_with_ort.py --node-modules DIR/node_modules
Exit 0 when every output agrees within 1e-5 absolute, 1 otherwise, 2 when ONNX Runtime is missing.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(_HERE), "tools"))
import reference_models as rm  # noqa: E402

_JS = r"""
const ort = require('onnxruntime-node');
const fs = require('fs');
(async () => {
  const spec = JSON.parse(fs.readFileSync(process.argv[2]));
  const out = {};
  for (const c of spec.cases) {
    const sess = await ort.InferenceSession.create(c.model);
    const feeds = {};
    for (const i of c.inputs) {
      const isInt = i.dtype === 'int64';
      const data = isInt ? BigInt64Array.from(i.data.map(BigInt)) : Float32Array.from(i.data);
      feeds[i.name] = new ort.Tensor(isInt ? 'int64' : 'float32', data, i.shape);
    }
    const res = await sess.run(feeds);
    out[c.id] = {};
    for (const k of Object.keys(res)) out[c.id][k] = {dims: res[k].dims, data: Array.from(res[k].data)};
  }
  fs.writeFileSync(process.argv[3], JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
"""


def _other_inputs(name, rng):
  return {
      "vocoder": {"mel": rng.standard_normal((2, 8, 10)).astype(np.float32)},
      "encoder": {"audio": (0.3 * rng.standard_normal((2, 1, 128))).astype(np.float32)},
      "dit": {"x": rng.standard_normal((2, 7, 32)).astype(np.float32),
              "c": rng.standard_normal((2, 32)).astype(np.float32)},
      "text_encoder": {"tokens": rng.integers(0, 40, (2, 9)).astype(np.int64)},
  }[name]


def _case(cid, model, inputs):
  return {"id": cid, "model": model,
          "inputs": [{"name": k, "dtype": str(v.dtype), "shape": list(v.shape),
                      "data": v.ravel().tolist()} for k, v in inputs.items()]}


def main(argv=None):
  p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  p.add_argument("--node-modules", required=True)
  p.add_argument("--root", default=_HERE)
  a = p.parse_args(argv)
  if not os.path.isdir(os.path.join(a.node_modules, "onnxruntime-node")):
    sys.stderr.write("%s: no onnxruntime-node there\n" % a.node_modules)
    return 2
  rng = np.random.default_rng(5)
  cases, expected = [], {}
  for name, cls in rm.MODELS.items():
    d = os.path.join(os.path.abspath(a.root), name)
    with np.load(os.path.join(d, "inputs.npz")) as z:
      inputs = {k: z[k] for k in z.files}
    with np.load(os.path.join(d, "reference.npz")) as z:
      expected[name] = {o: z[o] for o in cls.OUTPUT_NAMES}
    cases.append(_case(name, os.path.join(d, "model.onnx"), inputs))
    other = _other_inputs(name, rng)
    model = cls()
    model.load_state_dict(torch.load(os.path.join(d, "checkpoint.pt"), map_location="cpu"))
    with torch.no_grad():
      y = model.eval()(*[torch.from_numpy(v) for v in other.values()])
    expected[name + "_dynamic"] = {cls.OUTPUT_NAMES[0]: y.numpy()}
    cases.append(_case(name + "_dynamic", os.path.join(d, "model.onnx"), other))
  with tempfile.TemporaryDirectory() as tmp:
    for fname, text in (("run.js", _JS), ("spec.json", json.dumps({"cases": cases}))):
      with open(os.path.join(tmp, fname), "w") as f:
        f.write(text)
    env = dict(os.environ, NODE_PATH=os.path.abspath(a.node_modules))
    r = subprocess.run(["node", os.path.join(tmp, "run.js"), os.path.join(tmp, "spec.json"),
                        os.path.join(tmp, "out.json")], env=env, capture_output=True, text=True)
    if r.returncode != 0:
      sys.stderr.write(r.stderr[-2000:])
      return 1
    with open(os.path.join(tmp, "out.json")) as f:
      got = json.load(f)
  failures = 0
  for cid, outs in expected.items():
    for o, want in outs.items():
      g = np.array(got[cid][o]["data"], dtype=np.float32).reshape(got[cid][o]["dims"])
      ok = g.shape == want.shape and float(np.max(np.abs(g - want))) <= 1e-5
      failures += not ok
      print("%-22s %-9s %-14s max abs %.3g %s" % (cid, o, g.shape, np.max(np.abs(g - want))
                                                  if g.shape == want.shape else float("nan"),
                                                  "ok" if ok else "FAIL"))
  print("%d outputs, %d failures" % (sum(len(v) for v in expected.values()), failures))
  return 1 if failures else 0


if __name__ == "__main__":
  sys.exit(main())
