"""Turns a bundled model + its inputs (and ONNX Runtime's outputs) into a conformance case folder.

  /usr/bin/python3 make_case.py inputs MODEL.onnx INPUTS.npz NPY_DIR CASE_DIR
      writes NPY_DIR/<input>.npy for run_ort.js, CASE_DIR/model.onnx and
      CASE_DIR/test_data_set_0/input_<i>.pb in the model's input order
  /usr/bin/python3 make_case.py outputs MODEL.onnx NPY_DIR CASE_DIR
      writes CASE_DIR/test_data_set_0/output_<i>.pb from ONNX Runtime's NPY_DIR/<output>.npy
"""
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def graph_inputs(model):
    inits = {t.name for t in model.graph.initializer}
    return [i.name for i in model.graph.input if i.name not in inits]


def main():
    mode, model_path = sys.argv[1], sys.argv[2]
    model = onnx.load(model_path)
    if mode == "inputs":
        npz, npy_dir, case = sys.argv[3:6]
        data = np.load(npz)
        os.makedirs(npy_dir, exist_ok=True)
        os.makedirs(os.path.join(case, "test_data_set_0"), exist_ok=True)
        shutil.copyfile(model_path, os.path.join(case, "model.onnx"))
        for i, name in enumerate(graph_inputs(model)):
            if name not in data.files:
                sys.exit(f"{npz}: no array for model input {name!r}; has {data.files}")
            arr = np.array(data[name], order="C")  # keeps 0-d scalars (ascontiguousarray makes them 1-d)
            np.save(os.path.join(npy_dir, name + ".npy"), arr)
            with open(os.path.join(case, "test_data_set_0", f"input_{i}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(arr, name).SerializeToString())
    elif mode == "outputs":
        npy_dir, case = sys.argv[3:5]
        for i, out in enumerate(model.graph.output):
            arr = np.load(os.path.join(npy_dir, out.name + ".npy"))
            with open(os.path.join(case, "test_data_set_0", f"output_{i}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(arr, out.name).SerializeToString())
    else:
        sys.exit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main()
