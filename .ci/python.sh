#!/usr/bin/env bash
# The Python package, as a user gets it: build the wheel with python -m build
# (sdist, then the wheel from the sdist, which compiles the binary with Go),
# install it into a fresh virtual environment with the pinned libraries, and
# run python/tests there with Go hidden from PATH. Nothing is cached between
# runs: every venv and download lives in a temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
# Pins hatchling inside python -m build's isolated environment as well.
export PIP_CONSTRAINT="$PWD/python/requirements-ci.txt"
start=$SECONDS

"$python" -m venv "$work/build-env"
"$work/build-env/bin/pip" install -q build
"$work/build-env/bin/python" -m build --outdir "$work/dist" . >"$work/build.log" 2>&1 || {
  cat "$work/build.log"; exit 1
}
wheel=$(ls "$work/dist"/*.whl)
echo "python: built $(basename "$wheel") ($(du -k "$wheel" | cut -f1) KiB) in $((SECONDS - start)) s"

"$python" -m venv "$work/venv"
"$work/venv/bin/pip" install -q -r python/requirements-ci.txt "$wheel"
echo "python: installed into a fresh venv at $((SECONDS - start)) s"

# PATH without Go: the venv's bin (where the wheel put hardneg) and the
# system's, minus any folder that holds a go executable.
path="$work/venv/bin"
IFS=: read -ra dirs <<<"$PATH"
for d in "${dirs[@]}"; do
  [ -n "$d" ] && [ "$d" != "$work/venv/bin" ] && [ ! -x "$d/go" ] && path+=":$d"
done
if PATH=$path command -v go >/dev/null; then
  echo "python: could not hide go from PATH"; exit 1
fi

# Run from a copy of the tests only, so that nothing in the checkout can
# stand in for the installed package.
mkdir -p "$work/repo/python" && cp -r python/tests "$work/repo/python/" && cp -r docs "$work/repo/"
cp pyproject.toml "$work/repo/"
# pytest's summary stays the last line, for whoever reads how CI ended.
echo "python: running python/tests from $((SECONDS - start)) s"
cd "$work/repo"
env PATH="$path" HARDNEG_WHEEL_TEST=1 "$work/venv/bin/pytest" -p no:cacheprovider python/tests
