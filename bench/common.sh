# Sourced by the bench scripts from the repository root: builds hardneg
# into $BIN and, for the scripts that time NumPy beside it, installs
# Debian's NumPy on OpenBLAS (all cores) if it is missing.
BIN=bench/out/hardneg
mkdir -p bench/out

# need_numpy installs python3-numpy and libopenblas0-pthread (needs root).
need_numpy() {
  if ! /usr/bin/python3 -c 'import numpy' 2>/dev/null || ! ls /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 >/dev/null 2>&1; then
    echo "installing python3-numpy and libopenblas0-pthread (needs root)" >&2
    apt-get update -qq && apt-get install -y -qq python3-numpy libopenblas0-pthread >/dev/null
  fi
}

go build -o "$BIN" ./cmd/hardneg
