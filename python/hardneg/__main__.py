"""``python -m hardneg ARGS`` runs the hardneg binary with ARGS."""

from __future__ import annotations

import os
import subprocess
import sys

from hardneg._find_hardneg import find_hardneg_bin


def main() -> None:
    binary = find_hardneg_bin()
    if sys.platform == "win32":
        # No exec on Windows: run it and pass its exit code on.
        sys.exit(subprocess.run([binary, *sys.argv[1:]]).returncode)
    os.execv(binary, [binary, *sys.argv[1:]])


if __name__ == "__main__":
    main()
