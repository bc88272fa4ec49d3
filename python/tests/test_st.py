"""hardneg.mine_hard_negatives against sentence-transformers' documented behaviour.

The tests that mine need the binary's queries-against-a-corpus mode
(--corpus ...): they skip, with the reason, where 'hardneg mine --help' does
not list --corpus. The tests of what Python writes for the binary (the BEIR
folder, the flags, the derived range_max) run with any binary.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import pytest

import hardneg
import hardneg._st

DIM = 32
NUM_NEGATIVES = 3

# sentence-transformers' output columns per output_format, from the Returns
# section of its mine_hard_negatives docstring (util/hard_negatives.py):
# the anchor and positive columns keep the dataset's names.
ST_COLUMNS = {
    ("triplet", False): ["query", "answer", "negative"],
    ("triplet", True): ["query", "answer", "negative", "scores"],
    ("n-tuple", False): ["query", "answer", "negative_1", "negative_2", "negative_3"],
    ("n-tuple", True): ["query", "answer", "negative_1", "negative_2", "negative_3", "scores"],
    ("labeled-pair", False): ["query", "answer", "label"],
    ("labeled-pair", True): ["query", "answer", "score"],
    ("labeled-list", False): ["query", "answer", "labels"],
    ("labeled-list", True): ["query", "answer", "scores"],
}


class Retrieval:
    """A small retrieval set: queries, their positives, distractors, and embeddings."""

    def __init__(self, seed: int = 7) -> None:
        rng = np.random.default_rng(seed)
        self.vectors: dict[str, np.ndarray] = {}
        rows: list[tuple[str, str]] = []
        docs = [f"doc {i}" for i in range(240)]
        for d in docs:
            self.vectors[d] = rng.standard_normal(DIM)
        for q in range(30):
            query = f"query {q}"
            self.vectors[query] = rng.standard_normal(DIM)
            for p in range(1 + q % 3):  # 1 to 3 positives
                positive = f"answer {q}.{p}"
                self.vectors[positive] = self.vectors[query] + 0.6 * rng.standard_normal(DIM)
                rows.append((query, positive))
            # distractors close to the query: the hard negatives
            for j in range(4):
                docs.append(f"near {q}.{j}")
                self.vectors[docs[-1]] = self.vectors[query] + 1.2 * rng.standard_normal(DIM)
        rows.append(("query 2", "answer 2.0"))  # a duplicate pair, as real data has
        order = rng.permutation(len(rows))
        self.rows = [rows[i] for i in order]
        self.corpus = docs + [docs[0], self.rows[0][1]]  # a duplicate, and a positive inside the corpus
        self.dataset = datasets.Dataset.from_dict(
            {"query": [a for a, _ in self.rows], "answer": [p for _, p in self.rows], "id": list(range(len(self.rows)))}
        )

    def embed(self, texts: list[str]) -> np.ndarray:
        m = np.stack([self.vectors[t] for t in texts]).astype(np.float32)
        return m / np.linalg.norm(m, axis=1, keepdims=True)

    def positives(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for a, p in self.rows:
            if p not in out.setdefault(a, []):
                out[a].append(p)
        return out

    def searched_corpus(self) -> list[str]:
        return list(dict.fromkeys(self.corpus + [p for _, p in self.rows]))

    def cos(self, a: str, b: str) -> float:
        x, y = self.vectors[a].astype(np.float32), self.vectors[b].astype(np.float32)
        x, y = x / np.linalg.norm(x), y / np.linalg.norm(y)
        return float(np.dot(x.astype(np.float64), y.astype(np.float64)))

    def ranked_negatives(self, query: str) -> list[str]:
        """Corpus texts that are not the query's positives, most similar first, ties by corpus row."""
        pos = set(self.positives()[query])
        cand = [(i, t) for i, t in enumerate(self.searched_corpus()) if t not in pos]
        return [t for _, t in sorted(cand, key=lambda it: (-self.cos(query, it[1]), it[0]))]


class StubModel:
    """Stands in for a SentenceTransformer: encode_query / encode_document from a table."""

    def __init__(self, data: Retrieval) -> None:
        self.data = data
        self.calls: list[tuple[str, int, dict[str, Any]]] = []

    def encode_query(self, texts: list[str], **kwargs: Any) -> np.ndarray:
        self.calls.append(("query", len(texts), kwargs))
        return self.data.embed(texts)

    def encode_document(self, texts: list[str], **kwargs: Any) -> np.ndarray:
        self.calls.append(("document", len(texts), kwargs))
        return self.data.embed(texts)


@pytest.fixture(scope="module")
def data() -> Retrieval:
    return Retrieval()


class Stop(Exception):
    """Raised by the spy once it has seen what Python hands the binary."""


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Replace the binary run by a spy that keeps the flags and the files written for it."""
    seen: dict[str, Any] = {}

    def run_json(args: list[str], verbose: bool = True) -> dict[str, Any]:
        flags: dict[str, Any] = {}
        i = 1
        while i < len(args):
            name = args[i][2:]
            if "=" in name:
                key, value = name.split("=", 1)
                flags[key] = value
                i += 1
            elif i + 1 < len(args) and not args[i + 1].startswith("--"):
                flags.setdefault(name, []).append(args[i + 1])
                i += 2
            else:
                flags[name] = True
                i += 1
        seen["args"], seen["flags"] = args, {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in flags.items()}
        for key in ("corpus", "queries", "qrels"):
            seen[key] = Path(seen["flags"][key]).read_text(encoding="utf-8")
        for key in ("corpus-embeddings", "query-embeddings"):
            seen[key] = np.load(seen["flags"][key])
        raise Stop

    monkeypatch.setattr(hardneg._st, "run_json", run_json)
    return seen


def test_writes_the_beir_folder_sentence_transformers_would_search(data: Retrieval, spy: dict[str, Any]) -> None:
    model = StubModel(data)
    with pytest.raises(Stop):
        hardneg.mine_hard_negatives(data.dataset, model, corpus=data.corpus, verbose=False)

    corpus = [json.loads(line) for line in spy["corpus"].splitlines()]
    assert [c["text"] for c in corpus] == data.searched_corpus()
    assert all(c["title"] == "" for c in corpus)
    assert len({c["_id"] for c in corpus}) == len(corpus)
    queries = [json.loads(line) for line in spy["queries"].splitlines()]
    assert [q["text"] for q in queries] == list(dict.fromkeys(data.dataset["query"]))

    lines = spy["qrels"].splitlines()
    assert lines[0] == "query-id\tcorpus-id\tscore"
    qid = {q["_id"]: q["text"] for q in queries}
    cid = {c["_id"]: c["text"] for c in corpus}
    pairs = [line.split("\t") for line in lines[1:]]
    assert all(score == "1" for _, _, score in pairs)
    assert [(qid[q], cid[c]) for q, c, _ in pairs] == list(dict.fromkeys(data.rows))

    assert np.array_equal(spy["query-embeddings"], data.embed([q["text"] for q in queries]))
    assert np.array_equal(spy["corpus-embeddings"], data.embed([c["text"] for c in corpus]))
    # Encoded as sentence-transformers encodes: unique texts, normalised, its batch size.
    assert [(kind, n) for kind, n, _ in model.calls] == [("query", len(queries)), ("document", len(corpus))]
    assert all(kw["batch_size"] == 32 and kw["normalize_embeddings"] is True for _, _, kw in model.calls)


def test_flags_and_the_derived_range_max(data: Retrieval, spy: dict[str, Any]) -> None:
    max_positives = max(Counter(data.dataset["query"]).values())
    assert max_positives == 4  # three positives, one of them on two rows

    with pytest.raises(Stop):
        hardneg.mine_hard_negatives(data.dataset, StubModel(data), verbose=False)
    f = spy["flags"]
    assert f["range-max"] == str(0 + NUM_NEGATIVES + max_positives)
    assert f["range-min"] == "0" and f["num-negatives"] == "3" and f["sampling"] == "top"
    assert f["format"] == "triplet" and "with-scores" not in f
    assert f["no-bands"] is True
    assert f["train-ratio"] == "1.0" and f["val-ratio"] == "0.0"
    assert "seed" not in f and "max-score" not in f

    with pytest.raises(Stop):
        hardneg.mine_hard_negatives(
            data.dataset, StubModel(data), range_min=2, num_negatives=5, max_score=0.9, relative_margin=0.05,
            sampling_strategy="random", output_format="n-tuple", output_scores=True, seed=3, verbose=False,
        )  # fmt: skip
    f = spy["flags"]
    assert f["range-max"] == str(2 + 5 * 10 + max_positives)
    assert (f["max-score"], f["relative-margin"], f["seed"]) == ("0.9", "0.05", "3")
    assert f["format"] == "n-tuple" and f["with-scores"] is True and f["sampling"] == "random"

    with pytest.raises(Stop):
        hardneg.mine_hard_negatives(data.dataset, StubModel(data), range_max=50, absolute_margin=0.0, verbose=False)
    assert spy["flags"]["range-max"] == "50" and spy["flags"]["absolute-margin"] == "0.0"

    with pytest.raises(Stop):
        hardneg.mine_hard_negatives(
            data.dataset, StubModel(data), band=["far:0:0.5:0.5", "near:0.5:1:0.5"], max_negative_reuse=4, verbose=False
        )
    assert "no-bands" not in spy["flags"]
    assert spy["flags"]["band"] == ["far:0:0.5:0.5", "near:0.5:1:0.5"]
    assert spy["flags"]["max-negative-reuse"] == "4"


def test_precomputed_embeddings_in_either_row_order(data: Retrieval, spy: dict[str, Any]) -> None:
    def written(**kwargs: Any) -> tuple[np.ndarray, np.ndarray, str]:
        with pytest.raises(Stop):
            hardneg.mine_hard_negatives(data.dataset, verbose=False, **kwargs)
        return spy["query-embeddings"], spy["corpus-embeddings"], spy["corpus"]

    unique_queries = list(dict.fromkeys(data.dataset["query"]))
    unique_answers = list(dict.fromkeys(data.dataset["answer"]))
    cases = {
        "with a corpus": (
            {"model": StubModel(data), "corpus": data.corpus},
            [
                # one row per dataset row and per corpus entry; the positives
                # missing from the corpus are encoded with the model
                {"query_embeddings": data.embed(data.dataset["query"]), "corpus_embeddings": data.embed(data.corpus),
                 "corpus": data.corpus, "model": StubModel(data)},
                # one row per unique anchor and per text of the searched corpus
                {"query_embeddings": data.embed(unique_queries), "corpus_embeddings": data.embed(data.searched_corpus()),
                 "corpus": data.corpus},
            ],
        ),
        "without a corpus": (
            {"model": StubModel(data)},
            [
                {"query_embeddings": data.embed(data.dataset["query"]), "corpus_embeddings": data.embed(data.dataset["answer"])},
                {"query_embeddings": data.embed(unique_queries), "corpus_embeddings": data.embed(unique_answers)},
            ],
        ),
    }  # fmt: skip
    for name, (reference, variants) in cases.items():
        want = written(**reference)
        for i, kwargs in enumerate(variants):
            got = written(**kwargs)
            assert np.array_equal(got[0], want[0]), (name, i)
            assert np.array_equal(got[1], want[1]), (name, i)
            assert got[2] == want[2], (name, i)


def test_refuses_what_it_cannot_do(data: Retrieval) -> None:
    with pytest.raises(ValueError, match="empty"):
        hardneg.mine_hard_negatives(data.dataset.select([]), StubModel(data))
    with pytest.raises(ValueError, match="cross_encoder"):
        hardneg.mine_hard_negatives(data.dataset, StubModel(data), cross_encoder=object())
    with pytest.raises(ValueError, match="output_format"):
        hardneg.mine_hard_negatives(data.dataset, StubModel(data), output_format="quadruplet")
    with pytest.raises(ValueError, match="give a model"):
        hardneg.mine_hard_negatives(data.dataset)
    with pytest.raises(ValueError, match="query_embeddings has 5 rows"):
        hardneg.mine_hard_negatives(data.dataset, query_embeddings=np.zeros((5, DIM)), corpus_embeddings=np.zeros((5, DIM)))
    with pytest.raises(TypeError, match="format"):
        hardneg.mine_hard_negatives(data.dataset, StubModel(data), format="triplet")


# --- with the binary's general mode ------------------------------------------------------------


def mine(data: Retrieval, **kwargs: Any) -> datasets.Dataset:
    kwargs.setdefault("corpus", data.corpus)
    kwargs.setdefault("verbose", False)
    return hardneg.mine_hard_negatives(data.dataset, StubModel(data), anchor_column_name="query", positive_column_name="answer", **kwargs)


@pytest.mark.parametrize("output_format,output_scores", sorted(ST_COLUMNS), ids=[f"{f}{'-scores' if s else ''}" for f, s in sorted(ST_COLUMNS)])
def test_columns_are_sentence_transformers(data: Retrieval, output_format: str, output_scores: bool) -> None:
    ds = mine(data, output_format=output_format, output_scores=output_scores)
    assert isinstance(ds, datasets.Dataset)
    assert ds.column_names == ST_COLUMNS[(output_format, output_scores)]
    assert ds.num_rows > 0


def test_triplet_top_negatives_are_the_exact_nearest(data: Retrieval) -> None:
    ds = mine(data, output_format="triplet", output_scores=True)
    positives = data.positives()
    expected = [
        (q, p, n)
        for q in dict.fromkeys(data.dataset["query"])
        for p in positives[q]
        for n in data.ranked_negatives(q)[:NUM_NEGATIVES]
    ]
    assert [(r["query"], r["answer"], r["negative"]) for r in ds] == expected
    for r in ds:
        assert r["scores"][0] == pytest.approx(data.cos(r["query"], r["answer"]), abs=1e-5)
        assert r["scores"][1] == pytest.approx(data.cos(r["query"], r["negative"]), abs=1e-5)


def test_n_tuple_rows_per_positive(data: Retrieval) -> None:
    ds = mine(data, output_format="n-tuple", output_scores=True, range_min=2)
    positives = data.positives()
    assert [(r["query"], r["answer"]) for r in ds] == [(q, p) for q in positives for p in positives[q]]
    for r in ds:
        negs = [r[f"negative_{i}"] for i in range(1, NUM_NEGATIVES + 1)]
        # most similar first, as sentence-transformers lists them for top sampling
        assert negs == data.ranked_negatives(r["query"])[2 : 2 + NUM_NEGATIVES]
        assert len(r["scores"]) == 1 + NUM_NEGATIVES
        assert r["scores"][1:] == pytest.approx([data.cos(r["query"], n) for n in negs], abs=1e-5)


def test_n_tuple_drops_anchors_short_of_negatives(data: Retrieval) -> None:
    positives = data.positives()
    floor = 0.6
    ds = mine(data, output_format="n-tuple", min_score=floor, range_max=400)
    enough = {q for q in positives if sum(data.cos(q, n) >= floor for n in data.ranked_negatives(q)) >= NUM_NEGATIVES}
    assert 0 < len(enough) < len(positives), "the floor should leave some anchors short"
    assert [(r["query"], r["answer"]) for r in ds] == [(q, p) for q in positives if q in enough for p in positives[q]]
    for r in ds:
        assert all(r[f"negative_{i}"] for i in range(1, NUM_NEGATIVES + 1))


def test_labeled_pair_positives_then_negatives(data: Retrieval) -> None:
    ds = mine(data, output_format="labeled-pair")
    scored = mine(data, output_format="labeled-pair", output_scores=True)
    positives = data.positives()
    assert [r["query"] for r in ds] == [q for q in positives for _ in range(len(positives[q]) + NUM_NEGATIVES)]
    for q, pos in positives.items():
        top = data.ranked_negatives(q)[:NUM_NEGATIVES]
        rows = [(r["answer"], r["label"]) for r in ds if r["query"] == q]
        assert rows[: len(pos)] == [(p, 1) for p in pos]
        # Without scores the negatives keep the binary's order; with them,
        # most similar first, as sentence-transformers lists them.
        assert sorted(rows[len(pos) :]) == sorted((n, 0) for n in top)
        assert [r["answer"] for r in scored if r["query"] == q] == pos + top
    for r in scored:
        assert r["score"] == pytest.approx(data.cos(r["query"], r["answer"]), abs=1e-5)


def test_labeled_list_positive_first(data: Retrieval) -> None:
    ds = mine(data, output_format="labeled-list")
    positives = data.positives()
    assert [(r["query"], r["answer"][0]) for r in ds] == [(q, p) for q in positives for p in positives[q]]
    for r in ds:
        assert r["answer"][1:] == data.ranked_negatives(r["query"])[:NUM_NEGATIVES]  # most similar first
        assert r["labels"] == [1] + [0] * NUM_NEGATIVES


def test_margins_and_score_limits_hold(data: Retrieval) -> None:
    positives = data.positives()
    ds = mine(data, output_format="triplet", output_scores=True, absolute_margin=0.05, max_score=0.8, min_score=0.0)
    assert ds.num_rows > 0
    for r in ds:
        weakest = min(data.cos(r["query"], p) for p in positives[r["query"]])
        assert r["scores"][1] <= weakest - 0.05 + 1e-6
        assert 0.0 - 1e-6 <= r["scores"][1] <= 0.8 + 1e-6


def test_random_sampling_is_seeded(data: Retrieval) -> None:
    a = mine(data, sampling_strategy="random", range_max=20, seed=1)
    b = mine(data, sampling_strategy="random", range_max=20, seed=1)
    c = mine(data, sampling_strategy="random", range_max=20, seed=2)
    assert a.to_list() == b.to_list()
    assert a.to_list() != c.to_list()
    for r in a:
        assert r["negative"] in data.ranked_negatives(r["query"])[:20]


def test_model_and_precomputed_embeddings_agree(data: Retrieval) -> None:
    with_model = mine(data, output_format="n-tuple")
    precomputed = hardneg.mine_hard_negatives(
        data.dataset,
        corpus=data.corpus,
        query_embeddings=data.embed(data.dataset["query"]),
        corpus_embeddings=data.embed(data.searched_corpus()),
        output_format="n-tuple",
        verbose=False,
    )
    assert precomputed.to_list() == with_model.to_list()


@pytest.mark.parametrize("output_format", ["triplet", "n-tuple", "labeled-list"])
def test_no_negatives_at_all_is_an_empty_dataset(data: Retrieval, output_format: str) -> None:
    ds = mine(data, output_format=output_format, min_score=0.999)
    assert ds.num_rows == 0
    assert ds.column_names == ST_COLUMNS[(output_format, False)]


def test_binary_errors_surface(data: Retrieval) -> None:
    with pytest.raises(hardneg.HardnegError) as info:
        mine(data, sampling_strategy="nearest")
    assert info.value.exit_code == 2
    assert "nearest" in str(info.value)


def test_default_columns_are_the_first_two(data: Retrieval) -> None:
    ds = hardneg.mine_hard_negatives(data.dataset.select_columns(["query", "answer"]), StubModel(data), verbose=False)
    assert ds.column_names == ["query", "answer", "negative"]


def test_st_columns_table_matches_the_docstring() -> None:
    # The expectations above, restated from sentence-transformers' docstring:
    # output_scores adds `scores` to triplet and n-tuple, and replaces label(s)
    # with score(s) for the labeled formats.
    for (fmt, scores), cols in ST_COLUMNS.items():
        assert cols[:2] == ["query", "answer"]
        if fmt in ("triplet", "n-tuple"):
            assert (cols[-1] == "scores") == scores
        else:
            assert cols[-1] == {"labeled-pair": ("label", "score"), "labeled-list": ("labels", "scores")}[fmt][scores]

