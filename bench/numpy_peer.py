"""The notebook's job (02_data_preparation) as a NumPy user would write it
to run fast: the same bands, quotas and output, with the similarities of a
block of 1024 anchors against every term computed by one SGEMM (OpenBLAS,
all cores) instead of one cosine_similarity call per anchor, and the bands
found with vectorised masks instead of a Python loop over 150,000 terms.

    python3 bench/numpy_peer.py DATA_DIR OUT_DIR

DATA_DIR holds term_embeddings.npy, term_list.json and
filtered_synonym_pairs.jsonl (what 'hardneg synth' writes); OUT_DIR
receives train_triplets.jsonl and val_triplets.jsonl. It prints the wall
time of the whole job, from reading to the last row written.
"""
import json
import os
import sys
import time

import numpy as np

BANDS = (("easy", 0.3, 0.5), ("medium", 0.5, 0.7), ("hard", 0.7, 0.9))
RATIOS = (0.33, 0.33)  # easy, medium; hard takes the rest
PER_ANCHOR = 5
TRAIN = 0.9
BLOCK = 1024


def main(data, out):
    t0 = time.perf_counter()
    rng = np.random.default_rng(42)
    emb = np.load(os.path.join(data, "term_embeddings.npy")).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    with open(os.path.join(data, "term_list.json"), encoding="utf-8") as f:
        terms = json.load(f)
    index = {t: i for i, t in enumerate(terms)}
    positives = {}
    with open(os.path.join(data, "filtered_synonym_pairs.jsonl"), encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            p = json.loads(line)
            s, t = index.get(p["source"]), index.get(p["target"])
            if s is None or t is None or s == t:
                continue
            positives.setdefault(s, set()).add(t)
            positives.setdefault(t, set()).add(s)
    anchors = np.fromiter(positives, dtype=np.int64)
    n_easy = int(PER_ANCHOR * RATIOS[0])
    n_medium = int(PER_ANCHOR * RATIOS[1])
    quota = (n_easy, n_medium, PER_ANCHOR - n_easy - n_medium)
    et = emb.T  # BLAS reads the transpose in place
    rows = []
    for lo in range(0, len(anchors), BLOCK):
        block = anchors[lo:lo + BLOCK]
        sims = emb[block] @ et  # one SGEMM for the block
        for k, a in enumerate(block):
            s = sims[k]
            s[a] = -np.inf
            s[list(positives[a])] = -np.inf
            picked = []
            for (name, blo, bhi), want in zip(BANDS, quota):
                cand = np.flatnonzero((s >= blo) & (s < bhi))
                if len(cand) and want:
                    for c in rng.choice(cand, size=min(want, len(cand)), replace=False):
                        picked.append((c, name))
            if len(picked) < PER_ANCHOR:  # fill from every band, as the notebook does
                mask = (s >= BANDS[0][1]) & (s < BANDS[-1][2])
                mask[[c for c, _ in picked]] = False
                cand = np.flatnonzero(mask)
                if len(cand):
                    for c in rng.choice(cand, size=min(PER_ANCHOR - len(picked), len(cand)), replace=False):
                        v = s[c]
                        picked.append((c, next(n for n, blo, bhi in BANDS if v < bhi)))
            for p in positives[a]:
                for c, name in picked:
                    rows.append({"anchor": terms[a], "positive": terms[p], "negative": terms[c],
                                 "negative_similarity": float(s[c]), "difficulty": name})
    order = rng.permutation(len(rows))
    cut = int(len(rows) * TRAIN)
    os.makedirs(out, exist_ok=True)
    for name, part in (("train_triplets.jsonl", order[:cut]), ("val_triplets.jsonl", order[cut:])):
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            for i in part:
                f.write(json.dumps(rows[i], ensure_ascii=False) + "\n")
    print(f"{time.perf_counter() - t0:.3f} {len(anchors)} {len(rows)}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
