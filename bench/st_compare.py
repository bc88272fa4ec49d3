#!/usr/bin/env python3
"""Time sentence-transformers' mine_hard_negatives beside hardneg's, on the same embeddings.

Both get the same precomputed, normalised embeddings of a synthetic retrieval
set: sentence-transformers through a stub model whose encode_query and
encode_document look the rows up (it has no other way to take precomputed
embeddings; its cache_folder keys files by a hash of the model name and the
texts), hardneg through query_embeddings= and corpus_embeddings=. Encoding
is therefore not timed; what is timed is the similarity search, the
filtering, the sampling and building the Dataset.

    pip install sentence-transformers   # with torch; not needed by hardneg
    python bench/st_compare.py --queries 2000 --corpus 100000 --dim 384

Not part of CI. Prints both times and how often the two chose the same
negatives, and in the same order (with top sampling they should, up to float
rounding on near-ties).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from datasets import Dataset

import hardneg


def synthetic(queries: int, corpus: int, dim: int, seed: int) -> tuple[Dataset, list[str], np.ndarray, np.ndarray]:
    """Queries with 1 to 3 positives each, and a corpus of distractors."""
    rng = np.random.default_rng(seed)
    docs = rng.standard_normal((corpus, dim)).astype(np.float32)
    anchors, positives, q_rows = [], [], []
    q_vecs = np.empty((queries, dim), dtype=np.float32)
    for q in range(queries):
        base = rng.integers(corpus)
        q_vecs[q] = docs[base] + 0.5 * rng.standard_normal(dim).astype(np.float32)
        for p in range(1 + q % 3):
            anchors.append(f"query {q}")
            positives.append(f"doc {(base + p * 7919) % corpus}")
            q_rows.append(q)
    docs /= np.linalg.norm(docs, axis=1, keepdims=True)
    q_vecs /= np.linalg.norm(q_vecs, axis=1, keepdims=True)
    texts = [f"doc {i}" for i in range(corpus)]
    return Dataset.from_dict({"query": anchors, "answer": positives}), texts, q_vecs[q_rows], docs


class LookupModel:
    """The parts of a SentenceTransformer that mine_hard_negatives calls, over fixed rows."""

    def __init__(self, table: dict[str, np.ndarray]) -> None:
        from sentence_transformers import util

        self.table = table
        self.device = "cpu"
        self._cos, self._pairwise = util.cos_sim, util.pairwise_cos_sim

    def _rows(self, texts: list[str], **_: object) -> np.ndarray:
        return np.stack([self.table[t] for t in texts])

    encode_query = encode_document = encode = _rows

    def similarity(self, a, b):  # noqa: ANN001, ANN201 - torch tensors or arrays
        return self._cos(a, b)

    def similarity_pairwise(self, a, b):  # noqa: ANN001, ANN201
        return self._pairwise(a, b)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--corpus", type=int, default=50_000)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--negatives", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    dataset, corpus, q_emb, c_emb = synthetic(args.queries, args.corpus, args.dim, args.seed)
    print(f"{len(dataset)} pairs, {args.queries} queries, {args.corpus} corpus texts, {args.dim} dims, "
          f"{args.negatives} negatives, top sampling, n-tuple output")  # fmt: skip
    common = {"num_negatives": args.negatives, "sampling_strategy": "top", "output_format": "n-tuple", "verbose": False}

    st_rows = None
    try:
        import torch
        from sentence_transformers.util import mine_hard_negatives as st_mine
    except ImportError as err:
        print(f"sentence-transformers: not installed ({err})")
    else:
        table = {a: q_emb[i] for i, a in enumerate(dataset["query"])}
        table.update({t: c_emb[i] for i, t in enumerate(corpus)})
        model = LookupModel(table)
        start = time.perf_counter()
        st = st_mine(dataset, model, corpus=corpus, **common)
        took = time.perf_counter() - start
        print(f"sentence-transformers {_version('sentence-transformers')} (torch {torch.__version__}, "
              f"{torch.get_num_threads()} threads): {took:.2f} s, {len(st)} rows")  # fmt: skip
        st_rows = st.to_list()

    start = time.perf_counter()
    try:
        hn = hardneg.mine_hard_negatives(
            dataset, corpus=corpus, query_embeddings=q_emb, corpus_embeddings=c_emb, **common
        )
    except hardneg.HardnegError as err:
        print(f"hardneg: failed with exit code {err.exit_code}: {err}")
        if err.exit_code == 2 and "--corpus" in str(err):
            print("hardneg: this binary has no general mode yet (queries against a corpus)")
        return 0 if st_rows is not None else 1
    took = time.perf_counter() - start
    print(f"hardneg {hardneg.__version__}: {took:.2f} s, {len(hn)} rows")

    if st_rows is not None:
        negs = [f"negative_{i}" for i in range(1, args.negatives + 1)]
        key = lambda r: (r["query"], r["answer"])  # noqa: E731
        theirs = {key(r): [r[n] for n in negs] for r in st_rows}
        ours = {key(r): [r[n] for n in negs] for r in hn.to_list()}
        same = sum(theirs.get(k) == v for k, v in ours.items())
        same_set = sum(k in theirs and sorted(theirs[k]) == sorted(v) for k, v in ours.items())
        print(f"same negatives for {same_set} of {len(ours)} rows, in the same order for {same} "
              f"({len(theirs)} rows from sentence-transformers)")  # fmt: skip
    return 0


def _version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


if __name__ == "__main__":
    sys.exit(main())
