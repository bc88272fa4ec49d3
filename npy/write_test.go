package npy

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Write must reproduce numpy.save byte for byte; testdata/save_*.npy are
// numpy's output for SRC in make_golden.py, whose float32 values come from
// save_f4.npy itself.
func TestWriteMatchesNumpy(t *testing.T) {
	src, err := Open(filepath.Join("testdata", "save_f4.npy"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	data := readAll(t, src)
	for _, tt := range []struct {
		golden string
		dtype  DType
	}{
		{"save_f2.npy", Float16},
		{"save_f4.npy", Float32},
		{"save_f8.npy", Float64},
	} {
		t.Run(tt.golden, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("testdata", tt.golden))
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := WriteTo(&buf, src.Rows(), src.Cols(), data, tt.dtype); err != nil {
				t.Fatal(err)
			}
			diffBytes(t, "WriteTo", buf.Bytes(), want)

			path := filepath.Join(t.TempDir(), tt.golden)
			if err := Write(path, src.Rows(), src.Cols(), data, tt.dtype); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			diffBytes(t, "Write", got, want)
		})
	}
}

// diffBytes reports the first difference with a hex dump around it, since
// the files are binary.
func diffBytes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if bytes.Equal(got, want) {
		return
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := i &^ 15
	dump := func(b []byte) string { return hex.Dump(b[min(from, len(b)):min(from+48, len(b))]) }
	t.Errorf("%s: %d bytes differ from numpy's %d at byte %d\ngot:\n%swant:\n%s",
		what, len(got), len(want), i, dump(got), dump(want))
}

func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, shape := range [][2]int{{1, 1}, {1, 7}, {7, 1}, {3, 5}, {33, 17}, {1000, 3}, {2, 1024}} {
		rows, cols := shape[0], shape[1]
		data := make([]float32, rows*cols)
		for i := range data {
			data[i] = float32(rng.NormFloat64()) * float32(math.Pow(2, float64(rng.IntN(40)-30)))
		}
		for _, dt := range []DType{Float16, Float32, Float64} {
			t.Run(fmt.Sprintf("%s/%dx%d", dt, rows, cols), func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "m.npy")
				if err := Write(path, rows, cols, data, dt); err != nil {
					t.Fatal(err)
				}
				f, err := Open(path)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				if f.Rows() != rows || f.Cols() != cols || f.DType() != dt || f.Header().DataOffset%64 != 0 {
					t.Errorf("header %+v, want (%d, %d) %s at a 64-byte offset", f.Header(), rows, cols, dt)
				}
				want := data
				if dt == Float16 {
					want = make([]float32, len(data))
					decodeFloat16(want, encode(nil, data, Float16))
				}
				sameFloats(t, readAll(t, f), want)
			})
		}
	}
}

func TestFloat16Rounding(t *testing.T) {
	tests := []struct {
		name string
		in   float32
		bits uint16
		want float32
	}{
		{"one third", 1.0 / 3, 0x3555, 0.333251953125},
		{"minus one third", -1.0 / 3, 0xb555, -0.333251953125},
		{"largest finite", 65504, 0x7bff, 65504},
		{"rounds down to largest", 65519, 0x7bff, 65504},
		{"rounds up to inf", 65520, 0x7c00, inf(1)},
		{"smallest normal", 0x1p-14, 0x0400, 0x1p-14},
		{"largest subnormal", 0x3ffp-24, 0x03ff, 0x3ffp-24},
		{"smallest subnormal", 0x1p-24, 0x0001, 0x1p-24},
		{"half the smallest subnormal ties to zero", 0x1p-25, 0x0000, 0},
		{"just over half rounds up", 0x1.000002p-25, 0x0001, 0x1p-24},
		{"one and a half subnormals ties to even", 0x3p-25, 0x0002, 0x1p-23},
		{"tie below even stays", 1 + 0x1p-11, 0x3c00, 1},
		{"tie above odd rounds up", 1 + 0x3p-11, 0x3c02, 1 + 0x1p-9},
		{"negative zero", float32(math.Copysign(0, -1)), 0x8000, float32(math.Copysign(0, -1))},
		{"minus inf", inf(-1), 0xfc00, inf(-1)},
		{"tiny underflows", 1e-8, 0x0000, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := encode(nil, []float32{tt.in}, Float16)
			if got := uint16(b[0]) | uint16(b[1])<<8; got != tt.bits {
				t.Errorf("encode(%v) = %#04x, want %#04x", tt.in, got, tt.bits)
			}
			got := make([]float32, 1)
			decodeFloat16(got, b)
			sameFloats(t, got, []float32{tt.want})
		})
	}
}

func TestWriteErrors(t *testing.T) {
	tests := []struct {
		name       string
		rows, cols int
		n          int
		dtype      DType
		err        error
	}{
		{"big-endian", 2, 2, 4, DType(">f4"), ErrDType},
		{"int", 2, 2, 4, DType("<i4"), ErrDType},
		{"empty dtype", 2, 2, 4, "", ErrDType},
		{"zero rows", 0, 2, 0, Float32, ErrShape},
		{"negative cols", 2, -2, 4, Float32, ErrShape},
		{"too few values", 2, 2, 3, Float32, ErrShape},
		{"too many values", 2, 2, 5, Float32, ErrShape},
		{"overflowing shape", math.MaxInt/2 + 1, 2, 0, Float32, ErrShape},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := make([]float32, tt.n)
			if err := WriteTo(&bytes.Buffer{}, tt.rows, tt.cols, data, tt.dtype); !errors.Is(err, tt.err) {
				t.Errorf("WriteTo = %v, want %v", err, tt.err)
			}
			path := filepath.Join(t.TempDir(), "m.npy")
			err := Write(path, tt.rows, tt.cols, data, tt.dtype)
			if !errors.Is(err, tt.err) || !strings.Contains(fmt.Sprint(err), path) {
				t.Errorf("Write = %v, want %v naming %s", err, tt.err, path)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("Write left a file behind: %v", err)
			}
		})
	}
}

type failingWriter struct{ after int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.after <= 0 {
		return 0, errors.New("disk full")
	}
	w.after--
	return len(p), nil
}

func TestWriteToPropagatesErrors(t *testing.T) {
	data := make([]float32, 3*writeChunk)
	for after := range 3 {
		err := WriteTo(&failingWriter{after}, 3, writeChunk, data, Float16)
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("failing after %d writes: WriteTo = %v, want disk full", after, err)
		}
	}
	if err := Write(filepath.Join(t.TempDir(), "missing", "m.npy"), 1, 1, []float32{1}, Float32); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Write into a missing directory = %v, want os.ErrNotExist", err)
	}
}

// wrapHeader's padding and version choice, including the cases numpy.save
// only reaches with shapes too big for a test: a header that is already
// aligned gets a full 64 spaces, and one over 65535 bytes moves to 2.0.
func TestWrapHeader(t *testing.T) {
	base := "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }"
	tests := []struct {
		name    string
		dictLen int
		major   byte
		pad     int
	}{
		{"numpy's usual", len(base) + 20, 1, 38},
		{"aligned already", 128 - 10 - 1, 1, 64},
		{"one short of aligned", 128 - 10 - 2, 1, 1},
		{"largest version 1.0", 65536 - 10 - 2, 1, 1},
		{"needs version 2.0", 65536 - 10 - 1, 2, 62},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dict := base + strings.Repeat(" ", tt.dictLen-len(base))
			b := wrapHeader(dict)
			if len(b)%64 != 0 || b[len(b)-1] != '\n' || b[6] != tt.major {
				t.Fatalf("header of %d bytes, version %d, ending %q; want a multiple of 64, version %d, ending '\\n'",
					len(b), b[6], b[len(b)-1], tt.major)
			}
			prefix := 10
			if tt.major == 2 {
				prefix = 12
			}
			if pad := len(b) - prefix - len(dict) - 1; pad != tt.pad {
				t.Errorf("padding = %d, want %d", pad, tt.pad)
			}
			h, err := ParseHeader(b)
			if err != nil || h.DataOffset != int64(len(b)) || int(h.Major) != int(tt.major) {
				t.Errorf("ParseHeader = %+v, %v; want data at %d", h, err, len(b))
			}
		})
	}
}
