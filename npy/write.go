package npy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// numpy's layout constants (numpy/lib/format.py).
const (
	arrayAlign          = 64 // header end, and so the data, aligned to this
	growthAxisMaxDigits = 21 // spare room numpy leaves to grow the first axis in place
)

// writeChunk bounds the conversion buffer (128 KiB for float64) while
// keeping each Write on w large.
const writeChunk = 1 << 14

// Write writes data, row-major rows*cols float32 values, to path as an .npy
// file of the given dtype, with the same bytes numpy.save would write for
// that array: format version 1.0 (2.0 only for a header over 65535 bytes)
// and a header padded so that the data starts on a 64-byte boundary. On
// error it removes what it wrote.
func Write(path string, rows, cols int, data []float32, dtype DType) (err error) {
	if err := checkWrite(rows, cols, data, dtype); err != nil {
		return fmt.Errorf("npy: write %s: %w", path, err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("npy: write %s: %w", path, cerr)
		}
		if err != nil {
			if rerr := os.Remove(path); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
	}()
	if err := write(f, rows, cols, data, dtype); err != nil {
		return fmt.Errorf("npy: write %s: %w", path, err)
	}
	return nil
}

// WriteTo is Write onto w.
func WriteTo(w io.Writer, rows, cols int, data []float32, dtype DType) error {
	if err := checkWrite(rows, cols, data, dtype); err != nil {
		return fmt.Errorf("npy: write: %w", err)
	}
	if err := write(w, rows, cols, data, dtype); err != nil {
		return fmt.Errorf("npy: write: %w", err)
	}
	return nil
}

func checkWrite(rows, cols int, data []float32, dtype DType) error {
	if dtype.Size() == 0 {
		return fmt.Errorf("dtype %q, want '<f2', '<f4' or '<f8': %w", string(dtype), ErrDType)
	}
	if rows <= 0 || cols <= 0 {
		return fmt.Errorf("shape (%d, %d), want rows and cols above 0: %w", rows, cols, ErrShape)
	}
	if rows > math.MaxInt/cols || rows*cols != len(data) {
		return fmt.Errorf("shape (%d, %d) does not match %d values: %w", rows, cols, len(data), ErrShape)
	}
	return nil
}

func write(w io.Writer, rows, cols int, data []float32, dtype DType) error {
	if _, err := w.Write(header(rows, cols, dtype)); err != nil {
		return err
	}
	buf := make([]byte, 0, writeChunk*dtype.Size())
	for len(data) > 0 {
		n := min(len(data), writeChunk)
		if _, err := w.Write(encode(buf, data[:n], dtype)); err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// header reproduces numpy's _write_array_header for a C-ordered 2-D array,
// spare spaces included, so that files match numpy.save byte for byte.
func header(rows, cols int, dtype DType) []byte {
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%d, %d), }", dtype, rows, cols)
	dict += strings.Repeat(" ", max(0, growthAxisMaxDigits-len(strconv.Itoa(rows))))
	return wrapHeader(dict)
}

// wrapHeader is numpy's _wrap_header with the version numpy.save picks:
// 1.0 unless the padded header overflows its 16-bit length. The padding is
// a full 64 bytes when the header already ends on a boundary, as in numpy.
func wrapHeader(dict string) []byte {
	hlen := len(dict) + 1 // the final '\n'
	major, lenSize := 1, 2
	pad := arrayAlign - (len(magic)+2+lenSize+hlen)%arrayAlign
	if hlen+pad > math.MaxUint16 {
		major, lenSize = 2, 4
		pad = arrayAlign - (len(magic)+2+lenSize+hlen)%arrayAlign
	}
	b := make([]byte, 0, len(magic)+2+lenSize+hlen+pad)
	b = append(b, magic...)
	b = append(b, byte(major), 0)
	if lenSize == 2 {
		b = binary.LittleEndian.AppendUint16(b, uint16(hlen+pad))
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(hlen+pad))
	}
	b = append(b, dict...)
	b = append(b, strings.Repeat(" ", pad)...)
	return append(b, '\n')
}
