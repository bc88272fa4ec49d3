package npy

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// srcF32 is SRC from testdata/make_golden.py as float32 bits; srcF16 is what
// numpy's astype('<f2') makes of it, read back as float32.
var (
	srcF32 = []float32{
		1.0 / 3, 65504, 65519, 65520, 0x1p-24, 0x1p-25, 0x3p-25,
		0x1p-14, 1e-8, float32(math.Copysign(0, -1)), inf(1), inf(-1), 0.1, math.Pi,
		-2.5, 1e5, 1 + 0x1p-11, 1 + 0x3p-11, -1.0 / 3, 0x1p-15, float32(math.NaN()),
	}
	srcF16 = []float32{
		0.333251953125, 65504, 65504, inf(1), 0x1p-24, 0, 0x1p-23,
		0x1p-14, 0, float32(math.Copysign(0, -1)), inf(1), inf(-1), 0.0999755859375, 3.140625,
		-2.5, inf(1), 1, 1 + 0x1p-9, -0.333251953125, 0x1p-15, float32(math.NaN()),
	}
)

func inf(sign int) float32 { return float32(math.Inf(sign)) }

// sameFloats compares bit for bit, except that any NaN equals any NaN.
func sameFloats(t *testing.T, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d values, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if math.Float32bits(g) != math.Float32bits(w) && !(g != g && w != w) {
			t.Errorf("value %d = %v (%#08x), want %v (%#08x)", i, g, math.Float32bits(g), w, math.Float32bits(w))
		}
	}
}

func readAll(t *testing.T, f *File) []float32 {
	t.Helper()
	dst := make([]float32, f.Rows()*f.Cols())
	f.ReadFloat32(dst, 0)
	return dst
}

func TestOpenGolden(t *testing.T) {
	tests := []struct {
		file   string
		header Header
		want   []float32
	}{
		{"save_f4.npy", Header{1, 0, Float32, false, []int{3, 7}, 128}, srcF32},
		{"save_f2.npy", Header{1, 0, Float16, false, []int{3, 7}, 128}, srcF16},
		{"save_f8.npy", Header{1, 0, Float64, false, []int{3, 7}, 128}, srcF32},
		{"v2_f4.npy", Header{2, 0, Float32, false, []int{2, 3}, 128}, pick(srcF32, 7, 2, 3)},
		{"v3_f4.npy", Header{3, 0, Float32, false, []int{2, 3}, 128}, pick(srcF32, 7, 2, 3)},
		{"v2_f2.npy", Header{2, 0, Float16, false, []int{2, 3}, 128}, pick(srcF16, 7, 2, 3)},
		{"v3_f8.npy", Header{3, 0, Float64, false, []int{2, 3}, 128}, pick(srcF32, 7, 2, 3)},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if got := f.Header(); fmt.Sprint(got) != fmt.Sprint(tt.header) {
				t.Errorf("Header() = %+v, want %+v", got, tt.header)
			}
			if f.Path() != path || f.Rows() != tt.header.Shape[0] || f.Cols() != tt.header.Shape[1] || f.DType() != tt.header.DType {
				t.Errorf("Path, Rows, Cols, DType = %q, %d, %d, %s; want %q and the header's", f.Path(), f.Rows(), f.Cols(), f.DType(), path)
			}
			sameFloats(t, readAll(t, f), tt.want)
		})
	}
}

// pick returns the top-left rows x cols block of a row-major matrix with
// stride columns.
func pick(m []float32, stride, rows, cols int) []float32 {
	var out []float32
	for r := range rows {
		out = append(out, m[r*stride:r*stride+cols]...)
	}
	return out
}

// The files numpy writes that Open must refuse.
func TestOpenGoldenRefused(t *testing.T) {
	tests := []struct {
		file string
		err  error
	}{
		{"fortran_f4.npy", ErrFortran},
		{"bigendian_f4.npy", ErrDType},
		{"int32.npy", ErrDType},
		{"uint8.npy", ErrDType},
		{"vector_f4.npy", ErrShape},
		{"cube_f4.npy", ErrShape},
		{"norows_f4.npy", ErrShape},
		{"nocols_f4.npy", ErrShape},
		{"make_golden.py", ErrMagic},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := Open(filepath.Join("testdata", tt.file))
			if !errors.Is(err, tt.err) {
				t.Fatalf("Open = %v, %v; want error %v", f, err, tt.err)
			}
		})
	}
}

// validFile is a well-formed 3x4 '<f4' file as numpy writes it.
func validFile() []byte {
	b := header(3, 4, Float32)
	return append(b, make([]byte, 3*4*4)...)
}

func TestOpenErrors(t *testing.T) {
	type openCase struct {
		name string
		in   []byte
		err  error
		off  int64
	}
	good := validFile()
	tests := []openCase{
		{"truncated data", good[:len(good)-1], ErrTruncated, int64(len(good) - 1)},
		{"no data", good[:128], ErrTruncated, 128},
		{"data of a smaller dtype", append(header(3, 4, Float64), make([]byte, 3*4*4)...), ErrTruncated, 128 + 48},
		{"trailing bytes", append(slices.Clip(good), 0), ErrTrailing, int64(len(good))},
		{"trailing row", append(slices.Clip(good), make([]byte, 16)...), ErrTrailing, int64(len(good))},
	}
	if strconv.IntSize == 64 {
		// Addressable, so not ErrShape, but no file is this big.
		absurd := v1(withValue("shape", "(1099511627776, 1048576)"))
		tests = append(tests, openCase{"absurd shape", append(absurd, 0, 0), ErrTruncated, int64(len(absurd) + 2)})
	}
	// Every header catalogue entry must fail the same way through Open.
	for _, h := range badHeaders {
		in := append(slices.Clip(h.in), make([]byte, 64)...)
		if h.err == ErrTruncated {
			in = h.in // padding would supply the missing bytes
		}
		off := wantOffset(t, h.in, h.at, h.off)
		tests = append(tests, openCase{"header/" + h.name, in, h.err, off})
	}
	dir := t.TempDir()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("case%d.npy", i))
			if err := os.WriteFile(path, tt.in, 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := Open(path)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Open = %v, %v; want error %v", f, err, tt.err)
			}
			fe, ok := err.(*FormatError)
			if !ok || fe.Path != path || fe.Op != "open" || fe.Offset != tt.off {
				t.Errorf("error %#v, want a *FormatError for op open, path %s, offset %d", err, path, tt.off)
			}
			if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, fmt.Sprintf("byte %d:", tt.off)) {
				t.Errorf("error %q does not name the path and byte %d", msg, tt.off)
			}
		})
	}
}

func TestOpenNotAFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.npy")
	if _, err := Open(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open(missing) = %v, want os.ErrNotExist", err)
	}
	if _, err := Open(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Open(dir) = %v, want not a regular file", err)
	}
}

func TestReadFloat32Ranges(t *testing.T) {
	const rows, cols = 9, 5
	data := make([]float32, rows*cols)
	for i := range data {
		data[i] = float32(i) - 7.25
	}
	for _, dt := range []DType{Float16, Float32, Float64} {
		path := filepath.Join(t.TempDir(), "m.npy")
		if err := Write(path, rows, cols, data, dt); err != nil {
			t.Fatal(err)
		}
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, r := range []struct{ start, n int }{{0, 0}, {0, 1}, {3, 2}, {8, 1}, {9, 0}, {0, 9}} {
			t.Run(fmt.Sprintf("%s/rows %d+%d", dt, r.start, r.n), func(t *testing.T) {
				dst := make([]float32, r.n*cols)
				f.ReadFloat32(dst, r.start)
				sameFloats(t, dst, data[r.start*cols:(r.start+r.n)*cols])
			})
		}
	}
}

func TestReadFloat32Panics(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.npy")
	if err := Write(path, 3, 4, make([]float32, 12), Float32); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		n     int
		start int
		close bool
		want  string
	}{
		{"partial row", 5, 0, false, "npy: ReadFloat32: len(dst) is not a multiple of Cols()"},
		{"negative start", 4, -1, false, "npy: ReadFloat32: rows out of range"},
		{"past the end", 8, 2, false, "npy: ReadFloat32: rows out of range"},
		{"start past the end", 0, 4, false, "npy: ReadFloat32: rows out of range"},
		{"closed", 4, 0, true, "npy: ReadFloat32 on a closed File"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.close {
				f.Close()
			}
			defer func() {
				if got := recover(); got != tt.want {
					t.Errorf("panic %v, want %q", got, tt.want)
				}
			}()
			f.ReadFloat32(make([]float32, tt.n), tt.start)
		})
	}
}

func TestFloat32View(t *testing.T) {
	// A header of 10+62 bytes puts the data at offset 72, aligned to 8
	// but not 64; one of 10+63 misaligns it for float32.
	aligned := rawHeader(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }  \n")
	misaligned := rawHeader(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }   \n")
	values := []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40, 0, 0, 0x80, 0x40} // 1, 2, 3, 4
	tests := []struct {
		name string
		in   []byte
		ok   bool
	}{
		{"numpy float32", validFile(), true},
		{"aligned to 8", append(aligned, values...), true},
		{"misaligned", append(misaligned, values...), false},
		{"float16", append(header(2, 2, Float16), values[:8]...), false},
		{"float64", append(header(1, 2, Float64), values...), false},
	}
	dir := t.TempDir()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("case%d.npy", i))
			if err := os.WriteFile(path, tt.in, 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			view, ok := f.Float32View()
			if ok != tt.ok {
				t.Fatalf("Float32View ok = %v, want %v", ok, tt.ok)
			}
			if ok {
				sameFloats(t, view, readAll(t, f))
			} else if view != nil {
				t.Errorf("Float32View = %v, false; want nil", view)
			}
			f.Close()
			if view, ok := f.Float32View(); ok || view != nil {
				t.Errorf("Float32View after Close = %v, %v; want nil, false", view, ok)
			}
		})
	}
}

func TestCloseTwice(t *testing.T) {
	f, err := Open(filepath.Join("testdata", "save_f4.npy"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := f.Close(); err != nil {
			t.Errorf("Close #%d = %v", i+1, err)
		}
	}
	if f.Rows() != 3 || f.Cols() != 7 {
		t.Errorf("Rows, Cols after Close = %d, %d; want 3, 7", f.Rows(), f.Cols())
	}
}

func TestHeaderIsACopy(t *testing.T) {
	f, err := Open(filepath.Join("testdata", "save_f4.npy"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Header().Shape[0] = 99
	if got := f.Header().Shape[0]; got != 3 {
		t.Errorf("Header().Shape[0] = %d after a caller wrote to it, want 3", got)
	}
}

// The read fallback must give the same File as the mapping.
func TestReadFileFallback(t *testing.T) {
	for _, name := range []string{"save_f2.npy", "save_f4.npy", "v3_f8.npy"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", name)
			mapped, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer mapped.Close()
			osf, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer osf.Close()
			st, err := osf.Stat()
			if err != nil {
				t.Fatal(err)
			}
			mem, unmap, err := readFile(osf, int(st.Size()))
			if err != nil {
				t.Fatal(err)
			}
			read, ferr := newFile(path, mem, unmap)
			if ferr != nil {
				t.Fatal(ferr)
			}
			if fmt.Sprint(read.Header()) != fmt.Sprint(mapped.Header()) {
				t.Errorf("header %+v, want %+v", read.Header(), mapped.Header())
			}
			sameFloats(t, readAll(t, read), readAll(t, mapped))
			if err := read.Close(); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestReleaseKeepsDataReadable checks that releasing rows is only a hint:
// the rows read back the same afterwards, and odd ranges are ignored.
func TestReleaseKeepsDataReadable(t *testing.T) {
	const rows, cols = 3000, 7 // several pages, rows straddling page edges
	data := make([]float32, rows*cols)
	for i := range data {
		data[i] = float32(i) * 0.5
	}
	path := filepath.Join(t.TempDir(), "r.npy")
	if err := Write(path, rows, cols, data, Float32); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Release(0, rows)
	f.Release(-1, 5)
	f.Release(10, 5)
	f.Release(0, rows+1)
	got := make([]float32, rows*cols)
	f.ReadFloat32(got, 0)
	for i := range data {
		if got[i] != data[i] {
			t.Fatalf("element %d is %v after Release, want %v", i, got[i], data[i])
		}
	}
}
