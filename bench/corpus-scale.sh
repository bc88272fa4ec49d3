#!/usr/bin/env bash
# Corpus-scale benchmark: hardneg end to end on queries against a corpus,
# 1,000,000 documents x 768 (float16) and 10,000 queries, synthesised in the
# BEIR layout, beside a reference SGEMM of the same multiply (Debian's NumPy
# on OpenBLAS, all cores), in one run on one machine.
#
#   bash bench/corpus-scale.sh          # as root: installs python3-numpy and OpenBLAS if missing
#
# DATA (default /tmp/hardneg-beir-1000000x768) caches the synth set between
# runs; DOCS, QUERIES and DIM change its size; FLAGS are extra mine flags.
set -euo pipefail
cd "$(dirname "$0")/.."

DOCS=${DOCS:-1000000}
QUERIES=${QUERIES:-10000}
DIM=${DIM:-768}
DATA=${DATA:-/tmp/hardneg-beir-${DOCS}x${DIM}}
FLAGS=${FLAGS:-}
. bench/common.sh
need_numpy
if [ ! -f "$DATA/corpus_embeddings.npy" ]; then
  "$BIN" synth --beir --out "$DATA" --docs "$DOCS" --queries "$QUERIES" --dim "$DIM" --dtype f16
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# shellcheck disable=SC2086
/usr/bin/time -v "$BIN" mine --beir-dir "$DATA" --out "$out" $FLAGS 2> bench/out/hardneg-corpus.log
grep -vE '^\s' bench/out/hardneg-corpus.log || true
wall=$(grep 'Elapsed (wall clock)' bench/out/hardneg-corpus.log | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
rss=$(grep 'Maximum resident set size' bench/out/hardneg-corpus.log | awk '{print $NF}')

# The reference: the same normalised float32 matrices, queries x documents,
# multiplied in chunks of queries so the result fits in memory; only the
# multiplies are timed.
ref=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 - "$DATA" <<'PY'
import sys, time
import numpy as np
d = sys.argv[1]
c = np.load(d + "/corpus_embeddings.npy").astype(np.float32)
c /= np.linalg.norm(c, axis=1, keepdims=True)
q = np.load(d + "/query_embeddings.npy").astype(np.float32)
q /= np.linalg.norm(q, axis=1, keepdims=True)
ct = np.ascontiguousarray(c.T)
del c
q[:128] @ ct  # warm-up
t = time.perf_counter()
for i in range(0, len(q), 512):
    q[i:i+512] @ ct
t = time.perf_counter() - t
print(f"{t:.3f} {len(q)} {2*len(q)*ct.shape[1]*ct.shape[0]/t/1e9:.1f}")
PY
)
read -r reft nq gflops <<<"$ref"
f32=$(( DOCS * DIM * 4 / 1024 ))
echo "hardneg end to end:      ${wall} s, peak RSS ${rss} KiB ($(awk "BEGIN{printf \"%.2f\", $rss/$f32}") x the float32 corpus)"
echo "reference SGEMM (NumPy): ${reft} s for ${nq} queries x ${DOCS} x ${DIM} (${gflops} GFLOP/s)"
echo "ratio hardneg / SGEMM:   $(awk "BEGIN{printf \"%.2f\", $wall/$reft}")"
