#!/usr/bin/env bash
# Measures this machine's speeds for the cost model of 'hardneg plan' and
# prints them as a --speeds value (the defaults in mine/plan.go came from
# this script on a 2-core Zen 3). It synthesises two BEIR sets, one at 128
# dimensions and one at 768, mines each with the default settings, both
# screened and with --exact, and fits the model's speeds to the stages the
# stats file times:
#
#   scan  = anchors x docs x (2 dim / exact-gflops + select-ns) / cores  (--exact; two dims: two unknowns)
#   scan  = anchors x docs x (2 dim / scan-gflops + select-ns) / cores   (screened, the same select-ns)
#   load  = (anchors + positives + docs) x dim x bytes / (load-mbps x cores)
#   read  = text bytes / text-mbps
#   write = triplets x row-us   (sample_and_split + write_data)
#
#   bash bench/plan-calibrate.sh                   # THREADS=N for N cores a task
#
# Each set is mined REPEAT times (default 3) and each stage's fastest time
# is kept: on a shared machine the fastest is the least disturbed.
# DATA (default /tmp/hardneg-calibrate) caches the two sets between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-/tmp/hardneg-calibrate}
THREADS=${THREADS:-$(nproc)}
REPEAT=${REPEAT:-3}
. bench/common.sh

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for set in "128 400000 8000" "768 200000 8000"; do
  read -r dim docs queries <<<"$set"
  dir=$DATA/d$dim
  [ -f "$dir/corpus_embeddings.npy" ] || "$BIN" synth --beir --out "$dir" --docs "$docs" --queries "$queries" --dim "$dim" --dtype f16 >/dev/null
  "$BIN" plan --beir-dir "$dir" --threads "$THREADS" --json >"$out/plan-$dim.json"
  for r in $(seq "$REPEAT"); do
    "$BIN" mine --beir-dir "$dir" --out "$out/run-$dim" --threads "$THREADS" -q --force
    cp "$out/run-$dim/data_preparation_stats.json" "$out/stats-$dim-$r.json"
    "$BIN" mine --beir-dir "$dir" --out "$out/run-$dim" --threads "$THREADS" -q --force --exact
    cp "$out/run-$dim/data_preparation_stats.json" "$out/exact-$dim-$r.json"
  done
done

python3 - "$out" "$THREADS" "$REPEAT" <<'PY'
import json, sys
out, cores, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
runs = {}
for dim in (128, 768):
    plan = json.load(open(f"{out}/plan-{dim}.json"))
    stats = [json.load(open(f"{out}/stats-{dim}-{r}.json")) for r in range(1, repeat + 1)]
    fastest = {k: min(s["timings_seconds"][k] for s in stats) for k in stats[0]["timings_seconds"]}
    exact = min(json.load(open(f"{out}/exact-{dim}-{r}.json"))["timings_seconds"]["scan"] for r in range(1, repeat + 1))
    runs[dim] = (plan, fastest, stats[0]["dataset"]["total_triplets"], exact)
    share = stats[0].get("screen", {}).get("rechecked_percent", "-")
    print(f"d={dim}: scan screened {fastest['scan']:.2f} s ({share}% re-checked), exact {exact:.2f} s")
# scan, exact: y = t*cores/(A*D) = 2*dim/G + s, for the two dims
ys, yscr = {}, {}
for dim, (p, t, _, exact) in runs.items():
    ys[dim] = exact * cores / (p["anchors"] * p["corpus"])
    yscr[dim] = t["scan"] * cores / (p["anchors"] * p["corpus"])
slope = (ys[768] - ys[128]) / (2 * 768 - 2 * 128)   # seconds per FLOP
select = max(ys[128] - slope * 2 * 128, 0)
gexact = 1 / slope / 1e9
# screened: the same select, and the rate that fits both dims best
inv = sum(2 * dim * (yscr[dim] - select) for dim in runs) / sum((2 * dim) ** 2 for dim in runs)
gflops = 1 / inv / 1e9
load, text, row = [], [], []
for dim, (p, t, trip, _) in runs.items():
    loaded = (p["anchors"] + p["positives"] + p["corpus"]) * dim * 2
    load.append(loaded / (t["load_embeddings"] * cores) / 1e6)
    text.append(p["text_bytes"] / t["read_terms_and_pairs"] / 1e6)
    row.append((t["sample_and_split"] + t["write_data"]) / trip * 1e6)
    print(f"d={dim}: " + ", ".join(f"{k} {v:.2f} s" for k, v in t.items()))
avg = lambda v: sum(v) / len(v)
print(f"--speeds scan-gflops={gflops:.0f},exact-gflops={gexact:.0f},select-ns={select * 1e9:.2f},load-mbps={avg(load):.0f},text-mbps={avg(text):.0f},row-us={avg(row):.2f}")
PY
