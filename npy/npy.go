package npy

import (
	"errors"
	"fmt"
)

// The ways a file can fail to be a matrix this package reads. Every error
// Open, ParseHeader and Write return about their input wraps exactly one of
// these, so callers can tell a wrong file from a broken one with errors.Is.
var (
	// ErrMagic means the file does not start with "\x93NUMPY".
	ErrMagic = errors.New("not an .npy file")
	// ErrVersion means a format version other than 1.0, 2.0 or 3.0.
	ErrVersion = errors.New("unsupported .npy format version")
	// ErrHeader means the header dict is not one numpy would read: bad
	// syntax, a missing, extra or repeated key, a value of the wrong type,
	// or a dict that runs past the header's declared length.
	ErrHeader = errors.New("malformed .npy header")
	// ErrDType means a dtype other than '<f2', '<f4' or '<f8'.
	ErrDType = errors.New("unsupported .npy dtype")
	// ErrFortran means fortran_order is True; rows would not be contiguous.
	ErrFortran = errors.New("fortran-ordered .npy arrays are not supported")
	// ErrShape means the shape is not (rows, cols) with both positive, or is
	// too large to address.
	ErrShape = errors.New("unsupported .npy shape")
	// ErrTruncated means the file ends before the header or the data does.
	ErrTruncated = errors.New(".npy file cut short")
	// ErrTrailing means bytes follow the data. numpy would ignore them, but
	// here they mean the header and the data disagree, which is how a
	// corrupt or mismatched file shows itself.
	ErrTrailing = errors.New("unexpected bytes after .npy data")
)

// FormatError reports where in a file a problem was found, in the manner of
// encoding/csv's ParseError. Err is one of the sentinel errors above.
type FormatError struct {
	Op     string // "open" or "parse header"
	Path   string // empty when the bytes did not come from a named file
	Offset int64  // byte offset of the problem from the start of the file
	Msg    string // what is wrong, without the sentinel's text
	Err    error
}

func (e *FormatError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("npy: %s: byte %d: %s: %v", e.Op, e.Offset, e.Msg, e.Err)
	}
	return fmt.Sprintf("npy: %s %s: byte %d: %s: %v", e.Op, e.Path, e.Offset, e.Msg, e.Err)
}

func (e *FormatError) Unwrap() error { return e.Err }

// DType is a NumPy type descriptor, spelled as numpy writes it in the header.
type DType string

// The only dtypes this package reads and writes.
const (
	Float16 DType = "<f2"
	Float32 DType = "<f4"
	Float64 DType = "<f8"
)

// Size returns the number of bytes per element, or 0 for a dtype this package
// does not support.
func (d DType) Size() int {
	switch d {
	case Float16:
		return 2
	case Float32:
		return 4
	case Float64:
		return 8
	}
	return 0
}

// Header is what ParseHeader finds at the start of an .npy file.
type Header struct {
	Major, Minor int
	DType        DType
	FortranOrder bool
	Shape        []int
	DataOffset   int64 // byte offset of the first element
}
