package scan

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/hardneg/hardneg/internal/kernel"
)

// Matrix is a row-major float32 matrix whose rows are expected to be unit
// length, so that a dot product is a cosine similarity.
type Matrix struct {
	Rows, Cols int
	Data       []float32
}

// Row returns row i.
func (m *Matrix) Row(i int) []float32 { return m.Data[i*m.Cols : (i+1)*m.Cols] }

// Band is a half-open similarity range [Lo, Hi).
type Band struct{ Lo, Hi float64 }

// Query says what to scan: one entry per anchor in each slice.
type Query struct {
	// Anchors are rows of the anchor matrix.
	Anchors []int32
	// Exclude lists, per anchor, candidate rows that are never counted or
	// sampled (the anchor itself and its positives, for example).
	Exclude [][]int32
	// Seeds seed each anchor's sampling keys.
	Seeds []uint64
}

// Options tune a scan.
type Options struct {
	// Bands must be ordered and must not overlap.
	Bands []Band
	// Keep is how many candidates each band keeps per anchor.
	Keep int
	// CandidateIDs gives each candidate row a stable identity for its
	// sampling key (a hash of its term, say), so that reordering the
	// candidate matrix does not change which candidates are sampled. When
	// nil, the row number is used.
	CandidateIDs []uint64
	// Threads is the number of workers; 0 means all cores.
	Threads int
	// Progress, when set, is called with the number of anchors finished
	// since its last call. It is called from the workers, concurrently.
	Progress func(anchors int)
}

// Pick is a sampled candidate.
type Pick struct {
	Row int32   // candidate row
	Sim float32 // its similarity to the anchor
	Key uint64  // its sampling key
}

// Result is what the scan found for one anchor.
type Result struct {
	// Counts is the number of candidates in each band (the band's pool).
	Counts []int64
	// Picks holds, per band, up to Keep candidates with the smallest keys,
	// in increasing key order.
	Picks [][]Pick
}

// Errors for a malformed query; they are caller bugs reported as values so
// that a library user gets an error rather than a crash.
var (
	ErrBands = errors.New("scan: bands must be ordered, non-empty and non-overlapping")
	ErrQuery = errors.New("scan: malformed query")
)

// Tile sizes. anchorBlock anchors are packed together and held while tiles of
// candTile candidates stream past; the similarity tile (anchorBlock ×
// candTile float32) stays in L1/L2 while it is classified.
const (
	anchorBlock = 64
	candTile    = 128
)

// Scan runs the query over the candidate matrix B, with anchors taken from A.
// A and B may be the same matrix; they must have the same number of columns.
func Scan(ctx context.Context, A, B *Matrix, q Query, opt Options) ([]Result, error) {
	if err := validate(A, B, q, opt); err != nil {
		return nil, err
	}
	cls := newClassifier(opt.Bands)
	results := make([]Result, len(q.Anchors))
	nBlocks := (len(q.Anchors) + anchorBlock - 1) / anchorBlock
	threads := opt.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	threads = min(threads, nBlocks)
	var next atomic.Int64
	work := func(ctx context.Context) error {
		w := newWorker(A, B, q, opt, cls, results)
		for {
			blk := int(next.Add(1) - 1)
			if blk >= nBlocks {
				return nil
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			lo := blk * anchorBlock
			hi := min(lo+anchorBlock, len(q.Anchors))
			if err := w.block(ctx, lo, hi); err != nil {
				return err
			}
			if opt.Progress != nil {
				opt.Progress(hi - lo)
			}
		}
	}
	if threads <= 1 {
		if err := work(ctx); err != nil {
			return nil, err
		}
		return results, nil
	}
	g, gctx := errgroup.WithContext(ctx)
	for range threads {
		g.Go(func() error { return work(gctx) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return results, nil
}

func validate(A, B *Matrix, q Query, opt Options) error {
	if A.Cols != B.Cols {
		return fmt.Errorf("%w: anchor matrix has %d columns, candidate matrix %d", ErrQuery, A.Cols, B.Cols)
	}
	if len(A.Data) != A.Rows*A.Cols || len(B.Data) != B.Rows*B.Cols {
		return fmt.Errorf("%w: matrix data does not match its shape", ErrQuery)
	}
	if len(q.Exclude) != len(q.Anchors) || len(q.Seeds) != len(q.Anchors) {
		return fmt.Errorf("%w: %d anchors, %d exclusion lists, %d seeds", ErrQuery, len(q.Anchors), len(q.Exclude), len(q.Seeds))
	}
	for i, a := range q.Anchors {
		if a < 0 || int(a) >= A.Rows {
			return fmt.Errorf("%w: anchor %d is row %d of %d", ErrQuery, i, a, A.Rows)
		}
		for _, e := range q.Exclude[i] {
			if e < 0 || int(e) >= B.Rows {
				return fmt.Errorf("%w: anchor %d excludes row %d of %d", ErrQuery, i, e, B.Rows)
			}
		}
	}
	if opt.CandidateIDs != nil && len(opt.CandidateIDs) != B.Rows {
		return fmt.Errorf("%w: %d candidate ids for %d rows", ErrQuery, len(opt.CandidateIDs), B.Rows)
	}
	if opt.Keep < 0 {
		return fmt.Errorf("%w: keep %d", ErrQuery, opt.Keep)
	}
	if len(opt.Bands) == 0 {
		return ErrBands
	}
	for i, b := range opt.Bands {
		if !(b.Lo < b.Hi) || math.IsNaN(b.Lo) || math.IsNaN(b.Hi) || (i > 0 && b.Lo < opt.Bands[i-1].Hi) {
			return fmt.Errorf("%w: band %d is [%v, %v)", ErrBands, i, b.Lo, b.Hi)
		}
	}
	return nil
}

// worker owns the scratch buffers of one goroutine.
type worker struct {
	A, B    *Matrix
	q       Query
	opt     Options
	cls     classifier
	results []Result
	packed  []float32 // the anchor block, rows contiguous
	tile    []float32 // anchorBlock × candTile similarities
}

func newWorker(A, B *Matrix, q Query, opt Options, cls classifier, results []Result) *worker {
	return &worker{
		A: A, B: B, q: q, opt: opt, cls: cls, results: results,
		packed: make([]float32, anchorBlock*A.Cols),
		tile:   make([]float32, anchorBlock*candTile),
	}
}

// block scans anchors [lo, hi) against every candidate.
func (w *worker) block(ctx context.Context, lo, hi int) error {
	d := w.A.Cols
	m := hi - lo
	for i := 0; i < m; i++ {
		copy(w.packed[i*d:(i+1)*d], w.A.Row(int(w.q.Anchors[lo+i])))
	}
	nb := len(w.cls.lo)
	accs := make([]bandAcc, m*nb)
	for i := range accs {
		accs[i].keep = w.opt.Keep
	}
	// next[i] indexes the first exclusion of anchor i not yet passed; the
	// exclusion lists are sorted, and tiles come in increasing row order.
	excl := make([][]int32, m)
	for i := range excl {
		excl[i] = sortedCopy(w.q.Exclude[lo+i])
	}
	for c0 := 0; c0 < w.B.Rows; c0 += candTile {
		if c0&(64*candTile-1) == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		n := min(candTile, w.B.Rows-c0)
		kernel.DotTile(m, n, d, w.packed, d, w.B.Data[c0*d:], d, w.tile, candTile)
		for i := 0; i < m; i++ {
			row := w.tile[i*candTile : i*candTile+n]
			for len(excl[i]) > 0 && int(excl[i][0]) < c0+n {
				row[int(excl[i][0])-c0] = float32(math.Inf(-1))
				excl[i] = excl[i][1:]
			}
			w.classify(row, c0, w.q.Seeds[lo+i], accs[i*nb:(i+1)*nb])
		}
	}
	for i := 0; i < m; i++ {
		r := Result{Counts: make([]int64, nb), Picks: make([][]Pick, nb)}
		for b := range nb {
			r.Counts[b] = accs[i*nb+b].count
			r.Picks[b] = accs[i*nb+b].picks
		}
		w.results[lo+i] = r
	}
	return nil
}

// classify counts each similarity of one anchor's tile row into its band and
// offers it to that band's sample.
func (w *worker) classify(row []float32, c0 int, seed uint64, accs []bandAcc) {
	cls := &w.cls
	ids := w.opt.CandidateIDs
	for j, s := range row {
		if !(s >= cls.min && s < cls.max) {
			continue
		}
		b := cls.band(s)
		if b < 0 {
			continue
		}
		acc := &accs[b]
		acc.count++
		r := c0 + j
		id := uint64(r)
		if ids != nil {
			id = ids[r]
		}
		k := Key(seed, id)
		if k < acc.limit() {
			acc.offer(Pick{Row: int32(r), Sim: s, Key: k})
		}
	}
}

func sortedCopy(s []int32) []int32 {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
