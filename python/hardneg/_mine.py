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
    pairs: PathLike | None = None,
    embeddings: PathLike | None = None,
    terms: PathLike | None = None,
    beir_dir: PathLike | None = None,
    corpus: PathLike | None = None,
    corpus_embeddings: PathLike | None = None,
    queries: PathLike | None = None,
    query_embeddings: PathLike | None = None,
    qrels: PathLike | None = None,
    out: PathLike | None = None,
    format: str | None = None,
    with_scores: bool | None = None,
    with_ids: bool | None = None,
    parquet: bool | None = None,
    force: bool | None = None,
    easy_range: Range | None = None,
    medium_range: Range | None = None,
    hard_range: Range | None = None,
    easy_ratio: float | None = None,
    medium_ratio: float | None = None,
    hard_ratio: float | None = None,
    band: Sequence[str] | None = None,
    no_bands: bool | None = None,
    negatives_per_anchor: int | None = None,
    num_negatives: int | None = None,
    sampling: str | None = None,
    simans_a: float | None = None,
    simans_b: float | None = None,
    range_min: int | None = None,
    range_max: int | None = None,
    quota: str | None = None,
    exclude: str | None = None,
    relative_margin: float | None = None,
    absolute_margin: float | None = None,
    max_score: float | None = None,
    min_score: float | None = None,
    exclude_near_duplicates: float | None = None,
    exclude_normalized: bool | None = None,
    exclude_contains: int | None = None,
    exclude_edit_distance: int | None = None,
    exclude_edit_min_length: int | None = None,
    max_negative_reuse: int | None = None,
    dump_excluded: PathLike | None = None,
    train_ratio: float | None = None,
    val_ratio: float | None = None,
    split_by: str | None = None,
    seed: int | None = None,
    threads: int | None = None,
    store: str | None = None,
    max_memory: str | None = None,
    batch_size: int | None = None,
    config: PathLike | None = None,
    quiet: bool | None = None,
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
        The synonym job: a folder holding ``filtered_synonym_pairs.jsonl``,
        ``term_embeddings.npy`` and ``term_list.json``. ``pairs``,
        ``embeddings`` and ``terms`` name the three files one by one instead.
    beir_dir : str or os.PathLike, optional
        Queries against a corpus: a folder in BEIR layout with the two
        embedding matrices. ``corpus``, ``corpus_embeddings``, ``queries``,
        ``query_embeddings`` and ``qrels`` name the files one by one instead;
        row i of a ``.npy`` embeds line i of its JSONL.
    out : str or os.PathLike, optional
        Output folder; the CLI defaults it to ``data_dir``.
    format : str, optional
        Row shape: ``"triplet"`` (default), ``"n-tuple"``, ``"labeled-pair"``,
        ``"labeled-list"`` or ``"flagembedding"``.
    with_scores, with_ids : bool, optional
        Add similarities (as sentence-transformers' ``output_scores``), or
        the query and document ids, to every row.
    parquet : bool, optional
        Also write the splits in the Hub's Parquet layout (``data/``).
    force : bool, optional
        Replace outputs that exist; without it the run fails with exit code 4.
    easy_range, medium_range, hard_range : (float, float), optional
        A band's cosine range ``[lo, hi)``, e.g. ``hard_range=(0.7, 0.85)``.
    easy_ratio, medium_ratio, hard_ratio : float, optional
        A band's share of the negatives.
    band : list of str, optional
        Bands as ``"NAME:LO:HI:RATIO"``, replacing the three above:
        ``band=["far:0.25:0.4:0.25", "near:0.4:0.6:0.4", "twin:0.75:0.9:0.35"]``.
    no_bands : bool, optional
        Choose from all candidates instead of similarity bands.
    negatives_per_anchor, num_negatives : int, optional
        Negatives per anchor (``-n``; two names for one flag).
    sampling, simans_a, simans_b, range_min, range_max, quota : optional
        How candidates are ordered and taken: ``"random"``, ``"top"`` or
        ``"simans"`` and its parameters, a rank window, the band quotas.
    exclude, relative_margin, absolute_margin, max_score, min_score, exclude_near_duplicates : optional
        Guards against false negatives and score limits.
    exclude_normalized, exclude_contains, exclude_edit_distance, exclude_edit_min_length : optional
        Lexical-variant guards of the synonym job.
    max_negative_reuse : int, optional
        At most this many anchors share one negative.
    dump_excluded : str or os.PathLike, optional
        Write every candidate a guard excluded to this JSONL file.
    train_ratio, val_ratio, split_by, seed : optional
        The train/validation split and the seed of every random choice.
    threads, store, max_memory, batch_size : optional
        Resources: worker threads (never change the output), precision of the
        stored embeddings, a memory limit such as ``"8GiB"``.
    config : str or os.PathLike, optional
        A YAML file of settings (``--config``); other arguments override it.
    quiet : bool, optional
        ``-q``: the binary prints neither its log nor progress.
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
