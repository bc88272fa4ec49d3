package source

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/hardneg/hardneg/internal/kernel"
	"github.com/hardneg/hardneg/npy"
	"github.com/hardneg/hardneg/scan"
)

// Embeddings is an opened embedding matrix whose row i embeds item i of a
// side. The file is mapped, not read; Load converts it.
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
func (e *Embeddings) Rows() int          { return e.f.Rows() }
func (e *Embeddings) Cols() int          { return e.f.Cols() }
func (e *Embeddings) DType() npy.DType   { return e.f.DType() }
func (e *Embeddings) Path() string       { return e.f.Path() }
func (e *Embeddings) File() *npy.File    { return e.f }
func (e *Embeddings) Close() error       { return e.f.Close() }
func (e *Embeddings) itemName(r int) any { return e.side.IDs[r] }

// loadChunk is how many rows one task of Load converts.
const loadChunk = 1024

// Load converts the matrix to float32 and scales every row to unit length,
// once, so that the scan's dot products are cosines; with half set the unit
// rows are then rounded to half precision, halving the memory. A zero or
// non-finite row is refused, naming the row and its item. Mapped pages are
// released as rows are converted, so the peak is the stored matrix, not
// both.
func (e *Embeddings) Load(ctx context.Context, half bool, threads int) (*scan.Matrix, error) {
	f := e.f
	rows, cols := f.Rows(), f.Cols()
	m := &scan.Matrix{Rows: rows, Cols: cols}
	if half {
		m.Half = make([]uint16, rows*cols)
	} else {
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
			f.ReadFloat32(buf, lo)
			f.Release(lo, hi)
			for r := lo; r < hi; r++ {
				if err := scan.Normalize(buf[(r-lo)*cols : (r-lo+1)*cols]); err != nil {
					errs[lo/loadChunk] = fmt.Errorf("%s: row %d (%s %q): %v", f.Path(), r, e.noun, e.itemName(r), err)
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
