// Package npy reads and writes the term-embedding matrix that hardneg mines:
// a NumPy .npy file holding one 2-D, C-ordered, little-endian float matrix of
// N terms by D dimensions, in float16, float32 or float64, in any of the NPY
// format versions 1.0, 2.0 and 3.0.
//
// Open memory-maps the file and checks it completely before returning, so
// that a truncated, padded or mismatched file fails at the start of a run with
// an error naming the file and the byte offset, instead of hours later.
// ReadFloat32 then hands out rows as float32, converting on the fly, and
// Float32View exposes a float32 file without copying. Write produces the same
// bytes numpy.save does, for tests and synthetic data.
//
// It is not a general NumPy reader: it refuses every other dtype (ints,
// big-endian, structured, object arrays), Fortran order, and any shape that is
// not a non-empty matrix, and it does not read .npz archives or pickles. It
// does not normalise rows or check them for NaN; that is the caller's job.
package npy
