package source

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/hardneg/hardneg/internal/kernel"
	"github.com/hardneg/hardneg/npy"
	"github.com/hardneg/hardneg/scan"
)

// Embeddings is an opened embedding matrix whose row i embeds item i of a
// side. The file is mapped, not read; LoadRange and LoadRows convert it.
type Embeddings struct {
	f    *npy.File
	side *Side
	noun string // what an item is called in errors: "term", "query", "document"
}

// OpenEmbeddings opens the .npy matrix at path and checks that it has one
// row per item of side, which was read from sidePath; noun names an item in
// errors ("term", "query", "document"). The caller closes it.
func OpenEmbeddings(path string, side *Side, sidePath, noun string) (*Embeddings, error) {
	f, err := npy.Open(path)
	if err != nil {
		return nil, err
	}
	if f.Rows() != side.Len() {
		f.Close()
		return nil, fmt.Errorf("%s has %d rows but %s lists %d %ss; row i must be the embedding of %s i",
			path, f.Rows(), sidePath, side.Len(), noun, noun)
	}
	return &Embeddings{f: f, side: side, noun: noun}, nil
}

// Rows, Cols, DType and Path describe the file.
func (e *Embeddings) Rows() int        { return e.f.Rows() }
func (e *Embeddings) Cols() int        { return e.f.Cols() }
func (e *Embeddings) DType() npy.DType { return e.f.DType() }
func (e *Embeddings) Path() string     { return e.f.Path() }
func (e *Embeddings) File() *npy.File  { return e.f }
func (e *Embeddings) Close() error     { return e.f.Close() }

// itemName is row r's id for an error message, read back from a streamed
// side's file when need be.
func (e *Embeddings) itemName(r int) string {
	if err := e.side.Resolve([]int32{int32(r)}); err != nil {
		return fmt.Sprintf("row %d", r)
	}
	return e.side.ID(int32(r))
}

// loadChunk is how many rows one task of LoadRange converts.
const loadChunk = 1024

// LoadRange converts rows [lo, hi) (the whole corpus, or a chunk of one
// streamed through the scan) to float32 and scales every row to unit
// length, so that the scan's dot products are cosines; with half set the
// unit rows are then rounded to half precision, halving the memory. A zero
// or non-finite row is refused, naming the row and its item. Mapped pages
// are released as rows are converted, so the peak is the stored rows, not
// both. buf, when it has room, is reused for the result.
func (e *Embeddings) LoadRange(ctx context.Context, lo, hi int, half bool, threads int, buf *scan.Matrix) (*scan.Matrix, error) {
	f := e.f
	rows, cols := hi-lo, f.Cols()
	if lo < 0 || hi > f.Rows() || lo > hi {
		panic("source: LoadRange: rows out of range")
	}
	m := &scan.Matrix{Rows: rows, Cols: cols}
	if buf != nil && !half && cap(buf.Data) >= rows*cols {
		m.Data = buf.Data[:rows*cols]
	} else if buf != nil && half && cap(buf.Half) >= rows*cols {
		m.Half = buf.Half[:rows*cols]
	}
	switch {
	case half && m.Half == nil:
		m.Half = make([]uint16, rows*cols)
	case !half && m.Data == nil:
		m.Data = make([]float32, rows*cols)
	}
	// Each chunk keeps its own error so that, with several bad rows, the
	// first one is reported whatever the scheduling.
	errs := make([]error, (rows+loadChunk-1)/loadChunk)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(threads, 1))
	// With half-precision storage each running chunk needs a float32
	// buffer; a fixed set of them keeps the garbage collector from letting
	// a matrix's worth of dead buffers pile up.
	bufs := make(chan []float32, max(threads, 1))
	if half {
		for range max(threads, 1) {
			bufs <- make([]float32, loadChunk*cols)
		}
	}
	base := lo
	for lo := 0; lo < rows; lo += loadChunk {
		hi := min(lo+loadChunk, rows)
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			var buf []float32
			if half {
				buf = <-bufs
				defer func() { bufs <- buf }()
				buf = buf[:(hi-lo)*cols]
			} else {
				buf = m.Data[lo*cols : hi*cols]
			}
			if err := f.ReadFloat32Safe(buf, base+lo); err != nil {
				errs[lo/loadChunk] = err
				return nil
			}
			f.Release(base+lo, base+hi)
			for r := lo; r < hi; r++ {
				if err := scan.Normalize(buf[(r-lo)*cols : (r-lo+1)*cols]); err != nil {
					errs[lo/loadChunk] = fmt.Errorf("%s: row %d (%s %q): %v", f.Path(), base+r, e.noun, e.itemName(base+r), err)
					return nil
				}
			}
			if half {
				kernel.FloatToHalf(m.Half[lo*cols:hi*cols], buf)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return m, nil
}

// LoadRows loads the listed rows alone, normalised, as float32 (rounded
// through half precision first with half, as Load stores them): the
// positives a streamed scan needs before it starts.
func (e *Embeddings) LoadRows(rows []int32, half bool) (map[int32][]float32, error) {
	out := make(map[int32][]float32, len(rows))
	err := e.EachRow(rows, half, func(k int, row []float32) error {
		if _, done := out[rows[k]]; !done {
			out[rows[k]] = slices.Clone(row)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// LoadMatrix loads the listed rows, normalised as LoadRows does, into
// the rows of one float32 matrix, row i holding rows[i].
func (e *Embeddings) LoadMatrix(rows []int32, half bool) (*scan.Matrix, error) {
	cols := e.f.Cols()
	m := &scan.Matrix{Rows: len(rows), Cols: cols, Data: make([]float32, len(rows)*cols)}
	err := e.EachRow(rows, half, func(k int, row []float32) error {
		copy(m.Row(k), row)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// releaseBytes is how much of the mapped file EachRow passes before it
// lets the system drop the pages behind it.
const releaseBytes = 4 << 20

// EachRow reads the listed rows, each normalised as LoadRows does, in
// ascending row order, and calls fn with the row's index in rows and its
// values (a buffer reused for the next call; a repeated row is read once).
// Rows scattered over the file would otherwise leave most of its pages
// mapped into the process: EachRow lets the system drop the pages behind
// it every few MiB, so a pass over any set of rows holds a window of the
// file, not the file. It stops at fn's first error.
func (e *Embeddings) EachRow(rows []int32, half bool, fn func(k int, row []float32) error) error {
	order := make([]int, len(rows))
	for k := range order {
		order[k] = k
		if r := rows[k]; r < 0 || int(r) >= e.f.Rows() {
			return fmt.Errorf("%s: row %d is out of range (%d rows)", e.f.Path(), r, e.f.Rows())
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(rows[a], rows[b]) })
	window := max(1, releaseBytes/max(1, e.f.Cols()*e.f.DType().Size()))
	row := make([]float32, e.f.Cols())
	released, last := 0, int32(-1)
	for _, k := range order {
		r := rows[k]
		if r != last {
			if err := e.loadRow(row, r, half); err != nil {
				return err
			}
			last = r
			if int(r)-released >= window {
				e.f.Release(released, int(r))
				released = int(r)
			}
		}
		if err := fn(k, row); err != nil {
			return err
		}
	}
	e.f.Release(released, e.f.Rows())
	return nil
}

// loadRow reads row r into v and normalises it, rounding it through half
// precision with half: the bits LoadRange gives the same row.
func (e *Embeddings) loadRow(v []float32, r int32, half bool) error {
	if err := e.f.ReadFloat32Safe(v, int(r)); err != nil {
		return err
	}
	if err := scan.Normalize(v); err != nil {
		return fmt.Errorf("%s: row %d (%s %q): %v", e.f.Path(), r, e.noun, e.itemName(int(r)), err)
	}
	if half {
		h := make([]uint16, len(v))
		kernel.FloatToHalf(h, v)
		kernel.HalfToFloat(v, h)
	}
	return nil
}
