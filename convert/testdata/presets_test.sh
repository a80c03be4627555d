#!/usr/bin/env bash
# End-to-end tests of convert on tiny real PyTorch models (make_preset_fixtures.py), each output
# read back by an independent reader (check_converted.py) and compared with PyTorch's values.
# Usage (from Bazel): presets_test.sh CASE   with CASE one of hifigan, encodec, kokoro, mlx, cli.
set -euo pipefail
CASE="$1"
B=convert/convert
D=convert/testdata
T="${TEST_TMPDIR:-$(mktemp -d)}"
CHECK=(/usr/bin/python3 "$D/check_converted.py")
if [[ -z "${GGUF_PEER_DIR:-}" ]]; then
  # Runfiles link to the source tree; the peer is installed beside it (tests/gguf_peer/setup.sh).
  GGUF_PEER_DIR="$(dirname "$(realpath "$D/gguf_dump.mjs")")/../../tests/gguf_peer"
fi
export GGUF_PEER_DIR
if [[ "$CASE" != cli && "$CASE" != mlx && ! -d "$GGUF_PEER_DIR/node_modules/@huggingface/gguf" ]]; then
  echo "FAIL: the GGUF peer is not installed in $GGUF_PEER_DIR (run tests/gguf_peer/setup.sh)"
  exit 1
fi

expect_fail() {  # expect_fail SUBSTRING convert-args...
  local want="$1"; shift
  set +e
  "$B" "$@" >"$T/out.txt" 2>"$T/err.txt"
  local rc=$?
  set -e
  if [[ $rc -ne 2 ]]; then echo "FAIL: exit $rc, expected 2: $*"; cat "$T/err.txt"; exit 1; fi
  if ! grep -qF -- "$want" "$T/err.txt"; then
    echo "FAIL: stderr lacks '$want': $*"; cat "$T/err.txt"; exit 1
  fi
  if [[ $(wc -l <"$T/err.txt") -ne 1 ]]; then echo "FAIL: message is not one line"; cat "$T/err.txt"; exit 1; fi
}

case "$CASE" in
  hifigan)
    "$B" --preset hifigan --select generator --config "$D/bigvgan_config.json" \
      --report "$T/report.json" "$D/bigvgan.pth" "$T/g.gguf"
    "${CHECK[@]}" "$T/g.gguf" "$D/bigvgan_expected_hifigan.npz" \
      --meta general.architecture='"hifigan"' --meta hifigan.sampling_rate=22050 \
      --meta hifigan.upsample_rates='[2, 2]'
    /usr/bin/python3 -c "
import json, sys
r = json.load(open('$T/report.json'))
ups = [t for t in r['tensors'] if t['target'] == 'ups.0.weight'][0]
assert ups['sources'] == ['ups.0.weight_g', 'ups.0.weight_v'], ups
assert ups['transforms'] == ['fuse_weight_norm(dim=0)'], ups
print('report ok')"
    # A converted file converted again (GGUF -> safetensors): same values, and the source's own
    # provenance record kept beside the new one under the source prefix, not as a second key.
    "$B" --quiet --allow-unmapped "$T/g.gguf" "$T/g.safetensors"
    "${CHECK[@]}" "$T/g.safetensors" "$D/bigvgan_expected_hifigan.npz"
    /usr/bin/python3 -c "
import json, struct
b = open('$T/g.safetensors', 'rb').read()
meta = json.loads(b[8:8 + struct.unpack('<Q', b[:8])[0]])['__metadata__']
assert json.loads(meta['tensorport.provenance'])['source']['file'] == 'g.gguf', meta
assert json.loads(meta['tensorport.source.tensorport.provenance'])['source']['file'] == 'bigvgan.pth'
print('re-conversion provenance ok')"
    "$B" --quiet --preset hifigan --select generator --out-type f16 "$D/bigvgan.pth" "$T/g16.gguf"
    "${CHECK[@]}" "$T/g16.gguf" "$D/bigvgan_expected_hifigan.npz" --dtype f16 \
      --meta general.file_type=1
    ;;
  encodec)
    "$B" --quiet --from pytorch --to gguf --preset encodec "$D/encodec.pth" "$T/e.gguf"
    "${CHECK[@]}" "$T/e.gguf" "$D/encodec_expected_encodec.npz" --meta general.architecture='"encodec"'
    ;;
  kokoro)
    "$B" --quiet --preset kokoro "$D/kokoro.pth" "$T/k.gguf"
    "${CHECK[@]}" "$T/k.gguf" "$D/kokoro_expected_kokoro.npz"
    ;;
  mlx)
    for m in bigvgan encodec; do
      sel=(); [[ $m == bigvgan ]] && sel=(--select generator)
      "$B" --quiet --preset mlx "${sel[@]}" "$D/$m.pth" "$T/$m.safetensors"
      "${CHECK[@]}" "$T/$m.safetensors" "$D/${m}_expected_mlx.npz"
      # safetensors -> safetensors again: the source's provenance key must not appear twice.
      "$B" --quiet --allow-unmapped "$T/$m.safetensors" "$T/$m.again.safetensors"
      "${CHECK[@]}" "$T/$m.again.safetensors" "$D/${m}_expected_mlx.npz"
    done
    # The HiFi-GAN preset declares its layouts too, so --conv-layout mlx works with it.
    "$B" --quiet --preset hifigan --conv-layout mlx --select generator "$D/bigvgan.pth" "$T/h.safetensors"
    "${CHECK[@]}" "$T/h.safetensors" "$D/bigvgan_expected_mlx.npz"
    ;;
  cli)
    # A schema that leaves tensors unmapped fails and lists them all, with the nearest rule.
    cat >"$T/partial.textproto" <<'PB'
fuse_weight_norm: true
pass { keep { pattern: "conv_(pre|post)\\.(weight|bias)" } }
pass { keep { pattern: "ups\\.\\d+\\.(weight|bias)" } }
PB
    expect_fail "not mapped by any rule" --schema "$T/partial.textproto" --select generator \
      "$D/bigvgan.pth" "$T/x.gguf"
    for n in resblocks.0.convs1.0.weight_g resblocks.1.convs2.1.bias activation_post.act.alpha; do
      grep -qF "\"$n\"" "$T/err.txt" || { echo "FAIL: $n not listed"; cat "$T/err.txt"; exit 1; }
    done
    grep -qF "nearest rule" "$T/err.txt" || { echo "FAIL: no nearest rule"; exit 1; }
    [[ ! -e "$T/x.gguf" ]] || { echo "FAIL: output written"; exit 1; }
    # ... and --allow-unmapped passes them through.
    "$B" --quiet --allow-unmapped --schema "$T/partial.textproto" --select generator \
      "$D/bigvgan.pth" "$T/x.npz"
    # A bad textproto names the file, line and column.
    printf 'name: "x"\npass {\n  rename { patern: "a" }\n}\n' >"$T/bad.textproto"
    expect_fail "bad.textproto:3:" --schema "$T/bad.textproto" "$D/bigvgan.pth" "$T/x.gguf"
    # An unpaired weight_g is an error.
    /usr/bin/python3 -c "
import torch
sd = torch.load('$D/bigvgan.pth')['generator']
del sd['conv_pre.weight_v']
torch.save(sd, '$T/unpaired.pth')"
    expect_fail '"conv_pre.weight_g" has no matching weight_v' --fuse-weight-norm "$T/unpaired.pth" "$T/u.gguf"
    [[ ! -e "$T/u.gguf" ]] || { echo "FAIL: output written"; exit 1; }
    # No schema: dotted names and metadata kept; fusing on request.
    "$B" --quiet --fuse-weight-norm "$D/bigvgan.pth" "$T/plain.npz"
    /usr/bin/python3 -c "
import numpy as np
z = np.load('$T/plain.npz'); e = np.load('$D/bigvgan_expected_hifigan.npz')
assert sorted(z.files) == sorted('generator.' + k for k in e.files), z.files
for k in e.files: assert np.allclose(z['generator.' + k], e[k], rtol=2e-6, atol=1e-7), k
print('plain ok')"
    # --conv-layout mlx without declarations, OUT == IN, unknown output extension, dry run.
    expect_fail "conv1d_weight" --conv-layout mlx "$D/bigvgan.pth" "$T/m.safetensors"
    cp "$D/bigvgan.pth" "$T/same.gguf"
    expect_fail "output is the input" "$T/same.gguf" "$T/same.gguf"
    expect_fail "cannot tell the output format" "$D/bigvgan.pth" "$T/out.xyz"
    expect_fail "unknown flag" --out-tpye f16 "$D/bigvgan.pth" "$T/out.gguf"
    "$B" --dry-run --preset hifigan --select generator "$D/bigvgan.pth" "$T/dry.gguf" >"$T/dry.txt"
    [[ ! -e "$T/dry.gguf" ]] || { echo "FAIL: dry run wrote"; exit 1; }
    grep -qE "ups\.0\.weight_g \(\+1\) +-> ups\.0\.weight " "$T/dry.txt" || { echo "FAIL: table"; cat "$T/dry.txt"; exit 1; }
    # Without --select, non-tensor leaves become GGUF metadata under tensorport.source.
    "$B" --quiet --dry-run --report "$T/r.json" "$D/bigvgan.pth" "$T/all.gguf"
    /usr/bin/python3 -c "
import json
m = json.load(open('$T/r.json'))['metadata']
assert m['tensorport.source.steps'] == 1200 and m['general.architecture'] == 'tensorport', m
print('metadata ok')"
    # GGUF names over 63 bytes are refused with a rename hint.
    /usr/bin/python3 -c "
import torch
torch.save({'a' * 40 + '.' + 'b' * 30 + '.weight': torch.zeros(2)}, '$T/long.pth')"
    expect_fail "limited to 63 bytes" "$T/long.pth" "$T/long.gguf"
    echo "cli ok"
    ;;
  *) echo "unknown case $CASE"; exit 1 ;;
esac
