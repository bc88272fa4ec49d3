#!/usr/bin/env bash
# Seed-scale benchmark: hardneg end to end on a 150,000 x 1024 float16 synth
# set with 28,000 anchors, screened (the default) and with --exact, beside a
# reference SGEMM of the same multiply (Debian's NumPy on OpenBLAS, all
# cores), in one run on one machine.
#
#   bash bench/seed-scale.sh            # as root: installs python3-numpy and OpenBLAS if missing
#
# DATA (default /tmp/hardneg-seed-150000x1024) caches the synth set between runs.
set -euo pipefail
cd "$(dirname "$0")/.."

DATA=${DATA:-/tmp/hardneg-seed-150000x1024}
. bench/common.sh
need_numpy
if [ ! -f "$DATA/term_embeddings.npy" ]; then
  "$BIN" synth --out "$DATA" --terms 150000 --dim 1024 --anchors 28000 --dtype f16
fi

# hardneg end to end, with the screen (the default) and with --exact; the
# stats file says how many pairs the screen re-checked in float32.
mine_run() { # label, extra flags...
  local label=$1 out log
  shift
  out=$(mktemp -d)
  log=bench/out/hardneg-$label.log
  /usr/bin/time -v "$BIN" mine --data-dir "$DATA" --out "$out" "$@" 2> "$log"
  grep -vE '^\s' "$log" || true
  wall=$(grep 'Elapsed (wall clock)' "$log" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(grep 'Maximum resident set size' "$log" | awk '{print $NF}')
  share=$(/usr/bin/python3 -c 'import json,sys; s=json.load(open(sys.argv[1])).get("screen") or {}; print(s.get("rechecked_percent", 0) if s.get("on") else "-")' "$out/data_preparation_stats.json")
  rm -rf "$out"
  eval "wall_$label=$wall rss_$label=$rss share_$label=$share"
}
mine_run screened
mine_run exact --exact

# The reference: the same normalised float32 matrices, anchors x terms,
# multiplied in chunks of anchors so the result fits in memory; only the
# multiplies are timed. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, which this
# machine may set for old OpenBLAS builds, slow a current one down; they are
# unset for this command alone.
ref=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 - "$DATA" <<'PY'
import sys, time, json
import numpy as np
d = sys.argv[1]
e = np.load(d + "/term_embeddings.npy").astype(np.float32)
e /= np.linalg.norm(e, axis=1, keepdims=True)
terms = json.load(open(d + "/term_list.json"))
anchors = set()
for line in open(d + "/filtered_synonym_pairs.jsonl", encoding="utf-8"):
    if line.strip():
        p = json.loads(line)
        anchors.update((p["source"], p["target"]))
idx = [i for i, t in enumerate(terms) if t in anchors]
a = np.ascontiguousarray(e[idx])
bt = np.ascontiguousarray(e.T)
a[:512] @ bt  # warm-up
t = time.perf_counter()
for i in range(0, len(a), 2048):
    a[i:i+2048] @ bt
t = time.perf_counter() - t
print(f"{t:.3f} {len(a)} {2*len(a)*e.shape[0]*e.shape[1]/t/1e9:.1f}")
PY
)
read -r reft nanch gflops <<<"$ref"
f32=$(( 150000 * 1024 * 4 / 1024 ))
for label in screened exact; do
  eval "wall=\$wall_$label rss=\$rss_$label share=\$share_$label"
  printf 'hardneg %-9s end to end: %6.1f s, peak RSS %s KiB (%s x the float32 matrix), re-checked %s%% of pairs\n' \
    "$label" "$wall" "$rss" "$(awk "BEGIN{printf \"%.2f\", $rss/$f32}")" "$share"
done
echo "reference SGEMM (NumPy):     ${reft} s for ${nanch} anchors x 150000 x 1024 (${gflops} GFLOP/s)"
echo "ratio hardneg / SGEMM:       screened $(awk "BEGIN{printf \"%.2f\", $wall_screened/$reft}"), exact $(awk "BEGIN{printf \"%.2f\", $wall_exact/$reft}") (goal <= 0.6)"
