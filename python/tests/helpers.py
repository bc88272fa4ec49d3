"""Helpers the test modules import."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

import hardneg


def has_general_mode() -> bool:
    """Whether this binary's mine command has the queries-against-corpus mode."""
    out = subprocess.run([hardneg.find_hardneg_bin(), "mine", "--help"], capture_output=True, text=True, check=True)
    return "--corpus" in out.stdout


general_mode = pytest.mark.skipif(
    not has_general_mode(),
    reason="the hardneg binary has no general mode yet ('hardneg mine --help' lists no --corpus)",
)


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
