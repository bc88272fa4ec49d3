"""The training code downstream of the notebook, run on what hardneg.mine returns.

The seed notebook (02_data_preparation) saves a DatasetDict; the training
step loads it with datasets.load_from_disk, takes dataset["train"] and
dataset["validation"], and wraps each in a TripletDataset whose __getitem__
reads anchor, positive, negative and difficulty with .get. TripletDataset
below is that class without torch (it subclasses torch's Dataset there, which
adds nothing __getitem__ uses).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import datasets
import pytest
from helpers import read_jsonl

import hardneg


class TripletDataset:
    """The training notebook's dataset wrapper, minus torch."""

    def __init__(self, hf_dataset: datasets.Dataset) -> None:
        self.data = hf_dataset

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, idx: int) -> dict[str, Any]:
        item = self.data[idx]
        return {
            "anchor": item.get("anchor", ""),
            "positive": item.get("positive", ""),
            "negative": item.get("negative", ""),
            "difficulty": item.get("difficulty", "unknown"),
        }


def batches(ds: TripletDataset, size: int) -> list[dict[str, list[Any]]]:
    """What a DataLoader with the default collate makes of string fields."""
    out = []
    for start in range(0, len(ds), size):
        items = [ds[i] for i in range(start, min(start + size, len(ds)))]
        out.append({key: [item[key] for item in items] for key in items[0]})
    return out


@pytest.fixture(scope="module")
def mined(synth_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[datasets.DatasetDict, Path]:
    out = tmp_path_factory.mktemp("consumer")
    return hardneg.mine(data_dir=synth_dir, out=out, verbose=False), out


def test_training_code_reads_every_row(mined: tuple[datasets.DatasetDict, Path]) -> None:
    dd, out = mined
    # The training notebook loads the folder itself, by path.
    loaded = datasets.load_from_disk(str(out / "triplet_dataset"))
    for split in ("train", "validation"):
        ds = TripletDataset(loaded[split])
        assert len(ds) == dd[split].num_rows
        seen = Counter()
        for batch in batches(ds, 64):
            assert set(batch) == {"anchor", "positive", "negative", "difficulty"}
            for a, p, n, d in zip(batch["anchor"], batch["positive"], batch["negative"], batch["difficulty"]):
                assert a and p and n, "a field fell back to the .get default"
                assert len({a, p, n}) == 3
                seen[d] += 1
        assert set(seen) == {"easy", "medium", "hard"}, "difficulty fell back to 'unknown' or a band is missing"


def test_training_rows_are_the_jsonl_rows(mined: tuple[datasets.DatasetDict, Path]) -> None:
    dd, out = mined
    rows = read_jsonl(out / "train_triplets.jsonl")
    ds = TripletDataset(dd["train"])
    fields = ("anchor", "positive", "negative", "difficulty")
    assert [ds[i] for i in range(len(ds))] == [{k: r[k] for k in fields} for r in rows]


def test_training_step_pandas_summary(mined: tuple[datasets.DatasetDict, Path]) -> None:
    dd, _ = mined
    frame = dd["train"].to_pandas()
    share = frame["difficulty"].value_counts(normalize=True)
    assert abs(share.sum() - 1) < 1e-9
    assert frame["negative_similarity"].between(-1, 1).all()
