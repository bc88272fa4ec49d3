"""Shared fixtures: the installed binary and one small synthetic data set."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import hardneg


@pytest.fixture(scope="session")
def binary() -> str:
    return hardneg.find_hardneg_bin()


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory: pytest.TempPathFactory, binary: str) -> Path:
    """The synonym job's three input files, written by 'hardneg synth'."""
    out = tmp_path_factory.mktemp("synth")
    subprocess.run([binary, "synth", "--out", str(out), "--terms", "3000", "--dim", "64"], check=True, capture_output=True)
    return out
