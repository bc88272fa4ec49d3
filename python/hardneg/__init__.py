"""hardneg: hard-negative mining for contrastive training sets, from Python.

A thin skin over the ``hardneg`` binary that the wheel installs: it runs the
binary, shows its progress, and loads what it wrote with ``datasets``. The
mining itself, every rule and every default, lives in the binary.

- :func:`mine` runs ``hardneg mine`` and returns the ``DatasetDict``.
- :func:`mine_hard_negatives` is sentence-transformers' function of that
  name, computed by hardneg.
- :class:`HardnegError` is raised when the binary fails.
- :func:`find_hardneg_bin` returns the binary's path; ``python -m hardneg
  ARGS`` runs it.
"""

from __future__ import annotations

from hardneg._find_hardneg import HardnegNotFoundError, find_hardneg_bin
from hardneg._mine import mine
from hardneg._run import HardnegError
from hardneg._st import mine_hard_negatives

__all__ = ["HardnegError", "HardnegNotFoundError", "find_hardneg_bin", "mine", "mine_hard_negatives", "__version__"]


def __getattr__(name: str) -> str:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("hardneg")
        except PackageNotFoundError:
            return "0+unknown"
    raise AttributeError(f"module 'hardneg' has no attribute {name!r}")
