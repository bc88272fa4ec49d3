package npy

import (
	"errors"
	"math"
	"testing"
)

// FuzzParseHeader checks that no input panics, that every error is a
// *FormatError with one sentinel and an offset inside the input, and that a
// successful parse describes a matrix Open could address. The seed corpus in
// testdata/fuzz/FuzzParseHeader holds real numpy headers.
func FuzzParseHeader(f *testing.F) {
	f.Add(v1(goodDict))
	for _, h := range badHeaders {
		f.Add(h.in)
	}
	f.Fuzz(checkParseHeader)
}

// FuzzHeaderDict fuzzes the dict alone, behind a header length that always
// fits, so that mutations reach the dict parser instead of failing the
// length check.
func FuzzHeaderDict(f *testing.F) {
	f.Add(goodDict)
	f.Add(`{"shape":(150000L,1024L),"fortran_order":False,"descr":"<f2",}`)
	f.Add(withValue("descr", "[('x', '<f4'), ('y', '<i8', (2,))]"))
	for _, h := range badHeaders {
		if len(h.in) > 10 && h.in[6] == 1 {
			f.Add(string(h.in[10:]))
		}
	}
	f.Fuzz(func(t *testing.T, dict string) {
		if len(dict) <= math.MaxUint16 {
			checkParseHeader(t, v1(dict))
		}
	})
}

var sentinels = []error{ErrMagic, ErrVersion, ErrHeader, ErrDType, ErrFortran, ErrShape, ErrTruncated, ErrTrailing}

func checkParseHeader(t *testing.T, b []byte) {
	h, err := ParseHeader(b)
	if err != nil {
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Fatalf("error %v is %T, want *FormatError", err, err)
		}
		if fe.Offset < 0 || fe.Offset > int64(len(b)) {
			t.Errorf("offset %d outside the %d-byte input: %v", fe.Offset, len(b), err)
		}
		n := 0
		for _, s := range sentinels {
			if errors.Is(err, s) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("error wraps %d sentinels, want 1: %v", n, err)
		}
		return
	}
	if h.Minor != 0 || h.Major < 1 || h.Major > 3 {
		t.Errorf("version %d.%d accepted", h.Major, h.Minor)
	}
	if h.DType.Size() == 0 || h.FortranOrder {
		t.Errorf("dtype %q, fortran_order %v accepted", h.DType, h.FortranOrder)
	}
	if h.DataOffset < 10 || h.DataOffset > int64(len(b)) {
		t.Errorf("data offset %d outside the %d-byte input", h.DataOffset, len(b))
	}
	if len(h.Shape) != 2 || h.Shape[0] <= 0 || h.Shape[1] <= 0 {
		t.Fatalf("shape %v accepted", h.Shape)
	}
	if rows, cols := h.Shape[0], h.Shape[1]; rows > (math.MaxInt-int(h.DataOffset))/h.DType.Size()/cols {
		t.Errorf("shape %v of %s at offset %d overflows an int", h.Shape, h.DType, h.DataOffset)
	}
	// What we accept we can also write, and it reads back the same.
	h2, err := ParseHeader(header(h.Shape[0], h.Shape[1], h.DType))
	if err != nil || h2.DType != h.DType || h2.Shape[0] != h.Shape[0] || h2.Shape[1] != h.Shape[1] {
		t.Errorf("rewritten header parses as %+v, %v; want %+v", h2, err, h)
	}
}
