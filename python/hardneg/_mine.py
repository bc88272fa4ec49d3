"""``hardneg.mine``: the ``hardneg mine`` command as a function."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Sequence, Union

from hardneg._run import flag_args, run_json

if TYPE_CHECKING:
    from datasets import DatasetDict

PathLike = Union[str, "os.PathLike[str]"]
Range = Sequence[float]


def mine(
    *,
    data_dir: PathLike | None = None,
    out: PathLike | None = None,
    pairs: PathLike | None = None,
    embeddings: PathLike | None = None,
    terms: PathLike | None = None,
    easy_range: Range | None = None,
    medium_range: Range | None = None,
    hard_range: Range | None = None,
    easy_ratio: float | None = None,
    medium_ratio: float | None = None,
    hard_ratio: float | None = None,
    band: Sequence[str] | None = None,
    negatives_per_anchor: int | None = None,
    train_ratio: float | None = None,
    val_ratio: float | None = None,
    seed: int | None = None,
    quota: str | None = None,
    split_by: str | None = None,
    exclude: str | None = None,
    exclude_normalized: bool | None = None,
    exclude_contains: int | None = None,
    exclude_edit_distance: int | None = None,
    exclude_edit_min_length: int | None = None,
    dump_excluded: PathLike | None = None,
    max_neg_ratio: float | None = None,
    max_neg_margin: float | None = None,
    max_negative_reuse: int | None = None,
    format: str | None = None,
    with_scores: bool | None = None,
    store: str | None = None,
    threads: int | None = None,
    max_memory: str | None = None,
    batch_size: int | None = None,
    parquet: bool | None = None,
    force: bool | None = None,
    quiet: bool | None = None,
    config: PathLike | None = None,
    corpus: PathLike | None = None,
    corpus_embeddings: PathLike | None = None,
    queries: PathLike | None = None,
    query_embeddings: PathLike | None = None,
    qrels: PathLike | None = None,
    range_min: int | None = None,
    range_max: int | None = None,
    sampling: str | None = None,
    min_score: float | None = None,
    max_score: float | None = None,
    relative_margin: float | None = None,
    absolute_margin: float | None = None,
    num_negatives: int | None = None,
    no_bands: bool | None = None,
    with_ids: bool | None = None,
    verbose: bool = True,
    **flags: Any,
) -> DatasetDict:
    """Run ``hardneg mine`` and return the dataset it wrote.

    Every keyword argument is the CLI flag of the same name in snake_case
    (``negatives_per_anchor=3`` is ``--negatives-per-anchor 3``); ``hardneg
    mine --help`` documents them all, and the binary checks them. An argument
    left at ``None`` is not passed, so the CLI's default applies. Flags the
    binary gains later can be passed the same way through ``**flags``.

    Parameters
    ----------
    data_dir : str or os.PathLike, optional
        Folder holding ``filtered_synonym_pairs.jsonl``, ``term_embeddings.npy``
        and ``term_list.json`` (the synonym job). ``pairs``, ``embeddings``
        and ``terms`` name the three files one by one instead.
    out : str or os.PathLike, optional
        Output folder; the CLI defaults it to ``data_dir``.
    easy_range, medium_range, hard_range : (float, float), optional
        A band's cosine range ``[lo, hi)``, e.g. ``hard_range=(0.7, 0.85)``.
    easy_ratio, medium_ratio, hard_ratio : float, optional
        A band's share of the negatives.
    band : list of str, optional
        Bands as ``"NAME:LO:HI:RATIO"``, replacing the three above:
        ``band=["far:0.25:0.4:0.25", "near:0.4:0.6:0.4", "twin:0.75:0.9:0.35"]``.
    negatives_per_anchor : int, optional
        Negatives per anchor (``-n``).
    train_ratio, val_ratio, seed, quota, split_by : optional
        The split and the sampling: see ``hardneg mine --help``.
    exclude, exclude_normalized, exclude_contains, exclude_edit_distance, exclude_edit_min_length : optional
        Guards against false negatives (graph hops, lexical variants).
    dump_excluded : str or os.PathLike, optional
        Write every candidate a guard excluded to this JSONL file.
    max_neg_ratio, max_neg_margin, max_negative_reuse : optional
        Positive-aware ceilings and the cap on how many anchors share a negative.
    format : str, optional
        Row shape: ``"triplet"`` (default), ``"ntuple"``, ``"flagembedding"``
        (and, with the general mode, ``"n-tuple"``, ``"labeled-pair"`` and
        ``"labeled-list"``).
    with_scores : bool, optional
        Add similarities to every row, for margin losses.
    store, threads, max_memory, batch_size : optional
        Resources: precision of the stored embeddings, worker threads (never
        changes the output), memory limit such as ``"8GiB"``.
    parquet : bool, optional
        Also write the splits in the Hub's Parquet layout (``data/``).
    force : bool, optional
        Replace outputs that exist; without it the run fails with exit code 4.
    quiet : bool, optional
        ``-q``: the binary prints neither its log nor progress.
    config : str or os.PathLike, optional
        A YAML file of settings (``--config``); other arguments override it.
    corpus, corpus_embeddings, queries, query_embeddings, qrels : str or os.PathLike, optional
        The general mode: queries against a corpus in BEIR layout, with
        ``.npy`` embeddings whose row i embeds line i.
    range_min, range_max, sampling, min_score, max_score, relative_margin, absolute_margin, num_negatives : optional
        The general mode's rank window, sampling (``"random"``, ``"top"``,
        ``"simans"``), score limits and margins, as in sentence-transformers.
    no_bands : bool, optional
        Choose from all candidates instead of the similarity bands.
    with_ids : bool, optional
        Add the query and corpus ids to every row.
    verbose : bool, default True
        Show a progress bar (``tqdm.auto``, so it renders in notebooks) and
        echo the binary's log to ``sys.stderr``. Not a CLI flag.
    **flags
        Any other ``hardneg mine`` flag, in snake_case.

    Returns
    -------
    datasets.DatasetDict
        The ``train`` and ``validation`` splits, loaded with
        ``datasets.load_from_disk`` from the folder the binary reported.

    Raises
    ------
    HardnegError
        When the binary fails; ``.exit_code`` is its exit status and
        ``str(err)`` its message, with the file and line for bad input.

    Examples
    --------
    >>> import hardneg
    >>> ds = hardneg.mine(data_dir="data/v21.3", out="runs/01", negatives_per_anchor=5)
    >>> ds["train"][0]["difficulty"]
    'hard'
    """
    named = {k: v for k, v in locals().items() if k not in ("flags", "verbose")}
    summary = run_json(["mine", *flag_args({**named, **flags})], verbose=verbose)
    return load_dataset_dict(summary)


def load_dataset_dict(summary: dict[str, Any]) -> DatasetDict:
    """Load the dataset a ``--json`` summary names."""
    import datasets

    return datasets.load_from_disk(summary["dataset"])
