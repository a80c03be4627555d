#!/usr/bin/env bash
# Benchmark: a compressed dump holding one deflated 2 GiB float32 array (what np.savez_compressed
# writes for a large activation), listed, summarized and diffed against itself. Prints wall time
# and peak memory (GNU time) of each, and checks the statistics against NumPy's.
# Floors (issue 10): each peaks at <= 256 MiB.
#
# Usage: formats/npy/benchmarks/bench_deflated.sh [WORKDIR]   (default /tmp/tp_deflated_bench)
# Build first: bazel build //tools:inspect //verify:verify
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
W="${1:-/tmp/tp_deflated_bench}"
mkdir -p "$W"
[[ -x "$ROOT/bazel-bin/tools/inspect" && -x "$ROOT/bazel-bin/verify/verify" ]] ||
  { echo "build first: bazel build //tools:inspect //verify:verify" >&2; exit 2; }
if [[ ! -f "$W/big.npz" ]]; then
  echo "generating $W/big.npz (2 GiB float32, deflated; about 30 s)..." >&2
  /usr/bin/python3 - "$W" <<'PY'
import json, sys
import numpy as np
w = sys.argv[1]
a = np.tile((np.arange(1024, dtype=np.float32) - 511.5) / 7, (1 << 29) // 1024).reshape(1, 512, -1)
np.savez_compressed(w + "/big.npz", act=a)
d = a.astype(np.float64)
json.dump({"min": float(a.min()), "max": float(a.max()), "mean": float(d.mean()),
           "std": float(d.std())}, open(w + "/numpy_stats.json", "w"))
PY
fi
measure() {  # measure LABEL command...
  local label="$1"; shift
  /usr/bin/time -f "%e %M" -o "$W/time.txt" "$@" > "$W/$label.out" || true
  read -r wall kib < "$W/time.txt"
  printf "%-32s %8.2f s %9.1f MiB\n" "$label" "$wall" "$(echo "$kib / 1024" | bc -l)"
}
ls -la "$W/big.npz" | awk '{printf "archive: %.1f MiB holding 2.0 GiB of float32\n", $5 / 1048576}'
measure "inspect" "$ROOT/bazel-bin/tools/inspect" "$W/big.npz"
measure "inspect --stats --json" "$ROOT/bazel-bin/tools/inspect" --stats --json "$W/big.npz"
measure "verify --layer-diff (itself)" "$ROOT/bazel-bin/verify/verify" --layer-diff \
  --reference "$W/big.npz" --candidate "$W/big.npz"
/usr/bin/python3 - "$W" <<'PY'
import json, sys
w = sys.argv[1]
got = json.load(open(w + "/inspect --stats --json.out"))["tensors"][0]
want = json.load(open(w + "/numpy_stats.json"))
ok = all(abs(got[k] - want[k]) <= 1e-9 * max(1.0, abs(want[k])) + 1e-12 for k in want)
print("statistics vs NumPy:", "match" if ok else "DIFFER", {k: (got[k], want[k]) for k in want})
verdict = open(w + "/verify --layer-diff (itself).out").read().strip().splitlines()[-1]
print("verify:", verdict)
PY
