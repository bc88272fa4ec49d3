#!/usr/bin/env bash
# hardneg beside a NumPy peer doing the same job: the notebook's bands,
# quotas, sampling, split and JSONL output (bench/numpy_peer.py, one
# OpenBLAS SGEMM per 1024 anchors on all cores), on 150,000 terms x 1024
# (float16) with 4,000 anchors, in one run on one machine. hardneg runs
# screened (the default) and with --exact, and writes all its default
# outputs (JSONL, the DatasetDict and the stats), more than the peer does.
#
#   bash bench/peer.sh        # as root: installs python3-numpy and OpenBLAS if missing
#
# DATA (default /tmp/hardneg-seed-150000x1024-a4000) caches the synth set;
# ANCHORS changes its number of anchors.
set -euo pipefail
cd "$(dirname "$0")/.."

ANCHORS=${ANCHORS:-4000}
DATA=${DATA:-/tmp/hardneg-seed-150000x1024-a$ANCHORS}
. bench/common.sh
need_numpy
if [ ! -f "$DATA/term_embeddings.npy" ]; then
  "$BIN" synth --out "$DATA" --terms 150000 --dim 1024 --anchors "$ANCHORS" --dtype f16 >/dev/null
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
calc() { /usr/bin/python3 -c "print($1)"; }
t=$EPOCHREALTIME; "$BIN" mine --data-dir "$DATA" --out "$out/screened" -q; screened=$(calc "$EPOCHREALTIME - $t")
t=$EPOCHREALTIME; "$BIN" mine --data-dir "$DATA" --out "$out/exact" -q --exact; exact=$(calc "$EPOCHREALTIME - $t")
read -r peer anchors rows < <(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/numpy_peer.py "$DATA" "$out/peer")
read -r share mined < <(/usr/bin/python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["screen"]["rechecked_percent"], s["dataset"]["total_triplets"])' "$out/screened/data_preparation_stats.json")
printf 'hardneg screened: %7.2f s (%s rows, %s%% of pairs re-checked)\n' "$screened" "$mined" "$share"
printf 'hardneg --exact:  %7.2f s\n' "$exact"
printf 'NumPy peer:       %7.2f s (%s anchors, %s rows)\n' "$peer" "$anchors" "$rows"
printf 'peer / hardneg:   screened %.2fx, exact %.2fx (goal >= 2)\n' "$(calc "$peer / $screened")" "$(calc "$peer / $exact")"
