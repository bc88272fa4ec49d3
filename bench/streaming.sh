#!/usr/bin/env bash
# The corpus larger than the memory budget: 4,000,000 documents x 384
# (float16, 3 GB on disk) against 20,000 queries, mined once with
# --max-memory 1GiB (the corpus streams from its .npy in chunks) and once
# with no limit (the corpus held whole as float32, 5.7 GiB), beside the bare
# OpenBLAS SGEMM of the same multiply (Debian's NumPy, all cores), all in
# one run on one machine. It reports each run's wall time and peak
# anonymous memory (bench/peakmem.py), checks that the two runs wrote the
# same bytes, and sets both beside what 'hardneg plan' predicted.
#
#   bash bench/streaming.sh        # as root: installs python3-numpy and OpenBLAS if missing
#
# DATA (default /tmp/hardneg-beir-4000000x384) caches the data set; DOCS,
# QUERIES and DIM change its size, BUDGET the limit (default 1GiB).
set -euo pipefail
cd "$(dirname "$0")/.."

DOCS=${DOCS:-4000000}
QUERIES=${QUERIES:-20000}
DIM=${DIM:-384}
BUDGET=${BUDGET:-1GiB}
DATA=${DATA:-/tmp/hardneg-beir-${DOCS}x${DIM}}
. bench/common.sh
need_numpy
if [ ! -f "$DATA/corpus_embeddings.npy" ]; then
  "$BIN" synth --beir --out "$DATA" --docs "$DOCS" --queries "$QUERIES" --dim "$DIM" --dtype f16
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$BIN" plan --beir-dir "$DATA" --max-memory "$BUDGET" --json >bench/out/plan-limited.json
"$BIN" plan --beir-dir "$DATA" --json >bench/out/plan-whole.json
"$BIN" plan --beir-dir "$DATA" --max-memory "$BUDGET"

python3 bench/peakmem.py bench/out/mem-limited.json -- "$BIN" mine --beir-dir "$DATA" --out "$out/limited" --max-memory "$BUDGET" 2>bench/out/streaming-limited.log
python3 bench/peakmem.py bench/out/mem-whole.json -- "$BIN" mine --beir-dir "$DATA" --out "$out/whole" 2>bench/out/streaming-whole.log
grep -E '^memory:' bench/out/streaming-limited.log bench/out/streaming-whole.log || true

# The same bytes: every file, and the stats file but for its timings and
# its record of the screen.
same=yes
for f in $(cd "$out/whole" && find . -type f | sort); do
  if [ "$(basename "$f")" = data_preparation_stats.json ]; then
    for d in whole limited; do
      python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); s.pop("timings_seconds"); s.pop("screen", None); print(json.dumps(s, sort_keys=True))' "$out/$d/$f" >"$out/$d.stats"
    done
    cmp -s "$out/whole.stats" "$out/limited.stats" || { echo "differs: $f (beyond timings)"; same=no; }
  else
    cmp -s "$out/whole/$f" "$out/limited/$f" || { echo "differs: $f"; same=no; }
  fi
done
cp "$out/limited/data_preparation_stats.json" bench/out/stats-limited.json
cp "$out/whole/data_preparation_stats.json" bench/out/stats-whole.json

# The reference: the same normalised float32 matrices multiplied in blocks
# of 1024 queries x 262144 documents (1 GiB of scores at a time); only the
# multiplies are timed.
ref=$(env -u OPENBLAS_CORETYPE /usr/bin/python3 - "$DATA" <<'PY'
import sys, time
import numpy as np
d = sys.argv[1]
c = np.load(d + "/corpus_embeddings.npy", mmap_mode="r")
ct = np.empty((c.shape[1], c.shape[0]), dtype=np.float32)
for i in range(0, c.shape[0], 262144):
    b = np.asarray(c[i:i+262144], dtype=np.float32)
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    ct[:, i:i+262144] = b.T
q = np.load(d + "/query_embeddings.npy").astype(np.float32)
q /= np.linalg.norm(q, axis=1, keepdims=True)
out = np.empty((1024, 262144), dtype=np.float32)
np.matmul(q[:1024], ct[:, :262144], out=out)  # warm-up
t = time.perf_counter()
for j in range(0, ct.shape[1], 262144):
    cb = np.ascontiguousarray(ct[:, j:j+262144])
    for i in range(0, len(q), 1024):
        qb = q[i:i+1024]
        np.matmul(qb, cb, out=out[:len(qb), :cb.shape[1]])
t = time.perf_counter() - t
print(f"{t:.3f} {2*len(q)*ct.shape[1]*ct.shape[0]/t/1e9:.1f}")
PY
)
read -r reft gflops <<<"$ref"

python3 - "$same" "$reft" "$gflops" "$BUDGET" <<'PY'
import json, sys
same, reft, gflops, budget = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
def load(name): return json.load(open(f"bench/out/{name}.json"))
rows = []
for kind, label in (("limited", f"--max-memory {budget}"), ("whole", "no limit")):
    mem, plan, stats = load(f"mem-{kind}"), load(f"plan-{kind}"), load(f"stats-{kind}")
    g = plan["grids"][0]
    pt, pm = g["wall_seconds"], g["largest_task"]["memory_bytes"] / 2**20
    mt, anon = mem["wall_seconds"], mem["peak_rss_anon_kib"] / 1024
    print(f"{label:>22}: {mt:7.1f} s wall (scan {stats['timings_seconds']['scan']:.1f} s), peak anonymous RSS {anon:7.1f} MiB"
          f" (VmHWM {mem['vm_hwm_kib']/1024:.1f} MiB with file pages);"
          f" plan said {pt:.1f} s ({(pt-mt)/mt:+.0%}) and {pm:.1f} MiB ({(pm-anon)/anon:+.0%})")
print(f"{'OpenBLAS SGEMM':>22}: {reft:7.1f} s for the multiply alone ({gflops} GFLOP/s)")
print(f"byte-identical outputs: {same}")
PY
[ "$same" = yes ]
