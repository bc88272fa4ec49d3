"""``hardneg.mine_hard_negatives``: sentence-transformers' function, run by hardneg.

This module only marshals: the dataset's pairs and the embeddings go to a
temporary BEIR folder, the binary's general mode mines it, and the rows come
back with the columns sentence-transformers returns. Which candidates become
negatives is decided by the binary alone.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from typing import TYPE_CHECKING, Any, Literal, Sequence

from hardneg._run import flag_args, run_json

if TYPE_CHECKING:
    import numpy as np
    from datasets import Dataset

OutputFormat = Literal["triplet", "n-tuple", "labeled-pair", "labeled-list"]

# Flags this function sets itself; passing them through **flags is an error.
_OWN_FLAGS = frozenset(
    {
        "corpus", "corpus_embeddings", "queries", "query_embeddings", "qrels", "beir_dir", "out", "data_dir",
        "pairs", "embeddings", "terms", "format", "with_scores", "train_ratio", "val_ratio",
        "range_min", "range_max", "sampling", "min_score", "max_score", "relative_margin",
        "absolute_margin", "num_negatives", "negatives_per_anchor", "n", "force", "json", "progress",
        "config", "print_config", "shard",
    }
)  # fmt: skip

# Bands come from these flags; without any of them the run uses --no-bands.
_BAND_FLAGS = ("band", "easy_range", "medium_range", "hard_range", "easy_ratio", "medium_ratio", "hard_ratio", "no_bands")


def mine_hard_negatives(
    dataset: Dataset,
    model: Any = None,
    *,
    anchor_column_name: str | None = None,
    positive_column_name: str | None = None,
    corpus: Sequence[str] | None = None,
    query_embeddings: np.ndarray | None = None,
    corpus_embeddings: np.ndarray | None = None,
    cross_encoder: Any = None,
    range_min: int = 0,
    range_max: int | None = None,
    max_score: float | None = None,
    min_score: float | None = None,
    absolute_margin: float | None = None,
    relative_margin: float | None = None,
    num_negatives: int = 3,
    sampling_strategy: Literal["random", "top", "simans"] = "top",
    query_prompt_name: str | None = None,
    query_prompt: str | None = None,
    corpus_prompt_name: str | None = None,
    corpus_prompt: str | None = None,
    include_positives: bool = False,
    output_format: OutputFormat = "triplet",
    output_scores: bool = False,
    batch_size: int = 32,
    faiss_batch_size: int = 16384,
    use_faiss: bool = False,
    use_multi_process: list[str] | bool = False,
    verbose: bool = True,
    cache_folder: str | None = None,
    as_triplets: bool | None = None,
    margin: float | None = None,
    seed: int | None = None,
    **flags: Any,
) -> Dataset:
    """Add hard negatives to (anchor, positive) pairs, as sentence-transformers does.

    A drop-in for ``sentence_transformers.util.mine_hard_negatives`` with the
    same parameters, defaults and output columns, computed by the hardneg
    binary: exact cosine similarity of every unique anchor with every corpus
    text (no FAISS, no approximate index), seeded sampling, ties broken by
    corpus row. Embeddings come from ``model`` or are passed in precomputed.

    Parameters
    ----------
    dataset : datasets.Dataset
        (anchor, positive) pairs. An anchor on several rows has several
        positives.
    model : SentenceTransformer, optional
        Encodes the texts when embeddings are not given: ``encode_query`` for
        anchors and ``encode_document`` for the corpus (``encode`` if the model
        has neither), with ``batch_size`` and ``normalize_embeddings=True``.
        Any object with such methods returning arrays will do.
    anchor_column_name, positive_column_name : str, optional
        The columns to read; the first and second column by default. The
        output keeps these names.
    corpus : list of str, optional
        More candidate negatives. The corpus that is searched is this list
        plus the positives, deduplicated keeping the first occurrence (the
        positives alone without it).
    query_embeddings : numpy.ndarray, optional
        Anchor embeddings, instead of ``model``: one row per dataset row, or
        one row per unique anchor in first-seen order.
    corpus_embeddings : numpy.ndarray, optional
        Corpus embeddings, instead of ``model``: one row per entry of
        ``corpus`` (per dataset row's positive when there is no ``corpus``),
        or one row per text of the deduplicated corpus described above. With
        one row per ``corpus`` entry, positives missing from ``corpus`` are
        encoded with ``model``.
    cross_encoder : CrossEncoder, optional
        Not supported: hardneg does not rescore. Must be None.
    range_min : int, default 0
        Skip this many of the closest candidates.
    range_max : int, optional
        Consider only this many of the closest candidates. When None it is
        derived as sentence-transformers does, from ``max_positives``, the
        largest number of rows one anchor has: ``range_min + num_negatives *
        10 + max_positives`` when ``absolute_margin``, ``relative_margin`` or
        ``max_score`` is set, ``range_min + num_negatives + max_positives``
        otherwise.
    max_score, min_score : float, optional
        Drop candidates more similar than ``max_score`` or less similar than
        ``min_score``.
    absolute_margin, relative_margin : float, optional
        Drop candidates within this margin of the anchor's least similar
        positive (``relative_margin`` as a fraction of its magnitude).
    num_negatives : int, default 3
        Negatives per anchor.
    sampling_strategy : {"top", "random", "simans"}, default "top"
        Take the closest candidates, a seeded uniform sample of them, or
        hardneg's SimANS sampling.
    query_prompt_name, query_prompt, corpus_prompt_name, corpus_prompt : str, optional
        Passed to the model's encode calls.
    include_positives : bool, default False
        Not supported; must be False.
    output_format : {"triplet", "n-tuple", "labeled-pair", "labeled-list"}, default "triplet"
        The row shape; see Returns.
    output_scores : bool, default False
        Add similarity scores: a ``scores`` list for "triplet" ([positive,
        negative]) and "n-tuple" ([positive, negative_1, ...]); ``score``
        replaces ``label`` for "labeled-pair" and ``scores`` replaces
        ``labels`` for "labeled-list".
    batch_size : int, default 32
        Encoding batch size.
    faiss_batch_size, use_faiss : optional
        Accepted for compatibility and ignored: the scan is exact and bounds
        its own memory.
    use_multi_process : bool or list of str, default False
        Encode with ``model.start_multi_process_pool``, as sentence-transformers does.
    verbose : bool, default True
        Show progress bars and the binary's log.
    cache_folder : str, optional
        Not supported; pass ``query_embeddings`` and ``corpus_embeddings`` to
        reuse embeddings. Must be None.
    as_triplets : bool, optional
        Deprecated in sentence-transformers: True is ``output_format="triplet"``,
        False is ``"n-tuple"``.
    margin : float, optional
        Deprecated in sentence-transformers: ``absolute_margin``.
    seed : int, optional
        Seed of every random choice (``--seed``); the same seed and inputs
        give the same rows.
    **flags
        Other ``hardneg mine`` flags in snake_case: bands (``band=[...]``;
        without bands the run passes ``--no-bands`` and chooses from all
        candidates), guards (``max_negative_reuse=...``), ``threads``.

    Returns
    -------
    datasets.Dataset
        With ``A`` and ``P`` the anchor and positive column names:

        - "triplet": ``A, P, negative`` (+ ``scores``), one row per positive
          and negative;
        - "n-tuple": ``A, P, negative_1 ... negative_k`` (+ ``scores``), one
          row per positive;
        - "labeled-pair": ``A, P, label`` (or ``score``), where ``P`` holds
          the positive or a negative and ``label`` is 1 or 0;
        - "labeled-list": ``A, P, labels`` (or ``scores``), where ``P`` is a
          list: the positive, then the negatives.

        Rows come grouped as sentence-transformers groups them: by anchor in
        first-seen order, then by positive in first-seen order.

    Raises
    ------
    ValueError
        For an empty dataset, an unknown output format, an unsupported option,
        or embeddings whose rows match no text list.
    HardnegError
        When the binary refuses the settings (exit code 2) or fails.
    """
    import numpy as np

    if len(dataset) == 0:
        raise ValueError("The dataset is empty. Please provide a non-empty dataset.")
    if cross_encoder is not None:
        raise ValueError("cross_encoder is not supported: hardneg ranks by the embeddings' exact cosine similarity")
    if include_positives:
        raise ValueError("include_positives=True is not supported")
    if cache_folder is not None:
        raise ValueError("cache_folder is not supported: pass query_embeddings= and corpus_embeddings= to reuse embeddings")
    if as_triplets is not None:
        output_format = "triplet" if as_triplets else "n-tuple"
    if output_format == "n-tuple-scores":  # deprecated spelling in sentence-transformers
        output_format, output_scores = "n-tuple", True
    if output_format not in ("triplet", "n-tuple", "labeled-pair", "labeled-list"):
        raise ValueError(
            f"Invalid output_format: {output_format}. Must be one of 'triplet', 'n-tuple', 'labeled-pair', or 'labeled-list'."
        )
    if margin is not None:
        absolute_margin = margin
    own = sorted(_OWN_FLAGS.intersection(flags))
    if own:
        raise TypeError(f"mine_hard_negatives sets {', '.join(own)} itself; use its own parameters")

    columns = dataset.column_names
    if not anchor_column_name or anchor_column_name not in columns:
        anchor_column_name = columns[0]
    if not positive_column_name or positive_column_name not in columns:
        positive_column_name = columns[1]

    anchors = list(dataset[anchor_column_name])
    positives = list(dataset[positive_column_name])
    queries = list(dict.fromkeys(anchors))
    base = positives if corpus is None else list(corpus)
    texts = list(dict.fromkeys(base + positives))
    query_id = {q: i for i, q in enumerate(queries)}
    text_id = {t: i for i, t in enumerate(texts)}
    qrels = list(dict.fromkeys((query_id[a], text_id[p]) for a, p in zip(anchors, positives)))

    if range_max is None:
        max_positives = max(Counter(anchors).values())
        if absolute_margin is not None or relative_margin is not None or max_score is not None:
            range_max = range_min + num_negatives * 10 + max_positives
        else:
            range_max = range_min + num_negatives + max_positives
        if verbose:
            print(f"Setting range_max to {range_max} based on the provided parameters.")

    encode = _Encoder(model, batch_size, verbose, use_multi_process)
    try:
        q_emb = _query_rows(query_embeddings, anchors, queries, encode, query_prompt_name, query_prompt)
        c_emb = _corpus_rows(corpus_embeddings, base, texts, encode, corpus_prompt_name, corpus_prompt)
    finally:
        encode.close()

    if not any(flags.get(name) is not None for name in _BAND_FLAGS):
        flags["no_bands"] = True

    with tempfile.TemporaryDirectory(prefix="hardneg-") as tmp:
        paths = _write_beir(tmp, queries, texts, qrels, q_emb, c_emb)
        settings = {
            **paths,
            "out": os.path.join(tmp, "out"),
            "format": output_format,
            "with_scores": output_scores or None,
            "train_ratio": 1.0,
            "val_ratio": 0.0,
            "range_min": range_min,
            "range_max": range_max,
            "sampling": sampling_strategy,
            "min_score": min_score,
            "max_score": max_score,
            "relative_margin": relative_margin,
            "absolute_margin": absolute_margin,
            "num_negatives": num_negatives,
            "seed": seed,
            # sentence-transformers returns an empty dataset when no anchor
            # keeps a negative; the binary refuses that (exit 6) unless told.
            "allow_empty": True,
            **flags,
        }
        summary = run_json(["mine", *flag_args(settings)], verbose=verbose)
        return _as_sentence_transformers(summary, output_format, output_scores, anchor_column_name, positive_column_name, queries, texts, qrels)


class _Encoder:
    """Calls the model's encode methods the way sentence-transformers does."""

    def __init__(self, model: Any, batch_size: int, verbose: bool, use_multi_process: list[str] | bool) -> None:
        self.model, self.batch_size, self.verbose = model, batch_size, verbose
        self.use_multi_process = use_multi_process
        self.pool = None

    def __call__(self, texts: list[str], kind: str, prompt_name: str | None, prompt: str | None, what: str) -> np.ndarray:
        import numpy as np

        if self.model is None:
            raise ValueError(f"give a model, or {what} with one row per text")
        if self.use_multi_process and self.pool is None:
            devices = None if isinstance(self.use_multi_process, bool) else self.use_multi_process
            self.pool = self.model.start_multi_process_pool(target_devices=devices)
        method = getattr(self.model, "encode_query" if kind == "query" else "encode_document", None)
        if method is None:
            method = self.model.encode
        kwargs: dict[str, Any] = {
            "batch_size": self.batch_size,
            "normalize_embeddings": True,
            "convert_to_numpy": True,
            "show_progress_bar": self.verbose,
        }
        for key, value in (("prompt_name", prompt_name), ("prompt", prompt), ("pool", self.pool)):
            if value is not None:
                kwargs[key] = value
        return np.asarray(method(texts, **kwargs))

    def close(self) -> None:
        if self.pool is not None:
            self.model.stop_multi_process_pool(self.pool)
            self.pool = None


def _matrix(emb: Any, what: str) -> np.ndarray:
    import numpy as np

    arr = np.asarray(emb)
    if arr.ndim != 2:
        raise ValueError(f"{what} must be a 2-D array (rows x dimensions), got shape {arr.shape}")
    return arr


def _first_rows(raw: list[str], unique: list[str]) -> list[int]:
    first: dict[str, int] = {}
    for i, t in enumerate(raw):
        first.setdefault(t, i)
    return [first[t] for t in unique]


def _query_rows(emb: Any, anchors: list[str], queries: list[str], encode: _Encoder, prompt_name: str | None, prompt: str | None) -> np.ndarray:
    if emb is None:
        return encode(queries, "query", prompt_name, prompt, "query_embeddings")
    arr = _matrix(emb, "query_embeddings")
    if len(arr) == len(queries):
        return arr
    if len(arr) == len(anchors):
        return arr[_first_rows(anchors, queries)]
    raise ValueError(
        f"query_embeddings has {len(arr)} rows; want one per dataset row ({len(anchors)}) "
        f"or one per unique anchor ({len(queries)})"
    )


def _corpus_rows(emb: Any, base: list[str], texts: list[str], encode: _Encoder, prompt_name: str | None, prompt: str | None) -> np.ndarray:
    import numpy as np

    if emb is None:
        return encode(texts, "document", prompt_name, prompt, "corpus_embeddings")
    arr = _matrix(emb, "corpus_embeddings")
    if len(arr) == len(base):
        first: dict[str, int] = {}
        for i, t in enumerate(base):
            first.setdefault(t, i)
        missing = [t for t in texts if t not in first]
        if not missing:
            return arr[[first[t] for t in texts]]
        extra = encode(missing, "document", prompt_name, prompt, f"corpus_embeddings for the {len(missing)} positives missing from corpus")
        if extra.shape[1:] != arr.shape[1:]:
            raise ValueError(f"the model's embeddings have shape {extra.shape[1:]}, corpus_embeddings {arr.shape[1:]}")
        index = {t: i for i, t in enumerate(missing)}
        stacked = np.concatenate([arr, extra.astype(arr.dtype, copy=False)])
        return stacked[[first[t] if t in first else len(arr) + index[t] for t in texts]]
    if len(arr) == len(texts):
        return arr
    raise ValueError(
        f"corpus_embeddings has {len(arr)} rows; want one per corpus entry ({len(base)}) "
        f"or one per text of the deduplicated corpus plus positives ({len(texts)})"
    )


def _npy(path: str, arr: np.ndarray) -> None:
    import numpy as np

    if arr.dtype not in (np.float16, np.float32, np.float64):
        arr = arr.astype(np.float32)
    np.save(path, np.ascontiguousarray(arr))


def _write_beir(
    tmp: str, queries: list[str], texts: list[str], qrels: list[tuple[int, int]], q_emb: np.ndarray, c_emb: np.ndarray
) -> dict[str, str]:
    """Write the BEIR layout the general mode reads; ids are row numbers."""
    paths = {
        "corpus": os.path.join(tmp, "corpus.jsonl"),
        "corpus_embeddings": os.path.join(tmp, "corpus.npy"),
        "queries": os.path.join(tmp, "queries.jsonl"),
        "query_embeddings": os.path.join(tmp, "queries.npy"),
        "qrels": os.path.join(tmp, "qrels.tsv"),
    }
    with open(paths["corpus"], "w", encoding="utf-8") as f:
        for i, t in enumerate(texts):
            f.write(json.dumps({"_id": f"d{i}", "title": "", "text": t}, ensure_ascii=False) + "\n")
    with open(paths["queries"], "w", encoding="utf-8") as f:
        for i, q in enumerate(queries):
            f.write(json.dumps({"_id": f"q{i}", "text": q}, ensure_ascii=False) + "\n")
    with open(paths["qrels"], "w", encoding="utf-8") as f:
        f.write("query-id\tcorpus-id\tscore\n")
        for q, d in qrels:
            f.write(f"q{q}\td{d}\t1\n")
    _npy(paths["query_embeddings"], q_emb)
    _npy(paths["corpus_embeddings"], c_emb)
    return paths


def _as_sentence_transformers(
    summary: dict[str, Any],
    output_format: str,
    output_scores: bool,
    anchor_col: str,
    positive_col: str,
    queries: list[str],
    texts: list[str],
    qrels: list[tuple[int, int]],
) -> Dataset:
    """Load the binary's rows and give them sentence-transformers' columns and grouping."""
    import datasets
    import numpy as np
    from datasets.table import InMemoryTable

    # All rows go to 'train' (train_ratio 1), but every split with rows is
    # taken, by the row counts the binary reported: an empty split is not
    # even opened (datasets 5.2 fails to open an empty split it saved itself).
    # Rows are read into memory, since the folder is deleted on return.
    root = summary["dataset"]
    parts = [
        datasets.load_from_disk(os.path.join(root, name), keep_in_memory=True)
        for name, rows in summary["rows"].items()
        if rows
    ]
    if not parts:  # no anchor kept a negative: an empty dataset, as sentence-transformers returns
        name = next(iter(summary["rows"]))
        with open(os.path.join(root, name, "dataset_info.json"), encoding="utf-8") as f:
            features = datasets.Features.from_dict(json.load(f)["features"])
        parts = [datasets.Dataset.from_dict({c: [] for c in features}, features=features)]
    ds = datasets.concatenate_datasets(parts) if len(parts) > 1 else parts[0]

    negatives = sorted((c for c in ds.column_names if c.startswith("negative_") and c[9:].isdigit()), key=lambda c: int(c[9:]))
    text_col = {"triplet": "positive", "n-tuple": "positive", "labeled-pair": "text", "labeled-list": "texts"}[output_format]
    tail = {
        "triplet": ["negative", *(["scores"] if output_scores else [])],
        "n-tuple": [*negatives, *(["scores"] if output_scores else [])],
        "labeled-pair": ["score" if output_scores else "label"],
        "labeled-list": ["scores" if output_scores else "labels"],
    }[output_format]

    # Group rows as sentence-transformers does: by anchor, then by positive,
    # each in first-seen order (a stable sort keeps the binary's order within).
    # A negative (labeled-pair) ranks after every positive of its anchor.
    query_index = {q: i for i, q in enumerate(queries)}
    rank: dict[tuple[int, str], int] = {}
    seen: Counter[int] = Counter()
    for q, d in qrels:
        rank[(q, texts[d])] = seen[q]
        seen[q] += 1
    qi = [query_index[a] for a in ds["anchor"]]
    column = ds[text_col]
    if output_format == "labeled-list":
        column = [t[0] for t in column]
    pi = [rank.get((q, t), len(texts)) for q, t in zip(qi, column)]
    keys = [np.asarray(pi, dtype=np.int64), np.asarray(qi, dtype=np.int64)]
    # Within a group, negatives most similar first where a column says how similar.
    similarity = {"triplet": "negative_similarity", "labeled-pair": "score"}.get(output_format)
    if similarity in ds.column_names:
        keys.insert(0, -np.asarray(ds[similarity], dtype=np.float64))
    order = np.lexsort(keys)

    # Reorder, select and rename in Arrow: no copy through Python objects.
    table = ds.data.table
    if not np.array_equal(order, np.arange(len(order))):
        table = table.take(order)
    names = {"anchor": anchor_col, text_col: positive_col}
    keep = ["anchor", text_col, *tail]
    features = datasets.Features({names.get(c, c): ds.features[c] for c in keep})
    table = table.select(keep).rename_columns(list(features)).replace_schema_metadata(None)
    return datasets.Dataset(InMemoryTable(table), info=datasets.DatasetInfo(features=features))
