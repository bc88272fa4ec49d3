"""Write the golden .npy files and the fuzz seed corpus that package npy tests against.

The files are committed, so the Go tests never need Python. Rerun this only when
the set of golden files changes, with Debian's numpy (the pyenv python3 on PATH
has none):

    apt-get install -y python3-numpy
    cd npy/testdata && /usr/bin/python3 make_golden.py

It was last run with numpy 1.24.2. numpy.save's header layout (the 64-byte
alignment and the spare spaces after the dict) is what Write must reproduce
byte for byte, so save_*.npy are the reference for Write.
"""

import io
import os

import numpy as np
from numpy.lib import format as npformat

HERE = os.path.dirname(os.path.abspath(__file__))

# Values chosen to exercise float16 rounding: ties to even, the largest finite
# value and the first value that overflows to inf, subnormals and the values
# that round to zero, signed zero, infinities and a NaN.
SRC = np.array(
    [
        1 / 3, 65504, 65519, 65520, 2**-24, 2**-25, 3 * 2**-25,
        2**-14, 1e-8, -0.0, np.inf, -np.inf, 0.1, np.pi,
        -2.5, 1e5, 1 + 2**-11, 1 + 3 * 2**-11, -1 / 3, 2**-15, np.nan,
    ],
    dtype="<f4",
).reshape(3, 7)


def save(name, arr):
    np.save(os.path.join(HERE, name), arr, allow_pickle=False)


def write_version(name, arr, version):
    with open(os.path.join(HERE, name), "wb") as f:
        npformat.write_array(f, arr, version=version, allow_pickle=False)


def go_bytes_literal(b):
    """Quote b as a Go []byte literal for the `go test fuzz v1` format."""
    out = []
    for c in b:
        if c in (0x22, 0x5C) or c < 0x20 or c >= 0x7F:
            out.append("\\x%02x" % c)
        else:
            out.append(chr(c))
    return '[]byte("' + "".join(out) + '")'


def seed(name, b):
    path = os.path.join(HERE, "fuzz", "FuzzParseHeader", name)
    with open(path, "w") as f:
        f.write("go test fuzz v1\n" + go_bytes_literal(b) + "\n")


def main():
    # numpy.save's own choices (version 1.0): the reference for Write.
    save("save_f4.npy", SRC)
    with np.errstate(over="ignore"):  # 65520 and 1e5 overflow to inf on purpose
        save("save_f2.npy", SRC.astype("<f2"))
    save("save_f8.npy", SRC.astype("<f8"))

    # The later format versions, which numpy.save only picks for huge or
    # non-latin-1 headers.
    small = SRC[:2, :3].copy()
    write_version("v2_f4.npy", small, (2, 0))
    write_version("v3_f4.npy", small, (3, 0))
    with np.errstate(over="ignore"):
        write_version("v2_f2.npy", small.astype("<f2"), (2, 0))
    write_version("v3_f8.npy", small.astype("<f8"), (3, 0))

    # Files Open must refuse.
    save("fortran_f4.npy", np.asfortranarray(SRC))
    save("bigendian_f4.npy", SRC.astype(">f4"))
    save("int32.npy", np.arange(12, dtype="<i4").reshape(3, 4))
    save("uint8.npy", np.arange(12, dtype="|u1").reshape(3, 4))
    save("vector_f4.npy", np.arange(5, dtype="<f4"))
    save("cube_f4.npy", np.zeros((2, 3, 4), dtype="<f4"))
    save("norows_f4.npy", np.zeros((0, 4), dtype="<f4"))
    save("nocols_f4.npy", np.zeros((4, 0), dtype="<f4"))

    # Seeds: real headers (with a few data bytes after them, as Open would
    # pass), plus the header numpy writes for the production shape.
    for name in ["save_f2.npy", "v2_f4.npy", "v3_f8.npy", "fortran_f4.npy",
                 "bigendian_f4.npy", "cube_f4.npy"]:
        with open(os.path.join(HERE, name), "rb") as f:
            b = f.read()
        seed(name.replace(".npy", ""), b[:160])
    buf = io.BytesIO()
    npformat.write_array_header_1_0(
        buf, {"descr": "<f2", "fortran_order": False, "shape": (150000, 1024)})
    seed("production_header", buf.getvalue())
    buf = io.BytesIO()
    npformat.write_array_header_2_0(
        buf, {"descr": "<f4", "fortran_order": False, "shape": (3, 4)})
    seed("v2_header_only", buf.getvalue())


if __name__ == "__main__":
    main()
