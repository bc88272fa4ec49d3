"""Hatchling build hook: compiles the hardneg binary into the wheel.

The wheel carries one static Go binary in ``<name>.data/scripts/``, the way
maturin ships ruff's: installers copy it into the environment's ``bin/``, so
``hardneg`` is on PATH with no Python start-up in front of it, and
``python -m hardneg`` finds it there. The Go toolchain is needed only here,
at build time; the installed wheel never calls it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

GO_MISSING = """\
building the hardneg wheel needs Go (1.26 or later) on PATH to compile the
hardneg binary, and no 'go' was found.
Install Go (https://go.dev/dl/) and put its bin folder on PATH, or set the
environment variable GO to the go executable, then build again. The wheel
that comes out runs without Go."""


def _platform_tag(goos: str, goarch: str) -> str:
    """The wheel platform tag for a CGO_ENABLED=0 build for goos/goarch.

    A static Go binary links no libc at all, so one Linux build runs on every
    glibc and every musl distribution: the tag lists both families at their
    oldest levels pip still knows (manylinux2014 = glibc 2.17, musllinux 1.1).
    Its real floor is the kernel: Go 1.26 needs Linux 3.2 or later, which every
    manylinux2014 system has. Elsewhere the tag is the build platform's own.
    """
    if goos == "linux":
        arch = {"amd64": "x86_64", "arm64": "aarch64", "386": "i686", "ppc64le": "ppc64le", "s390x": "s390x"}.get(goarch)
        if arch is None:
            raise RuntimeError(f"no wheel platform tag for GOOS=linux GOARCH={goarch}")
        return f"manylinux_2_17_{arch}.manylinux2014_{arch}.musllinux_1_1_{arch}"
    host = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    if (goos, goarch) != (_host_goos(), _host_goarch()):
        raise RuntimeError(f"cross-building for GOOS={goos} GOARCH={goarch} is only supported for Linux targets")
    return host


def _host_goos() -> str:
    return {"darwin": "darwin", "win32": "windows"}.get(sys.platform, sys.platform)


def _host_goarch() -> str:
    machine = sysconfig.get_platform().rsplit("-", 1)[-1].lower()
    return {"x86_64": "amd64", "amd64": "amd64", "arm64": "arm64", "aarch64": "arm64", "universal2": "arm64"}.get(machine, machine)


class GoBinaryHook(BuildHookInterface):
    """Builds ``cmd/hardneg`` with the Go on PATH and adds it as a script."""

    PLUGIN_NAME = "go-binary"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        go = os.environ.get("GO") or shutil.which("go")
        if not go:
            raise RuntimeError(GO_MISSING)

        env = dict(os.environ, CGO_ENABLED="0")
        goos, goarch = self._go_env(go, env, "GOOS", "GOARCH")
        if goarch == "amd64":
            # The x86-64 baseline: the AVX kernels are chosen at run time, so the
            # binary must not require more of the CPU than the tag promises.
            env["GOAMD64"] = "v1"
        exe = "hardneg.exe" if goos == "windows" else "hardneg"
        self._tmp = tempfile.mkdtemp(prefix="hardneg-wheel-")
        binary = os.path.join(self._tmp, exe)
        # The package's version, for 'hardneg version' and the stats file's "tool".
        # (initialize's version argument is the wheel target's, such as "standard".)
        ldflags = f"-s -w -X github.com/hardneg/hardneg/mine.release={self.metadata.version}"
        cmd = [go, "build", "-trimpath", "-ldflags", ldflags, "-o", binary, "./cmd/hardneg"]
        self.app.display_info("building the hardneg binary: CGO_ENABLED=0 " + " ".join(cmd[1:]))
        try:
            subprocess.run(cmd, cwd=self.root, env=env, check=True)
        except subprocess.CalledProcessError as err:
            raise RuntimeError(f"'go build' failed with exit code {err.returncode}; its output is above") from err

        build_data["shared_scripts"][binary] = exe
        build_data["pure_python"] = False
        # py3-none: the Python code is pure and the binary does not link
        # libpython, so any CPython 3 or PyPy can use the wheel.
        build_data["tag"] = f"py3-none-{_platform_tag(goos, goarch)}"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        tmp = getattr(self, "_tmp", None)
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)

    def _go_env(self, go: str, env: dict[str, str], *names: str) -> list[str]:
        try:
            out = subprocess.run([go, "env", *names], cwd=self.root, env=env, check=True, capture_output=True, text=True)
        except (OSError, subprocess.CalledProcessError) as err:
            raise RuntimeError(f"could not run '{go} env': {err}\n{GO_MISSING}") from err
        return out.stdout.split()
