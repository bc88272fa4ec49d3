"""Locates the hardneg binary that the wheel installed."""

from __future__ import annotations

import os
import sys
import sysconfig

_EXE = "hardneg" + (".exe" if sys.platform == "win32" else "")


class HardnegNotFoundError(FileNotFoundError):
    """No hardneg binary was found next to this Python package."""


def find_hardneg_bin() -> str:
    """Return the path of the ``hardneg`` binary.

    The wheel installs the binary into the scripts folder of the environment
    it was installed into (``bin/`` of a virtual environment), so that is where
    it is looked for: the environment's scripts folder, then the user scheme's
    (``pip install --user``), then a ``bin/`` beside the package (``pip
    install --target`` and ``--prefix``). The environment variable
    ``HARDNEG_BINARY`` overrides the search, for a binary built with
    ``go build ./cmd/hardneg``.

    Returns
    -------
    str
        Absolute path of an executable ``hardneg``.

    Raises
    ------
    HardnegNotFoundError
        If none of those places holds one.
    """
    override = os.environ.get("HARDNEG_BINARY")
    if override:
        if os.path.isfile(override) and os.access(override, os.X_OK):
            return os.path.abspath(override)
        raise HardnegNotFoundError(f"HARDNEG_BINARY={override} is not an executable file")

    candidates = [os.path.join(sysconfig.get_path("scripts"), _EXE)]
    user_scheme = {"nt": "nt_user", "posix": "posix_user"}.get(os.name)
    if sys.platform == "darwin" and sys._framework:  # type: ignore[attr-defined]
        user_scheme = "osx_framework_user"
    if user_scheme:
        candidates.append(os.path.join(sysconfig.get_path("scripts", scheme=user_scheme), _EXE))
    # --target DIR puts the package in DIR and scripts in DIR/bin; --prefix P
    # puts it in P/lib/pythonX.Y/site-packages and scripts in P/bin.
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    candidates.append(os.path.join(package_parent, "bin", _EXE))
    candidates.append(os.path.join(package_parent, *([os.pardir] * 3), "bin", _EXE))

    for path in candidates:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return os.path.normpath(path)
    raise HardnegNotFoundError(
        "the hardneg binary was not found; looked in:\n  "
        + "\n  ".join(os.path.normpath(p) for p in candidates)
        + "\nReinstall the hardneg wheel, or set HARDNEG_BINARY to a binary built with 'go build ./cmd/hardneg'."
    )
