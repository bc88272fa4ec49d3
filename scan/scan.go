package scan

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/hardneg/hardneg/internal/kernel"
)

// Matrix is a row-major matrix whose rows are expected to be unit length,
// so that a dot product is a cosine similarity. It holds float32 values in
// Data, or, to halve its memory, half-precision values (as bits) in Half;
// exactly one of the two is set. Half rows are converted to float32 exactly
// as they are used, so a similarity is the float32 dot product of the
// half-precision vectors.
type Matrix struct {
	Rows, Cols int
	Data       []float32
	Half       []uint16
}

// Row returns row i of a float32 matrix.
func (m *Matrix) Row(i int) []float32 { return m.Data[i*m.Cols : (i+1)*m.Cols] }

// rowsTo32 writes rows [lo, hi) into dst as float32 and returns dst's
// filled part; for a float32 matrix it returns the rows in place.
func (m *Matrix) rowsTo32(dst []float32, lo, hi int) []float32 {
	if m.Half == nil {
		return m.Data[lo*m.Cols : hi*m.Cols]
	}
	dst = dst[:(hi-lo)*m.Cols]
	kernel.HalfToFloat(dst, m.Half[lo*m.Cols:hi*m.Cols])
	return dst
}

func (m *Matrix) valid() bool {
	n := m.Rows * m.Cols
	return m.Rows >= 0 && m.Cols >= 0 && (m.Half == nil && len(m.Data) == n || m.Data == nil && len(m.Half) == n)
}

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
	// Ceilings, when set, gives each anchor a similarity above which a
	// candidate is dropped before it is counted or sampled (a positive-aware
	// ceiling); +Inf leaves an anchor without one.
	Ceilings []float32
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
	Key uint32  // its sampling key
}

// Result is what the scan found for one anchor.
type Result struct {
	// Counts is the number of candidates in each band (the band's pool).
	Counts []int64
	// Picks holds, per band, up to Keep candidates with the smallest keys,
	// in increasing key order.
	Picks [][]Pick
	// AboveCeiling counts the candidates that fell in a band but were
	// dropped by the anchor's ceiling.
	AboveCeiling int64
}

// Errors for a malformed query; they are caller bugs reported as values so
// that a library user gets an error rather than a crash.
var (
	ErrBands = errors.New("scan: bands must be ordered, non-empty and non-overlapping")
	ErrQuery = errors.New("scan: malformed query")
)

// Block and tile sizes. A worker loads up to maxAnchorBlock anchors into a
// kernel.Block and streams the candidates past it candTile at a time; the
// candidate tile (candTile rows) stays in L2 while every anchor panel of
// the block passes over it, and the similarity tile (candTile × block) is
// classified while it is still in cache. Bigger blocks read the candidate
// matrix from memory fewer times; blocks shrink when there are too few
// anchors to keep every worker busy. None of this changes the results.
const (
	maxAnchorBlock = 256
	candTile       = 48
)

// blockSize picks the anchors per block: as many as maxAnchorBlock, but
// small enough that each worker gets about four blocks.
func blockSize(anchors, threads int) int {
	per := (anchors + 4*threads - 1) / (4 * threads)
	per = (per + kernel.PanelRows - 1) / kernel.PanelRows * kernel.PanelRows
	return min(maxAnchorBlock, max(kernel.PanelRows, per))
}

// Scan runs the query over the candidate matrix B, with anchors taken from A.
// A and B may be the same matrix; they must have the same number of columns.
func Scan(ctx context.Context, A, B *Matrix, q Query, opt Options) ([]Result, error) {
	if err := validate(A, B, q, opt); err != nil {
		return nil, err
	}
	cls := newClassifier(opt.Bands)
	results := make([]Result, len(q.Anchors))
	threads := opt.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	anchorBlock := blockSize(len(q.Anchors), threads)
	nBlocks := (len(q.Anchors) + anchorBlock - 1) / anchorBlock
	threads = max(1, min(threads, nBlocks))
	var next atomic.Int64
	work := func(ctx context.Context) error {
		w := newWorker(A, B, q, opt, cls, results, anchorBlock)
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
	if !A.valid() || !B.valid() {
		return fmt.Errorf("%w: matrix data does not match its shape, or both Data and Half are set", ErrQuery)
	}
	if q.Ceilings != nil && len(q.Ceilings) != len(q.Anchors) {
		return fmt.Errorf("%w: %d anchors, %d ceilings", ErrQuery, len(q.Anchors), len(q.Ceilings))
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
	edges   []float32 // lo, hi of each band, for kernel.Classify16
	results []Result
	kb      kernel.Block
	rows    [][]float32 // the anchor rows of the current block
	rowBuf  []float32   // float32 copies of half-precision anchor rows
	candBuf []float32   // float32 copy of a half-precision candidate tile
	tile    []float32   // candTile × block stride similarities, candidate-major
	h       []uint32    // the tile's candidate hashes
	flags   []uint16
}

func newWorker(A, B *Matrix, q Query, opt Options, cls classifier, results []Result, anchorBlock int) *worker {
	stride := (anchorBlock + kernel.PanelRows - 1) / kernel.PanelRows * kernel.PanelRows
	w := &worker{
		A: A, B: B, q: q, opt: opt, cls: cls, results: results,
		rows:  make([][]float32, 0, anchorBlock),
		tile:  make([]float32, candTile*stride),
		h:     make([]uint32, candTile),
		flags: make([]uint16, candTile),
	}
	for b := range cls.lo {
		w.edges = append(w.edges, cls.lo[b], cls.hi[b])
	}
	if A.Half != nil {
		w.rowBuf = make([]float32, anchorBlock*A.Cols)
	}
	if B.Half != nil {
		w.candBuf = make([]float32, candTile*B.Cols)
	}
	return w
}

// panelState is what the classifier keeps for one panel of 16 anchors.
type panelState struct {
	seeds  [kernel.PanelRows]uint32
	counts []int32  // [band][lane]
	limits []uint32 // [band][lane]: the key a candidate must not exceed to be looked at
	valid  uint16   // lanes that hold an anchor
}

// block scans anchors [lo, hi) against every candidate.
func (w *worker) block(ctx context.Context, lo, hi int) error {
	d := w.A.Cols
	m := hi - lo
	w.rows = w.rows[:0]
	for i := lo; i < hi; i++ {
		a := int(w.q.Anchors[i])
		buf := w.rowBuf
		if buf != nil {
			buf = buf[(i-lo)*d:]
		}
		w.rows = append(w.rows, w.A.rowsTo32(buf, a, a+1))
	}
	w.kb.Load(w.rows, d)
	stride := w.kb.Stride()
	nb := len(w.cls.lo)
	accs := make([]bandAcc, m*nb)
	for i := range accs {
		accs[i] = newBandAcc(w.opt.Keep)
	}
	panels := make([]panelState, stride/kernel.PanelRows)
	for p := range panels {
		ps := &panels[p]
		ps.counts = make([]int32, nb*kernel.PanelRows)
		ps.limits = make([]uint32, nb*kernel.PanelRows)
		for lane := range kernel.PanelRows {
			i := p*kernel.PanelRows + lane
			if i >= m {
				continue
			}
			ps.valid |= 1 << lane
			ps.seeds[lane] = seed32(w.q.Seeds[lo+i])
			for b := range nb {
				ps.limits[b*kernel.PanelRows+lane] = accs[i*nb+b].limit
			}
		}
	}
	// excl[i] holds anchor i's exclusions not yet passed; the lists are
	// sorted, and tiles come in increasing row order.
	excl := make([][]int32, m)
	for i := range excl {
		excl[i] = sortedCopy(w.q.Exclude[lo+i])
	}
	above := make([]int64, m)
	for c0 := 0; c0 < w.B.Rows; c0 += candTile {
		if c0%(256*candTile) == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		n := min(candTile, w.B.Rows-c0)
		w.kb.Dots(w.B.rowsTo32(w.candBuf, c0, c0+n), d, n, w.tile)
		for i := range m {
			for len(excl[i]) > 0 && int(excl[i][0]) < c0+n {
				w.tile[(int(excl[i][0])-c0)*stride+i] = float32(math.Inf(-1))
				excl[i] = excl[i][1:]
			}
		}
		if w.q.Ceilings != nil {
			w.applyCeilings(lo, m, n, stride, above)
		}
		for j := range n {
			id := uint64(c0 + j)
			if w.opt.CandidateIDs != nil {
				id = w.opt.CandidateIDs[c0+j]
			}
			w.h[j] = IDHash(id)
		}
		for p := range panels {
			w.classify(&panels[p], p, c0, n, stride, accs, nb)
		}
	}
	for i := 0; i < m; i++ {
		r := Result{Counts: make([]int64, nb), Picks: make([][]Pick, nb), AboveCeiling: above[i]}
		p, lane := i/kernel.PanelRows, i%kernel.PanelRows
		for b := range nb {
			r.Counts[b] = int64(panels[p].counts[b*kernel.PanelRows+lane])
			r.Picks[b] = accs[i*nb+b].picks
		}
		w.results[lo+i] = r
	}
	return nil
}

// applyCeilings drops, for each anchor of the block with a ceiling, the
// tile's similarities above it, counting those that were in a band.
func (w *worker) applyCeilings(lo, m, n, stride int, above []int64) {
	for i := range m {
		c := w.q.Ceilings[lo+i]
		if math.IsInf(float64(c), 1) {
			continue
		}
		for j := range n {
			s := &w.tile[j*stride+i]
			if *s > c {
				if w.cls.band(*s) >= 0 {
					above[i]++
				}
				*s = float32(math.Inf(-1))
			}
		}
	}
}

// classify counts one panel's similarities to the tile's candidates into
// their bands, and offers the few whose keys may enter a sample.
func (w *worker) classify(ps *panelState, p, c0, n, stride int, accs []bandAcc, nb int) {
	kernel.Classify16(n, w.tile[p*kernel.PanelRows:], stride, w.h, &ps.seeds, w.edges, ps.counts, ps.limits, w.flags)
	for j, f := range w.flags[:n] {
		f &= ps.valid
		for f != 0 {
			lane := bits.TrailingZeros16(f)
			f &= f - 1
			i := p*kernel.PanelRows + lane
			s := w.tile[j*stride+i]
			b := w.cls.band(s)
			acc := &accs[i*nb+b]
			row := int32(c0 + j)
			if k := kernel.Fmix32(ps.seeds[lane] ^ w.h[j]); acc.below(k, row) {
				acc.offer(Pick{Row: row, Sim: s, Key: k})
				ps.limits[b*kernel.PanelRows+lane] = acc.limit
			}
		}
	}
}

func sortedCopy(s []int32) []int32 {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// Similarity is the similarity of row a of A and row b of B, computed in
// the kernel's order (products rounded to float32, summed in increasing k),
// so it has the same bits the scan would give the pair.
func Similarity(A *Matrix, a int, B *Matrix, b int) float32 {
	var ra, rb []float32
	if A.Half != nil {
		ra = A.rowsTo32(make([]float32, A.Cols), a, a+1)
	} else {
		ra = A.Row(a)
	}
	if B.Half != nil {
		rb = B.rowsTo32(make([]float32, B.Cols), b, b+1)
	} else {
		rb = B.Row(b)
	}
	rb = rb[:len(ra)]
	var s float32
	for k := range ra {
		s += float32(ra[k] * rb[k])
	}
	return s
}

// Normalize scales row to unit length, summing squares in float64 so that
// the norm is exact to float32 precision whatever the dimension; dot
// products of normalised rows are then cosines. A zero or non-finite row
// has no direction and is refused.
func Normalize(row []float32) error {
	var ss float64
	for i, v := range row {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("column %d is %v; every value must be finite", i, v)
		}
		ss += float64(v) * float64(v)
	}
	if ss == 0 {
		return fmt.Errorf("the row is all zeros and has no direction")
	}
	inv := 1 / math.Sqrt(ss)
	for i, v := range row {
		row[i] = float32(float64(v) * inv)
	}
	return nil
}
