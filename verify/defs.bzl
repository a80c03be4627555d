"""layer_diff_test: gate a port or a conversion with `bazel test`.

Example (BUILD):
    load("//verify:defs.bzl", "layer_diff_test")

    layer_diff_test(
        name = "vocoder_port_test",
        reference = "reference.npz",      # dump of the PyTorch model (tools/dump_reference.py)
        candidate = "port_dump.npz",      # the port's own activations
        tolerances = "tolerances.textproto",
        map = "names.textproto",
    )

    layer_diff_test(                      # converted weights vs their source (mode 0)
        name = "vocoder_weights_test",
        weights = "vocoder.safetensors",
        source = "generator.pth",
    )

The test runs //verify:verify and passes when it exits 0; the JSON, JUnit and HTML reports land
in the test's undeclared outputs (bazel-testlogs/.../test.outputs/). `model`, `inputs` and
`reference` select the model mode (the export run on the project's runtime, every module's output
compared); add `weights`, `source` (and `schema`) to run it with converted weights (mode 3).
"""

def _add(args, data, flag, label):
    if label:
        args.append("--%s=$(rootpath %s)" % (flag, label))
        data.append(label)

def layer_diff_test(
        name,
        reference = None,
        candidate = None,
        model = None,
        inputs = None,
        weights = None,
        source = None,
        schema = None,
        tolerances = None,
        map = None,
        layout = None,
        atol = None,
        rtol = None,
        device = None,
        isolate = False,
        strict_names = False,
        **kwargs):
    args = []
    data = ["//verify:verify"]

    if model:
        args.append("--layer-diff")
        _add(args, data, "model", model)
        _add(args, data, "inputs", inputs)
        _add(args, data, "reference", reference)
        _add(args, data, "weights", weights)
        _add(args, data, "source", source)
        if device:
            args.append("--device=" + device)
        if isolate:
            args.append("--isolate")
    elif candidate:
        args.append("--layer-diff")
        _add(args, data, "reference", reference)
        _add(args, data, "candidate", candidate)
    elif weights:
        _add(args, data, "weights", weights)
        _add(args, data, "source", source)
    else:
        fail("layer_diff_test %s: give candidate (dump vs dump), model, or weights + source" % name)
    _add(args, data, "schema", schema)
    _add(args, data, "tolerances", tolerances)
    _add(args, data, "map", map)
    _add(args, data, "layout", layout)
    if atol != None:
        args.append("--atol=%s" % atol)
    if rtol != None:
        args.append("--rtol=%s" % rtol)
    if strict_names:
        args.append("--strict-names")
    native.sh_test(
        name = name,
        srcs = ["//verify:layer_diff_test_runner.sh"],
        args = ["$(rootpath //verify:verify)"] + args,
        data = data,
        **kwargs
    )
