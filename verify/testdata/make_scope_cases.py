"""Scope -> module cases for model_mode_test: the `onnx_scope_to_dump_name` maps that
tools/export_onnx.py (scope_to_module, Python) wrote into reference_dumps/*/manifest.json,
as "node_name<TAB>module" lines (a dummy op segment appended to each scope).
usage: make_scope_cases.py OUT.tsv MANIFEST.json...
"""
import json
import sys

with open(sys.argv[1], "w") as out:
    for path in sys.argv[2:]:
        for scope, name in json.load(open(path))["onnx_scope_to_dump_name"].items():
            out.write("%s/Op\t%s\n" % (scope, name))
