"""Failures of the binary, as Python sees them: one exception class, exit code and message kept."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import hardneg


def test_bad_input_names_the_file_and_line(synth_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(synth_dir, data)
    pairs = data / "filtered_synonym_pairs.jsonl"
    lines = pairs.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = '{"source": "x", "target"\n'
    pairs.write_text("".join(lines), encoding="utf-8")

    with pytest.raises(hardneg.HardnegError) as info:
        hardneg.mine(data_dir=data, out=tmp_path / "out", verbose=False)
    err = info.value
    assert err.exit_code == 3
    assert "filtered_synonym_pairs.jsonl" in str(err)
    assert "line 2" in str(err)
    assert str(err) == err.message
    assert "hardneg: " + err.message in err.stderr
    assert not (tmp_path / "out" / "triplet_dataset").exists()


def test_bad_flag_is_exit_code_2(synth_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(hardneg.HardnegError) as info:
        hardneg.mine(data_dir=synth_dir, out=tmp_path, negatives_per_anchr=3, verbose=False)
    assert info.value.exit_code == 2
    assert "--negatives-per-anchr" in str(info.value)


def test_bad_setting_is_exit_code_2(synth_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(hardneg.HardnegError) as info:
        hardneg.mine(data_dir=synth_dir, out=tmp_path, train_ratio=0.5, val_ratio=0.2, verbose=False)
    assert info.value.exit_code == 2
    assert "sum to 1" in str(info.value)


def test_existing_outputs_need_force(synth_dir: Path, tmp_path: Path) -> None:
    first = hardneg.mine(data_dir=synth_dir, out=tmp_path, seed=1, verbose=False)
    with pytest.raises(hardneg.HardnegError) as info:
        hardneg.mine(data_dir=synth_dir, out=tmp_path, seed=1, verbose=False)
    assert info.value.exit_code == 4
    assert "--force" in str(info.value)
    again = hardneg.mine(data_dir=synth_dir, out=tmp_path, seed=1, force=True, verbose=False)
    assert again["train"].to_list() == first["train"].to_list()


def test_missing_data_dir(tmp_path: Path) -> None:
    with pytest.raises(hardneg.HardnegError) as info:
        hardneg.mine(data_dir=tmp_path / "nowhere", out=tmp_path / "out", verbose=False)
    assert info.value.exit_code == 3
    assert "nowhere" in str(info.value)
