"""hardneg.mine on queries against a corpus (BEIR layout), through the binary's own flags."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import datasets
import pytest
from helpers import read_jsonl

import hardneg


@pytest.fixture(scope="module")
def beir_dir(tmp_path_factory: pytest.TempPathFactory, binary: str) -> Path:
    out = tmp_path_factory.mktemp("beir")
    subprocess.run([binary, "synth", "--beir", "--out", str(out)], check=True, capture_output=True)
    return out


def test_mine_a_corpus_as_n_tuples(beir_dir: Path, tmp_path: Path, binary: str) -> None:
    dd = hardneg.mine(
        beir_dir=beir_dir, out=tmp_path / "py", no_bands=True, sampling="top", num_negatives=4,
        relative_margin=0.05, format="n-tuple", with_scores=True, verbose=False,
    )  # fmt: skip
    # The same run from the command line; its --json names the JSONL files.
    cmd = [binary, "mine", "--beir-dir", str(beir_dir), "--out", str(tmp_path / "cli"), "--no-bands", "--sampling", "top",
           "-n", "4", "--relative-margin", "0.05", "--format", "n-tuple", "--with-scores", "--json", "-q"]  # fmt: skip
    summary = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    assert isinstance(dd, datasets.DatasetDict)
    for split in ("train", "validation"):
        ds = dd[split]
        assert ds.column_names == ["anchor", "positive", "negative_1", "negative_2", "negative_3", "negative_4", "scores"]
        assert ds.features["scores"] == datasets.List(datasets.Value("float64"))
        assert ds.to_list() == read_jsonl(summary["jsonl"][split])
        for r in ds:
            assert all(s <= r["scores"][0] for s in r["scores"][1:]), "relative_margin keeps negatives below the positive"


def test_bad_corpus_line_names_file_and_line(beir_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "beir"
    shutil.copytree(beir_dir, bad)
    corpus = bad / "corpus.jsonl"
    lines = corpus.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = '{"_id": "x", "text"\n'
    corpus.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(hardneg.HardnegError) as info:
        hardneg.mine(beir_dir=bad, out=tmp_path / "out", verbose=False)
    assert info.value.exit_code == 3
    assert str(corpus) in str(info.value)
    assert "line 2" in str(info.value)
