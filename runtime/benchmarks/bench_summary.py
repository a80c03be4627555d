"""Summarizes bench_runtime.sh's result lines: per model and thread count the median of every
timed run of each runtime and their ratio (tensorport / ONNX Runtime), the geometric mean of the
ratios per thread count, and peak memory per model with its ratio.

Usage: /usr/bin/python3 bench_summary.py RESULTS_FILE
"""
import collections
import math
import statistics
import sys


def main():
    runs = collections.defaultdict(list)  # (runtime, model, threads) -> [ms]
    outputs = {}                           # (runtime, model) -> mean |out|
    memory = {}                            # (runtime, model) -> MiB
    loads = []
    for line in open(sys.argv[1]):
        parts = line.split()
        if line.startswith("load average"):
            loads.append(line.strip())
            continue
        if parts[:1] == ["memory"]:
            memory[(parts[1], parts[2])] = int(parts[3].split("=")[1]) / 1024.0
            continue
        if len(parts) < 4 or parts[0] not in ("tensorport", "ort"):
            continue
        fields = dict(p.split("=", 1) for p in parts[2:])
        key = (parts[0], parts[1], int(fields["threads"]))
        runs[key] += [float(x) for x in fields["runs_ms"].split(",")]
        outputs[(parts[0], parts[1])] = fields["mean_abs_out"]

    models = []
    for (_, m, _) in runs:
        if m not in models:
            models.append(m)
    threads = sorted({t for (_, _, t) in runs})
    print()
    for l in loads:
        print(l)
    print("%-10s %7s %13s %9s %7s   %s" % ("model", "threads", "tensorport_ms", "ort_ms", "ratio",
                                            "mean |output| tensorport / ort"))
    ratios = collections.defaultdict(list)
    for m in models:
        for t in threads:
            a, b = runs.get(("tensorport", m, t)), runs.get(("ort", m, t))
            if not a or not b:
                continue
            ta, tb = statistics.median(a), statistics.median(b)
            ratios[t].append(ta / tb)
            print("%-10s %7d %13.2f %9.2f %7.2f   %s / %s" % (
                m, t, ta, tb, ta / tb, outputs.get(("tensorport", m)), outputs.get(("ort", m))))
    for t in threads:
        r = ratios[t]
        if r:
            geo = math.exp(sum(math.log(x) for x in r) / len(r))
            print("geometric mean, %d thread%s: %.2f (worst %.2f)" % (t, "s" if t > 1 else "", geo,
                                                                     max(r)))
    if memory:
        print("%-10s %16s %10s %7s" % ("model", "tensorport_MiB", "ort_MiB", "ratio"))
        for m in models:
            a, b = memory.get(("tensorport", m)), memory.get(("ort", m))
            if a and b:
                print("%-10s %16.0f %10.0f %7.2f" % (m, a, b, a / b))


if __name__ == "__main__":
    main()
