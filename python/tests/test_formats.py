"""Every output the CLI writes today, read back by the real libraries.

Each format is mined once (module scope) with --parquet; the tests then read
the HuggingFace folder with datasets, the Parquet files with pyarrow, DuckDB
and pandas, and compare all of them with the JSONL rows.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import datasets
import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
from helpers import read_jsonl

import hardneg

FORMATS = [
    pytest.param((fmt, scores), id=fmt + ("-scores" if scores else ""))
    for fmt in ("triplet", "n-tuple", "labeled-pair", "labeled-list", "flagembedding")
    for scores in (False, True)
]
SPLITS = ("train", "validation")


@pytest.fixture(scope="module", params=FORMATS)
def run(request: pytest.FixtureRequest, binary: str, synth_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The --json summary of one 'hardneg mine --parquet' run."""
    fmt, scores = request.param
    out = tmp_path_factory.mktemp(f"out-{fmt}-{scores}")
    cmd = [binary, "mine", "--data-dir", str(synth_dir), "--out", str(out), "--format", fmt, "--parquet", "--json", "-q"]
    if scores:
        cmd.append("--with-scores")
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    summary = json.loads(proc.stdout)
    summary["_args"] = {"format": fmt, "with_scores": scores}
    return summary


def feature_for(value: Any) -> Any:
    """The feature a JSON value declares: str -> string, float -> float64, lists of them."""
    if isinstance(value, bool):
        return datasets.Value("bool")
    if isinstance(value, str):
        return datasets.Value("string")
    if isinstance(value, float):
        return datasets.Value("float64")
    if isinstance(value, int):
        return datasets.Value("int64")
    if isinstance(value, list):
        return datasets.List(feature_for(value[0]))
    raise AssertionError(f"unexpected JSON value {value!r}")


def test_load_from_disk_gives_both_splits_with_the_reported_rows(run: dict[str, Any]) -> None:
    dd = datasets.load_from_disk(run["dataset"])
    assert isinstance(dd, datasets.DatasetDict)
    assert list(dd) == list(SPLITS)
    for split in SPLITS:
        assert dd[split].num_rows == run["rows"][split]
        assert dd[split].num_rows > 0


def test_features_are_as_declared(run: dict[str, Any]) -> None:
    dd = datasets.load_from_disk(run["dataset"])
    for split in SPLITS:
        ds = dd[split]
        info = json.loads((Path(run["dataset"]) / split / "dataset_info.json").read_text(encoding="utf-8"))
        assert ds.features == datasets.Features.from_dict(info["features"])
        # The Arrow types are exactly those the features declare.
        assert ds.data.schema.remove_metadata() == ds.features.arrow_schema.remove_metadata()
        first = ds[0]
        assert ds.features == datasets.Features({k: feature_for(v) for k, v in first.items()})


def test_dataset_rows_equal_the_jsonl_rows(run: dict[str, Any]) -> None:
    dd = datasets.load_from_disk(run["dataset"])
    for split in SPLITS:
        rows = read_jsonl(run["jsonl"][split])
        assert dd[split].column_names == list(rows[0])
        assert dd[split].to_list() == rows


def parquet_rows(path: str) -> list[dict[str, Any]]:
    return pq.read_table(path).to_pylist()


def test_parquet_has_the_dataset_rows(run: dict[str, Any]) -> None:
    dd = datasets.load_from_disk(run["dataset"])
    assert set(run["parquet"]) == set(SPLITS)
    for split in SPLITS:
        table = pq.read_table(run["parquet"][split])
        assert table.column_names == dd[split].column_names
        assert table.schema.remove_metadata() == dd[split].data.schema.remove_metadata()
        assert table.to_pylist() == dd[split].to_list()


def test_parquet_rows_equal_the_jsonl_rows(run: dict[str, Any]) -> None:
    for split in SPLITS:
        assert parquet_rows(run["parquet"][split]) == read_jsonl(run["jsonl"][split])


def test_duckdb_reads_the_parquet_layout(run: dict[str, Any]) -> None:
    for split in SPLITS:
        path = run["parquet"][split]
        rel = duckdb.sql(
            f"select * exclude (file_row_number) from read_parquet('{path}', file_row_number = true) order by file_row_number"
        )
        got = [dict(zip(rel.columns, row)) for row in rel.fetchall()]
        assert got == parquet_rows(path)
        count = duckdb.sql(f"select count(*) from read_parquet('{path}')").fetchall()[0][0]
        assert count == run["rows"][split]
    if run["_args"]["format"] == "triplet":
        # The Hub's layout globbed as one table, the way DuckDB users query it.
        glob = str(Path(run["parquet"]["train"]).parent / "*.parquet")
        mix = duckdb.sql(f"select difficulty, count(*) from read_parquet('{glob}') group by difficulty").fetchall()
        assert sum(n for _, n in mix) == sum(run["rows"].values())
        assert {d for d, _ in mix} == {"easy", "medium", "hard"}


def test_pandas_reads_the_parquet_layout(run: dict[str, Any]) -> None:
    for split in SPLITS:
        frame = pd.read_parquet(run["parquet"][split])
        table = pq.read_table(run["parquet"][split])
        assert list(frame.columns) == table.column_names
        assert len(frame) == run["rows"][split]
        for name in table.column_names:
            values = [v.tolist() if hasattr(v, "tolist") else v for v in frame[name]]
            assert values == table.column(name).to_pylist()


def test_hardneg_mine_returns_what_the_binary_wrote(run: dict[str, Any], synth_dir: Path, tmp_path: Path) -> None:
    args = run["_args"]
    dd = hardneg.mine(data_dir=synth_dir, out=tmp_path, parquet=True, verbose=False, **args)
    expected = datasets.load_from_disk(run["dataset"])
    for split in SPLITS:
        assert dd[split].features == expected[split].features
        assert dd[split].to_list() == expected[split].to_list()
