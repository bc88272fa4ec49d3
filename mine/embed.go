package mine

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/hardneg/hardneg/internal/kernel"
	"github.com/hardneg/hardneg/npy"
	"github.com/hardneg/hardneg/scan"
)

// loadEmbeddings converts the .npy matrix to float32 and scales every row to
// unit length, once, so that the scan's dot products are cosines; with
// store f16 the unit rows are then rounded to half precision. A zero or
// non-finite row is refused, naming the row and its term.
func loadEmbeddings(ctx context.Context, f *npy.File, terms []string, store string, threads int) (*scan.Matrix, error) {
	rows, cols := f.Rows(), f.Cols()
	m := &scan.Matrix{Rows: rows, Cols: cols}
	if store == StoreF16 {
		m.Half = make([]uint16, rows*cols)
	} else {
		m.Data = make([]float32, rows*cols)
	}
	const chunk = 1024
	// Each chunk keeps its own error so that, with several bad rows, the
	// first one is reported whatever the scheduling.
	errs := make([]error, (rows+chunk-1)/chunk)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(threads, 1))
	// With half-precision storage each running chunk needs a float32
	// buffer; a fixed set of them keeps the garbage collector from letting
	// a matrix's worth of dead buffers pile up.
	bufs := make(chan []float32, max(threads, 1))
	if m.Half != nil {
		for range max(threads, 1) {
			bufs <- make([]float32, chunk*cols)
		}
	}
	for lo := 0; lo < rows; lo += chunk {
		hi := min(lo+chunk, rows)
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			var buf []float32
			if m.Half != nil {
				buf = <-bufs
				defer func() { bufs <- buf }()
				buf = buf[:(hi-lo)*cols]
			} else {
				buf = m.Data[lo*cols : hi*cols]
			}
			f.ReadFloat32(buf, lo)
			// The converted rows are all the run needs: let the mapped
			// pages go, so peak memory is the stored matrix, not both.
			f.Release(lo, hi)
			for r := lo; r < hi; r++ {
				if err := scan.Normalize(buf[(r-lo)*cols : (r-lo+1)*cols]); err != nil {
					errs[lo/chunk] = fmt.Errorf("%w: %s: row %d (term %q): %v", ErrInput, f.Path(), r, terms[r], err)
					return nil
				}
			}
			if m.Half != nil {
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
