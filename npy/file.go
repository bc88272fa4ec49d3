package npy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"unsafe"
)

// File is an open, fully validated .npy matrix. Its methods other than Close
// may be called from several goroutines at once; Close may not overlap them.
//
// The file must not be truncated or rewritten while it is open: the data is
// memory-mapped, and a page that vanishes under the mapping kills the
// process.
type File struct {
	path       string
	hdr        Header
	rows, cols int
	mem        []byte // the whole mapping
	data       []byte // the data section of the mapping
	unmap      func() error
	closed     bool
	err        error // the result of the first Close
}

// Open memory-maps path read-only and checks everything a reader depends
// on: magic, version, header, dtype, C order, a 2-D shape with rows > 0 and
// cols > 0, and a data section of exactly rows*cols*itemsize bytes. Errors
// about the content are *FormatError values that name the path and the byte
// offset and wrap one of the sentinel errors.
func Open(path string) (*File, error) {
	osf, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	// The mapping outlives the descriptor.
	defer osf.Close()
	st, err := osf.Stat()
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("npy: open %s: not a regular file (a .npy is memory-mapped: copy a pipe or a process substitution to a file first)", path)
	}
	if st.Size() > math.MaxInt {
		return nil, fmt.Errorf("npy: open %s: %d bytes is too large to map on this platform", path, st.Size())
	}
	mem, unmap, err := mapFile(osf, int(st.Size()))
	if err != nil {
		return nil, fmt.Errorf("npy: open %s: map: %w", path, err)
	}
	f, ferr := newFile(path, mem, unmap)
	if ferr != nil {
		ferr.Op, ferr.Path = "open", path
		if err := unmap(); err != nil {
			return nil, errors.Join(ferr, err)
		}
		return nil, ferr
	}
	return f, nil
}

func newFile(path string, mem []byte, unmap func() error) (*File, *FormatError) {
	h, err := parseHeader(mem)
	if err != nil {
		return nil, err
	}
	rows, cols, size := h.Shape[0], h.Shape[1], h.DType.Size()
	// parseHeader has checked that this cannot overflow.
	want := int64(rows) * int64(cols) * int64(size)
	have := int64(len(mem)) - h.DataOffset
	switch {
	case have < want:
		return nil, bad(int64(len(mem)), ErrTruncated,
			"data section is %d bytes, want %d for shape (%d, %d) of %s",
			have, want, rows, cols, h.DType)
	case have > want:
		return nil, bad(h.DataOffset+want, ErrTrailing,
			"%d bytes follow the data for shape (%d, %d) of %s",
			have-want, rows, cols, h.DType)
	}
	return &File{
		path:  path,
		hdr:   h,
		rows:  rows,
		cols:  cols,
		mem:   mem,
		data:  mem[h.DataOffset:],
		unmap: unmap,
	}, nil
}

// Release tells the operating system that rows [start, end) will not be
// read again soon, so that their pages can leave this process's resident
// memory once they have been converted; reading them later still works, from
// the page cache or the disk. It is only a hint, and does nothing where the
// file is read into memory rather than mapped.
func (f *File) Release(start, end int) {
	if start < 0 || end > f.rows || start >= end || f.closed {
		return
	}
	rowBytes := int64(f.cols) * int64(f.hdr.DType.Size())
	lo := f.hdr.DataOffset + int64(start)*rowBytes
	hi := f.hdr.DataOffset + int64(end)*rowBytes
	page := int64(pageSize)
	lo = (lo + page - 1) / page * page // only whole pages inside the rows
	hi = hi / page * page
	if lo < hi {
		dontNeed(f.mem[lo:hi])
	}
}

// WriteTo writes the whole file, header and data, as it is mapped, to w
// in blocks, and after each block lets the system drop its pages from this
// process's memory (see Release): a caller hashes the matrix it reads
// without reading the file a second time. It returns at w's first error.
// It must not overlap Close.
func (f *File) WriteTo(w io.Writer) (int64, error) {
	if f.closed {
		panic("npy: WriteTo on a closed File")
	}
	const block = 4 << 20 // a multiple of the page size
	var n int64
	for off := 0; off < len(f.mem); off += block {
		end := min(off+block, len(f.mem))
		m, err := w.Write(f.mem[off:end])
		n += int64(m)
		if err != nil {
			return n, err
		}
		if hi := end / pageSize * pageSize; off < hi {
			dontNeed(f.mem[off:hi])
		}
	}
	return n, nil
}

// Path returns the path the file was opened with.
func (f *File) Path() string { return f.path }

// Header returns the parsed header.
func (f *File) Header() Header {
	h := f.hdr
	h.Shape = slices.Clone(h.Shape)
	return h
}

// Rows returns the number of rows, one per term.
func (f *File) Rows() int { return f.rows }

// Cols returns the number of columns, the embedding dimension.
func (f *File) Cols() int { return f.cols }

// DType returns the element type stored in the file.
func (f *File) DType() DType { return f.hdr.DType }

// ReadFloat32 converts rows [start, start+len(dst)/Cols()) into dst,
// row-major. float16 and float32 convert exactly; float64 rounds to nearest.
//
// It panics if len(dst) is not a multiple of Cols(), if the rows are out of
// range, or if the file is closed: each is a bug in the caller.
func (f *File) ReadFloat32(dst []float32, start int) {
	if f.closed {
		panic("npy: ReadFloat32 on a closed File")
	}
	if len(dst)%f.cols != 0 {
		panic("npy: ReadFloat32: len(dst) is not a multiple of Cols()")
	}
	n := len(dst) / f.cols
	if start < 0 || start > f.rows-n {
		panic("npy: ReadFloat32: rows out of range")
	}
	size := f.hdr.DType.Size()
	src := f.data[start*f.cols*size : (start+n)*f.cols*size]
	switch f.hdr.DType {
	case Float16:
		decodeFloat16(dst, src)
	case Float32:
		decodeFloat32(dst, src)
	case Float64:
		decodeFloat64(dst, src)
	}
}

// ReadFloat32Safe is ReadFloat32 for a file that may be truncated while it
// is read: a page that vanished under the mapping becomes an error that
// names the file and the row, wrapping ErrTruncated, instead of a crash.
func (f *File) ReadFloat32Safe(dst []float32, start int) (err error) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			if re, ok := r.(runtime.Error); ok && strings.Contains(re.Error(), "fault") {
				err = fmt.Errorf("npy: read %s: row %d: %w: the file shrank while it was being read", f.path, start, ErrTruncated)
				return
			}
			panic(r)
		}
	}()
	f.ReadFloat32(dst, start)
	return nil
}

// Float32View returns the data section as a row-major []float32 without
// copying, when the file holds '<f4', the host is little-endian and the data
// is 4-byte aligned (numpy aligns it to 64 bytes). Otherwise, or after
// Close, it returns nil, false, and the caller should use ReadFloat32.
//
// The slice aliases a read-only mapping: writing to it crashes the process,
// and it must not be used after Close.
func (f *File) Float32View() (data []float32, ok bool) {
	if f.closed || f.hdr.DType != Float32 || !hostLittleEndian {
		return nil, false
	}
	p := unsafe.Pointer(unsafe.SliceData(f.data))
	if uintptr(p)%unsafe.Alignof(float32(0)) != 0 {
		return nil, false
	}
	return unsafe.Slice((*float32)(p), len(f.data)/4), true
}

// Close releases the mapping. Calling it again returns the first result.
func (f *File) Close() error {
	if f.closed {
		return f.err
	}
	f.closed = true
	if err := f.unmap(); err != nil {
		f.err = fmt.Errorf("npy: close %s: %w", f.path, err)
	}
	f.data, f.unmap = nil, nil
	return f.err
}

var hostLittleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1
