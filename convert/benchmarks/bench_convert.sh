#!/usr/bin/env bash
# Benchmark: convert a ~1 GiB f32 PyTorch checkpoint to GGUF (f32 and f16), beside `cp` of the same
# file and the usual Python path (torch.load, then write each tensor's bytes), in one run.
# Wall time and peak memory come from GNU time (/usr/bin/time -v; Debian package `time`).
# Floors (issue 4): f32 -> GGUF within 2x of cp, >= 4x faster than Python, peak memory < 128 MiB.
#
# Usage: convert/benchmarks/bench_convert.sh [WORKDIR]   (default /tmp/tp_convert_bench; needs ~4 GiB)
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

REPEATS="${REPEATS:-3}"
once() {  # once LABEL command...: prints "wall_seconds max_rss_kib"
  local label="$1"; shift
  rm -f "$W/out.gguf" "$W/out.cp" "$W/out.bin"
  sync  # the previous run's dirty pages must not throttle this one's writes
  /usr/bin/time -v "$@" >/dev/null 2>"$W/time_$label.txt" || { cat "$W/time_$label.txt" >&2; exit 1; }
  local wall rss
  wall=$(grep "Elapsed (wall clock)" "$W/time_$label.txt" | awk -F': ' '{print $2}' |
         awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
  rss=$(grep "Maximum resident set size" "$W/time_$label.txt" | awk -F': ' '{print $2}')
  echo "$wall $rss"
}
run() {  # median wall time and the largest peak memory of REPEATS runs
  for ((i = 0; i < REPEATS; ++i)); do once "$@"; done |
    sort -n | awk '{ w[NR] = $1; if ($2 > m) m = $2 } END { print w[int((NR + 1) / 2)], m }'
}

read -r cp_t cp_m < <(run cp cp "$W/model.pth" "$W/out.cp")
read -r f32_t f32_m < <(run f32 "$BIN" --quiet --select model "$W/model.pth" "$W/out.gguf")
SIZE=$(stat -c %s "$W/model.pth")
OUT32=$(stat -c %s "$W/out.gguf")
read -r f16_t f16_m < <(run f16 "$BIN" --quiet --select model --out-type f16 "$W/model.pth" "$W/out.gguf")
OUT16=$(stat -c %s "$W/out.gguf")
read -r py_t py_m < <(run python /usr/bin/python3 "$W/python_path.py" "$W/model.pth" "$W/out.bin")
rm -f "$W/out.gguf" "$W/out.cp" "$W/out.bin"

/usr/bin/python3 - "$SIZE" "$OUT32" "$OUT16" "$cp_t" "$cp_m" "$f32_t" "$f32_m" "$f16_t" "$f16_m" "$py_t" "$py_m" <<'PY'
import sys
size, out32, out16 = (int(x) for x in sys.argv[1:4])
cp_t, cp_m, f32_t, f32_m, f16_t, f16_m, py_t, py_m = (float(x) for x in sys.argv[4:])
mib = lambda kib: kib / 1024
print(f"input: {size / 2**30:.2f} GiB PyTorch checkpoint (f32); outputs: f32 GGUF {out32 / 2**30:.2f} GiB, f16 GGUF {out16 / 2**30:.2f} GiB")
print(f"{'contender':28s} {'wall s':>8s} {'peak MiB':>9s}")
for label, t, m in [("cp", cp_t, cp_m), ("convert -> GGUF f32", f32_t, f32_m),
                    ("convert -> GGUF f16", f16_t, f16_m), ("python (torch.load + write)", py_t, py_m)]:
    print(f"{label:28s} {t:8.2f} {mib(m):9.1f}")
r_cp = f32_t / cp_t if cp_t > 0 else float("inf")
r_py = py_t / f32_t if f32_t > 0 else float("inf")
print(f"ratios: f32 convert / cp = {r_cp:.2f}x (floor <= 2x); python / f32 convert = {r_py:.2f}x (floor >= 4x); "
      f"python / f16 convert = {py_t / f16_t:.2f}x; peak memory f32 {mib(f32_m):.1f} MiB, f16 {mib(f16_m):.1f} MiB (floor < 128 MiB)")
ok = r_cp <= 2 and r_py >= 4 and mib(f32_m) < 128 and mib(f16_m) < 128
print("floors:", "met" if ok else "NOT met")
PY
