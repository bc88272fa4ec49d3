"""The installed wheel: the binary on PATH, python -m hardneg, and no Go needed.

.ci/python.sh sets HARDNEG_WHEEL_TEST=1 when it runs these tests in a fresh
virtual environment holding only the built wheel, with Go hidden from PATH;
the checks that only make sense there run only then.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import hardneg

wheel_test = pytest.mark.skipif(os.environ.get("HARDNEG_WHEEL_TEST") != "1", reason="only in .ci/python.sh's fresh venv")


def test_python_m_hardneg_runs_the_binary() -> None:
    out = subprocess.run([sys.executable, "-m", "hardneg", "version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("hardneg ")


def test_python_m_hardneg_passes_the_exit_code_on(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "hardneg", "mine", "--no-such-flag"], capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.startswith("hardneg: unknown flag: --no-such-flag")


def test_binary_is_static_executable(binary: str) -> None:
    with open(binary, "rb") as f:
        head = f.read(4096)
    if sys.platform.startswith("linux"):
        assert head[:4] == b"\x7fELF"
        assert b"/lib64/ld-linux" not in head and b"/lib/ld-" not in head, "the binary asks for a dynamic loader"


@wheel_test
def test_hardneg_is_on_path_from_the_wheel(binary: str) -> None:
    scripts = Path(sysconfig.get_path("scripts"))
    assert Path(binary) == scripts / "hardneg"
    assert shutil.which("hardneg") == str(scripts / "hardneg")


@wheel_test
def test_go_is_hidden() -> None:
    assert shutil.which("go") is None


@wheel_test
def test_package_comes_from_the_wheel() -> None:
    site = Path(sysconfig.get_path("purelib"))
    assert Path(hardneg.__file__).parent == site / "hardneg"
    assert hardneg.__version__ != "0+unknown"


@wheel_test
def test_binary_reports_the_package_version(binary: str) -> None:
    out = subprocess.run([binary, "version"], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[0] == f"hardneg v{hardneg.__version__}"


def test_binary_override(monkeypatch: pytest.MonkeyPatch, binary: str, tmp_path: Path) -> None:
    monkeypatch.setenv("HARDNEG_BINARY", binary)
    assert hardneg.find_hardneg_bin() == os.path.abspath(binary)
    monkeypatch.setenv("HARDNEG_BINARY", str(tmp_path / "missing"))
    with pytest.raises(hardneg.HardnegNotFoundError):
        hardneg.find_hardneg_bin()
