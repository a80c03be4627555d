#!/usr/bin/env bash
# Benchmark: convert a ~1 GiB f32 PyTorch checkpoint to GGUF (f32 and f16), in alternating pairs
# with `cp` of the same file, and the usual Python path (torch.load, then write each tensor's
# bytes) once, in one run. Wall time and peak memory come from GNU time (/usr/bin/time -v; Debian
# package `time`). Floors: median f32 convert / cp <= 1.2x, peak memory <= 64 MiB, f16 output at
# >= 1 GiB/s of input.
#
# Usage: [PAIRS=7] convert/benchmarks/bench_convert.sh [WORKDIR]   (default /tmp/tp_convert_bench; needs ~4 GiB)
# Build first: bazel build //convert:convert
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BIN="${CONVERT_BIN:-$ROOT/bazel-bin/convert/convert}"
W="${1:-/tmp/tp_convert_bench}"
mkdir -p "$W"
if [[ ! -x /usr/bin/time ]]; then
  echo "GNU time is missing: apt-get install -y time" >&2
  exit 2
fi
[[ -x "$BIN" ]] || { echo "build first: bazel build //convert:convert" >&2; exit 2; }

if [[ ! -f "$W/model.pth" ]]; then
  echo "generating $W/model.pth (~1 GiB f32, 256 tensors)..." >&2
  /usr/bin/python3 - "$W/model.pth" <<'PY'
import sys, torch
g = torch.Generator().manual_seed(0)
sd = {}
for i in range(64):
    sd[f"blocks.{i}.conv.weight"] = torch.randn(512, 512, 3, generator=g)   # 3 MiB
    sd[f"blocks.{i}.proj.weight"] = torch.randn(1024, 1024, generator=g)   # 4 MiB
    sd[f"blocks.{i}.ff.weight"] = torch.randn(2048, 1024, generator=g)     # 8 MiB
    sd[f"blocks.{i}.ff.bias"] = torch.randn(2048, generator=g)
torch.save({"model": sd, "step": 1}, sys.argv[1])
PY
fi
cat > "$W/python_path.py" <<'PY'
import sys, torch
sd = torch.load(sys.argv[1], map_location="cpu")["model"]
with open(sys.argv[2], "wb") as f:
    for name, t in sd.items():
        f.write(t.contiguous().numpy().tobytes())
PY
# Warm the page cache so every contender reads from memory.
cat "$W/model.pth" >/dev/null

PAIRS="${PAIRS:-7}"
once() {  # once LABEL command...: prints "wall_seconds max_rss_kib"
  local label="$1"; shift
  rm -f "$W/out.gguf" "$W/out.cp" "$W/out.bin"
  sync  # the previous run's dirty pages must not throttle this one's writes
  # Wall time from the nanosecond clock around the run (GNU time's is in 10 ms steps, 4% of a
  # 0.25 s copy); GNU time for the peak memory.
  local start end wall rss
  start=$(date +%s%N)
  /usr/bin/time -v "$@" >/dev/null 2>"$W/time_$label.txt" || { cat "$W/time_$label.txt" >&2; exit 1; }
  end=$(date +%s%N)
  wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
  rss=$(grep "Maximum resident set size" "$W/time_$label.txt" | awk -F': ' '{print $2}')
  echo "$wall $rss"
}

# Alternating pairs: cp, then convert, PAIRS times; each pair gives one ratio, so a noisy moment on
# this shared machine spoils one pair, not one contender. Reported: the median ratio and the range.
: > "$W/pairs.txt"
for ((i = 0; i < PAIRS; ++i)); do
  read -r cp_t cp_m < <(once cp cp "$W/model.pth" "$W/out.cp")
  read -r f32_t f32_m < <(once f32 "$BIN" --quiet --select model "$W/model.pth" "$W/out.gguf")
  read -r f16_t f16_m < <(once f16 "$BIN" --quiet --select model --out-type f16 "$W/model.pth" "$W/out.gguf")
  echo "$cp_t $cp_m $f32_t $f32_m $f16_t $f16_m" >> "$W/pairs.txt"
done
SIZE=$(stat -c %s "$W/model.pth")
"$BIN" --quiet --select model "$W/model.pth" "$W/out.gguf"
OUT32=$(stat -c %s "$W/out.gguf")
"$BIN" --quiet --select model --out-type f16 "$W/model.pth" "$W/out.gguf"
OUT16=$(stat -c %s "$W/out.gguf")
read -r py_t py_m < <(once python /usr/bin/python3 "$W/python_path.py" "$W/model.pth" "$W/out.bin")
rm -f "$W/out.gguf" "$W/out.cp" "$W/out.bin"

/usr/bin/python3 - "$SIZE" "$OUT32" "$OUT16" "$py_t" "$py_m" "$W/pairs.txt" <<'PY'
import statistics, sys
size, out32, out16 = (int(x) for x in sys.argv[1:4])
py_t, py_m = float(sys.argv[4]), float(sys.argv[5])
rows = [[float(v) for v in line.split()] for line in open(sys.argv[6]) if line.strip()]
cp_t = [r[0] for r in rows]; f32_t = [r[2] for r in rows]; f16_t = [r[4] for r in rows]
ratios = sorted(r[2] / r[0] for r in rows)
r16 = sorted(r[4] / r[0] for r in rows)
med = statistics.median
mib = lambda kib: kib / 1024
peak32 = max(mib(r[3]) for r in rows); peak16 = max(mib(r[5]) for r in rows); peakcp = max(mib(r[1]) for r in rows)
gib = size / 2**30
print(f"input: {gib:.2f} GiB PyTorch checkpoint (f32); outputs: f32 GGUF {out32 / 2**30:.2f} GiB, f16 GGUF {out16 / 2**30:.2f} GiB")
print(f"{len(rows)} alternating pairs (cp, convert f32, convert f16); median wall and largest peak:")
print(f"{'contender':28s} {'wall s':>8s} {'peak MiB':>9s}")
for label, t, m in [("cp", med(cp_t), peakcp), ("convert -> GGUF f32", med(f32_t), peak32),
                    ("convert -> GGUF f16", med(f16_t), peak16),
                    ("python (torch.load + write)", py_t, mib(py_m))]:
    print(f"{label:28s} {t:8.3f} {m:9.1f}")
f16_rate = gib / med(f16_t)
print(f"convert f32 / cp: median {med(ratios):.2f}x (pairs {ratios[0]:.2f}-{ratios[-1]:.2f}); "
      f"convert f16 / cp: median {med(r16):.2f}x")
print(f"f16 narrowing: {f16_rate:.2f} GiB/s of input; python / convert f32 = {py_t / med(f32_t):.1f}x; "
      f"peak memory f32 {peak32:.1f} MiB, f16 {peak16:.1f} MiB")
ok = med(ratios) <= 1.2 and max(peak32, peak16) <= 64 and f16_rate >= 1.0
print("floors (median f32/cp <= 1.2x, peak <= 64 MiB, f16 >= 1 GiB/s):", "met" if ok else "NOT met")
PY
