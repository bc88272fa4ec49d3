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

// Band is a half-open similarity range [Lo, Hi).
type Band struct{ Lo, Hi float64 }

// Query says what to scan: one entry per anchor in each slice that is set.
type Query struct {
	// Anchors are rows of the anchor (query) matrix.
	Anchors []int32
	// Exclude lists, per anchor, candidate rows that are never counted or
	// sampled (its positives, the anchor itself when the queries are the
	// corpus, and what the guards exclude).
	Exclude [][]int32
	// Seeds seed each anchor's sampling keys.
	Seeds []uint64
	// Ceilings and Floors, when set, keep for each anchor only candidates
	// with Floors[i] <= s <= Ceilings[i] (positive-aware margins and score
	// limits, converted with AtMost and Threshold); +Inf and -Inf leave an
	// anchor without one.
	Ceilings, Floors []float32
	// Positives, with Options.NearDuplicates, lists each anchor's positive
	// rows: a candidate whose similarity to any of them reaches the
	// threshold is dropped. NearDupFloors[i] is a similarity to the anchor
	// below which no candidate can be such a near-duplicate (see
	// NearDuplicateFloor); only candidates above it are checked.
	Positives     [][]int32
	NearDupFloors []float32
	// Centers holds, for SimANS sampling, each anchor's s⁺ + b.
	Centers []float64
}

// Options tune a scan.
type Options struct {
	// Bands must be ordered and must not overlap.
	Bands []Band
	// Keep is how many candidates each band keeps per anchor.
	Keep int
	// Sampling orders and keeps each band's sample.
	Sampling Sampling
	// SimANSA is SimANS's a: how sharply the weight falls with the distance
	// from the anchor's center.
	SimANSA float64
	// Window > 0 also keeps each anchor's Window most similar candidates
	// (after exclusions, near-duplicates and limits), in CompareTop order.
	Window int
	// WindowOnly skips the bands: only the window is kept, Counts and Picks
	// stay nil. Rank windows need nothing else.
	WindowOnly bool
	// NearDuplicates > 0 drops candidates whose similarity to one of the
	// anchor's Positives is at least Threshold(NearDuplicates).
	NearDuplicates float64
	// CandidateIDs gives each candidate row a stable identity for its
	// sampling key (a hash of its id, say), so that reordering the
	// candidate matrix does not change which candidates are sampled. When
	// nil, the row number is used.
	CandidateIDs []uint64
	// Exact turns the screen off: every similarity is then computed in
	// float32 by the dot-product kernel. The screen never changes the
	// results (see the package doc), only how many float32 dot products
	// the scan computes.
	Exact bool
	// Threads is the number of workers; 0 means all cores.
	Threads int
	// Progress, when set, is called with the number of anchors finished
	// since its last call. It is called from the workers, concurrently.
	Progress func(anchors int)
}

// Result is what the scan found for one anchor.
type Result struct {
	// Counts is the number of candidates in each band (the band's pool).
	Counts []int64
	// Picks holds, per band, up to Keep candidates in the sampling's order:
	// by key for Random, most similar first for Top, by SimANS score for
	// SimANS.
	Picks [][]Pick
	// Window holds the Window most similar candidates, most similar first.
	Window []Pick
	// AboveCeiling and BelowFloor count the candidates a limit dropped that
	// were in a band (any candidate, with WindowOnly); NearDuplicates counts
	// the candidates dropped as near-duplicates of a positive.
	AboveCeiling, BelowFloor, NearDuplicates int64
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

// panelStride is n rounded up to whole kernel panels: the stride of a
// block's tile (kernel.Block.Stride) for n anchors.
func panelStride(n int) int {
	return (n + kernel.PanelRows - 1) / kernel.PanelRows * kernel.PanelRows
}

// blockSize picks the anchors per block: as many as maxAnchorBlock, but
// small enough that each worker gets about four blocks.
func blockSize(anchors, threads int) int {
	per := (anchors + 4*threads - 1) / (4 * threads)
	per = panelStride(per)
	return min(maxAnchorBlock, max(kernel.PanelRows, per))
}

// Scan runs the query over the candidate matrix B, with anchors taken from A.
// A and B may be the same matrix; they must have the same number of columns.
// It is NewScanner and one Feed of the whole of B.
func Scan(ctx context.Context, A, B *Matrix, q Query, opt Options) ([]Result, error) {
	if !B.valid() {
		return nil, fmt.Errorf("%w: matrix data does not match its shape, or both Data and Half are set", ErrQuery)
	}
	var pos map[int32][]float32
	if opt.NearDuplicates > 0 && len(q.Positives) == len(q.Anchors) {
		pos = map[int32][]float32{}
		for _, ps := range q.Positives {
			for _, p := range ps {
				if p >= 0 && int(p) < B.Rows && pos[p] == nil {
					pos[p] = B.Row32(int(p))
				}
			}
		}
	}
	s, err := NewScanner(A, B.Rows, q, opt, pos)
	if err != nil {
		return nil, err
	}
	if err := s.Feed(ctx, B, 0); err != nil {
		return nil, err
	}
	return s.Results(), nil
}

// Scanner scans a query against a corpus that arrives in chunks of rows,
// in any order and in as many calls as the caller likes: each anchor's
// counts, samples and window persist between chunks, and, being order-free,
// end the same whichever way the corpus was cut. A corpus larger than
// memory is streamed through it chunk by chunk.
type Scanner struct {
	A           *Matrix
	corpusRows  int
	q           Query
	opt         Options
	cls         classifier
	anchorBlock int
	threads     int
	blocks      []*blockState
	// posVecs holds the positives' rows, for the near-duplicate check.
	posVecs map[int32][]float32
	// screen says whether Feeds screen (screen.go); qA then holds the
	// anchors' quantised rows, in the query's order, once the first Feed
	// has made them, and qB room for a part of the corpus's.
	screen bool
	qA, qB *kernel.ScreenRows
	// screened and rechecked count the pairs the screen computed and
	// those it computed exactly as well.
	screened, rechecked atomic.Int64
}

// NewScanner prepares a scan of q's anchors (rows of A) against a corpus
// of corpusRows rows. With Options.NearDuplicates, posVecs must hold the
// unit row of every positive the query lists.
func NewScanner(A *Matrix, corpusRows int, q Query, opt Options, posVecs map[int32][]float32) (*Scanner, error) {
	if err := validate(A, corpusRows, q, opt); err != nil {
		return nil, err
	}
	if opt.NearDuplicates > 0 {
		for i, ps := range q.Positives {
			for _, p := range ps {
				if len(posVecs[p]) != A.Cols {
					return nil, fmt.Errorf("%w: anchor %d: no vector for positive row %d", ErrQuery, i, p)
				}
			}
		}
	}
	s := &Scanner{A: A, corpusRows: corpusRows, q: q, opt: opt, posVecs: posVecs}
	if !opt.WindowOnly {
		s.cls = newClassifier(opt.Bands)
	}
	s.threads = opt.Threads
	if s.threads <= 0 {
		s.threads = runtime.GOMAXPROCS(0)
	}
	s.screen = screens(opt)
	bounds := blockBounds(len(q.Anchors), s.threads)
	s.blocks = make([]*blockState, len(bounds)-1)
	s.anchorBlock = kernel.PanelRows // the largest block, and a panel at least
	for b := range s.blocks {
		s.anchorBlock = max(s.anchorBlock, bounds[b+1]-bounds[b])
	}
	for b := range s.blocks {
		s.blocks[b] = s.newBlockState(bounds[b], bounds[b+1])
	}
	return s, nil
}

// blockBounds cuts the anchors into blocks of at most blockSize anchors,
// as many as a multiple of the threads when there are enough panels, and
// as even as whole panels allow; it returns the blocks' first anchors and
// then the number of anchors. The workers take blocks as they finish
// them and wait for each other after every part of the corpus, so blocks
// of one size keep both cores busy to the end: 15 full blocks and one of
// 84 anchors (3,924 anchors) left one core idle for two thirds of a block
// per part.
func blockBounds(anchors, threads int) []int {
	if anchors == 0 {
		return []int{0}
	}
	per := blockSize(anchors, threads)
	panels := (anchors + kernel.PanelRows - 1) / kernel.PanelRows
	n := (anchors + per - 1) / per
	n = min(panels, (n+threads-1)/threads*threads)
	bounds := make([]int, n+1)
	for b := range bounds {
		bounds[b] = min(anchors, panels*b/n*kernel.PanelRows)
	}
	return bounds
}

// Feed scans every anchor against the corpus rows [first, first+B.Rows),
// held in B.
func (s *Scanner) Feed(ctx context.Context, B *Matrix, first int) error {
	if B.Cols != s.A.Cols {
		return fmt.Errorf("%w: anchor matrix has %d columns, candidate matrix %d", ErrQuery, s.A.Cols, B.Cols)
	}
	if !B.valid() || first < 0 || first+B.Rows > s.corpusRows {
		return fmt.Errorf("%w: rows [%d, %d) of a %d-row corpus, or matrix data that does not match its shape", ErrQuery, first, first+B.Rows, s.corpusRows)
	}
	if s.screen {
		if err := s.feedScreened(ctx, B, first); err != nil {
			return err
		}
	} else {
		err := s.forBlocks(ctx, B, first, nil, func(st *blockState) {
			if s.opt.Progress != nil {
				s.opt.Progress(st.m)
			}
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// forBlocks scans every block of anchors against the rows of B (corpus
// rows from first on), on up to s.threads goroutines, and calls done after
// each block. qB, when set, holds B's rows quantised for the screen.
func (s *Scanner) forBlocks(ctx context.Context, B *Matrix, first int, qB *kernel.ScreenRows, done func(st *blockState)) error {
	return s.eachBlock(ctx, func() (blockFunc, func()) {
		w := newWorker(s, B, first, qB)
		return func(ctx context.Context, st *blockState) error {
			if err := w.block(ctx, st); err != nil {
				return err
			}
			done(st)
			return nil
		}, w.flush
	})
}

// blockFunc is what one goroutine of eachBlock does with a block.
type blockFunc func(ctx context.Context, st *blockState) error

// eachBlock hands the blocks of anchors out to up to s.threads goroutines,
// each taking the next block as it finishes one, and returns the first
// error. start runs once on each goroutine and returns what it does with
// a block and what it does when it stops.
func (s *Scanner) eachBlock(ctx context.Context, start func() (do blockFunc, stop func())) error {
	var next atomic.Int64
	return parallel(ctx, min(s.threads, len(s.blocks)), func(ctx context.Context) error {
		do, stop := start()
		defer stop()
		for {
			blk := int(next.Add(1) - 1)
			if blk >= len(s.blocks) {
				return nil
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := do(ctx, s.blocks[blk]); err != nil {
				return err
			}
		}
	})
}

// parallel runs work on threads goroutines (at least one) and returns the
// first error; with one, it runs work on the caller's goroutine.
func parallel(ctx context.Context, threads int, work func(ctx context.Context) error) error {
	if threads <= 1 {
		return work(ctx)
	}
	g, gctx := errgroup.WithContext(ctx)
	for range threads {
		g.Go(func() error { return work(gctx) })
	}
	return g.Wait()
}

// Results returns each anchor's result, in the query's order.
func (s *Scanner) Results() []Result {
	out := make([]Result, len(s.q.Anchors))
	for _, st := range s.blocks {
		st.results(s, out)
	}
	return out
}

func validate(A *Matrix, corpusRows int, q Query, opt Options) error {
	if !A.valid() || corpusRows < 0 {
		return fmt.Errorf("%w: matrix data does not match its shape, or both Data and Half are set", ErrQuery)
	}
	n := len(q.Anchors)
	for _, c := range []struct {
		name string
		got  int
		need bool
	}{
		{"exclusion lists", len(q.Exclude), true},
		{"seeds", len(q.Seeds), true},
		{"ceilings", len(q.Ceilings), q.Ceilings != nil},
		{"floors", len(q.Floors), q.Floors != nil},
		{"positive lists", len(q.Positives), opt.NearDuplicates > 0},
		{"near-duplicate floors", len(q.NearDupFloors), opt.NearDuplicates > 0},
		{"centers", len(q.Centers), opt.Sampling == SimANS && !opt.WindowOnly},
	} {
		if c.need && c.got != n {
			return fmt.Errorf("%w: %d anchors, %d %s", ErrQuery, n, c.got, c.name)
		}
	}
	inB := func(rows []int32) bool {
		for _, e := range rows {
			if e < 0 || int(e) >= corpusRows {
				return false
			}
		}
		return true
	}
	for i, a := range q.Anchors {
		if a < 0 || int(a) >= A.Rows {
			return fmt.Errorf("%w: anchor %d is row %d of %d", ErrQuery, i, a, A.Rows)
		}
		if !inB(q.Exclude[i]) || (opt.NearDuplicates > 0 && !inB(q.Positives[i])) {
			return fmt.Errorf("%w: anchor %d excludes or has a positive outside the %d candidate rows", ErrQuery, i, corpusRows)
		}
	}
	if opt.CandidateIDs != nil && len(opt.CandidateIDs) != corpusRows {
		return fmt.Errorf("%w: %d candidate ids for %d rows", ErrQuery, len(opt.CandidateIDs), corpusRows)
	}
	if opt.Keep < 0 || opt.Window < 0 || (opt.WindowOnly && opt.Window == 0) {
		return fmt.Errorf("%w: keep %d, window %d", ErrQuery, opt.Keep, opt.Window)
	}
	if opt.Sampling < Random || opt.Sampling > SimANS || math.IsNaN(opt.SimANSA) || opt.SimANSA < 0 {
		return fmt.Errorf("%w: sampling %v with a = %v", ErrQuery, opt.Sampling, opt.SimANSA)
	}
	if math.IsNaN(opt.NearDuplicates) || opt.NearDuplicates < 0 {
		return fmt.Errorf("%w: near-duplicate threshold %v", ErrQuery, opt.NearDuplicates)
	}
	if opt.WindowOnly {
		return nil
	}
	if len(opt.Bands) == 0 || len(opt.Bands) > maxBands {
		return fmt.Errorf("%w: %d bands (at most %d)", ErrBands, len(opt.Bands), maxBands)
	}
	for i, b := range opt.Bands {
		if !(b.Lo < b.Hi) || math.IsNaN(b.Lo) || math.IsNaN(b.Hi) || (i > 0 && b.Lo < opt.Bands[i-1].Hi) {
			return fmt.Errorf("%w: band %d is [%v, %v)", ErrBands, i, b.Lo, b.Hi)
		}
	}
	return nil
}

// maxBands bounds the number of bands: every anchor of a block keeps a
// sample per band, and labels are small integers.
const maxBands = 1 << 10

// NearDuplicateFloor returns the similarity to an anchor below which no
// candidate can have a similarity of at least t to a positive whose
// similarity to the anchor is pos: by the triangle inequality on angles,
// angle(anchor, c) <= angle(anchor, p) + angle(p, c) <= acos(pos) + acos(t).
// A margin covers the float32 rounding of the similarities involved.
func NearDuplicateFloor(pos float32, t float64) float32 {
	angle := math.Acos(math.Max(-1, math.Min(1, float64(pos)))) + math.Acos(math.Max(-1, math.Min(1, t)))
	if angle >= math.Pi {
		return float32(math.Inf(-1))
	}
	return float32(math.Cos(angle) - 1e-3)
}

// worker owns the scratch buffers of one goroutine during one Feed.
type worker struct {
	s       *Scanner
	B       *Matrix
	first   int // the corpus row of B's row 0
	edges   []float32
	kb      kernel.Block
	rows    [][]float32 // the anchor rows of the current block
	rowBuf  []float32   // float32 copies of half-precision anchor rows
	candBuf []float32   // float32 copy of a half-precision candidate tile
	tile    []float32   // candTile × block stride similarities, candidate-major
	h       []uint32    // the tile's candidate hashes
	flags   []uint16
	// ndThresh is the near-duplicate threshold as a float32 lower edge.
	ndThresh float32
	// c0 is the tile's first row of B; conv has bit j set once the tile's
	// candidate j is in candBuf.
	c0   int
	conv uint64
	// scr is the screen's scratch, nil when every similarity is exact.
	scr *screenWorker
}

func newWorker(s *Scanner, B *Matrix, first int, qB *kernel.ScreenRows) *worker {
	stride := panelStride(s.anchorBlock)
	w := &worker{
		s: s, B: B, first: first,
		rows:  make([][]float32, 0, s.anchorBlock),
		tile:  make([]float32, candTile*stride),
		h:     make([]uint32, candTile),
		flags: make([]uint16, candTile),
	}
	for b := range s.cls.lo {
		w.edges = append(w.edges, s.cls.lo[b], s.cls.hi[b])
	}
	if s.A.Half != nil {
		w.rowBuf = make([]float32, s.anchorBlock*s.A.Cols)
	}
	if B.Half != nil {
		w.candBuf = make([]float32, candTile*B.Cols)
	}
	if s.opt.NearDuplicates > 0 {
		w.ndThresh = Threshold(s.opt.NearDuplicates)
	}
	if qB != nil {
		w.scr = newScreenWorker(s, qB, stride)
	}
	return w
}

// flush adds the worker's screen counts to the scanner's.
func (w *worker) flush() {
	if w.scr != nil {
		w.s.screened.Add(w.scr.pairs)
		w.s.rechecked.Add(w.scr.rechecked)
		w.scr.pairs, w.scr.rechecked = 0, 0
	}
}

// candRow returns the tile's candidate j as float32, converting a
// half-precision row on first use.
func (w *worker) candRow(j int) []float32 {
	d := w.B.Cols
	r := w.c0 + j
	if w.B.Half == nil {
		return w.B.Data[r*d : (r+1)*d]
	}
	row := w.candBuf[j*d : (j+1)*d]
	if w.conv&(1<<j) == 0 {
		kernel.HalfToFloat(row, w.B.Half[r*d:(r+1)*d])
		w.conv |= 1 << j
	}
	return row
}

// exact returns the similarity of the block's anchor i and the tile's
// candidate j as Dots computes it. Without the screen it is the tile's
// value; under the screen the pair is re-checked first if the tile holds
// only its screened value.
func (w *worker) exact(j, i, stride int) float32 {
	if w.scr == nil || w.scr.isExact(j, i) {
		return w.tile[j*stride+i]
	}
	v := Dot(w.rows[i], w.candRow(j))
	w.tile[j*stride+i] = v
	w.scr.setExact(j, i)
	w.scr.rechecked++
	return v
}

// drop removes the tile's candidate j from anchor i's scan: −Inf is in no
// band, below every floor and threshold, and exact.
func (w *worker) drop(j, i, stride int) {
	w.tile[j*stride+i] = float32(math.Inf(-1))
	if w.scr != nil {
		w.scr.setExact(j, i)
	}
}

// panelState is what the classifier keeps for one panel of 16 anchors.
type panelState struct {
	seeds  [kernel.PanelRows]uint32
	counts []int32  // [band][lane]
	limits []uint32 // [band][lane]: the key a candidate must not exceed to be looked at
	valid  uint16   // lanes that hold an anchor
}

// blockState is the per-anchor state of one block of anchors, kept across
// the corpus chunks.
type blockState struct {
	lo, m, nb int
	samples   []bottomK // [anchor][band], Random and SimANS
	tops      []topK    // [anchor][band], Top
	windows   []topK    // [anchor]
	th        []float32 // [anchor]: the similarity a candidate needs to be looked at by tops and windows
	panels    []panelState
	excl      [][]int32 // [anchor]: sorted exclusions
	counts    []Result  // [anchor]: the limit and near-duplicate counters
}

func (s *Scanner) newBlockState(lo, hi int) *blockState {
	m := hi - lo
	nb := len(s.cls.lo)
	stride := panelStride(s.anchorBlock)
	st := &blockState{lo: lo, m: m, nb: nb, excl: make([][]int32, m), counts: make([]Result, m), th: make([]float32, m)}
	for i := range m {
		st.excl[i] = sortedCopy(s.q.Exclude[lo+i])
		st.th[i] = float32(math.Inf(1))
	}
	if s.opt.Window > 0 {
		st.windows = make([]topK, m)
		for i := range st.windows {
			st.windows[i] = topK{keep: s.opt.Window}
			st.th[i] = st.windows[i].threshold()
		}
	}
	if s.opt.WindowOnly {
		return st
	}
	if s.opt.Sampling == Top {
		st.tops = make([]topK, m*nb)
		for i := range st.tops {
			st.tops[i] = topK{keep: s.opt.Keep}
		}
		for i := range m {
			st.th[i] = min(st.th[i], s.topThreshold(st, i))
		}
	} else {
		st.samples = make([]bottomK, m*nb)
		for i := range st.samples {
			st.samples[i] = newBottomK(s.opt.Keep)
		}
	}
	st.panels = make([]panelState, stride/kernel.PanelRows)
	for p := range st.panels {
		ps := &st.panels[p]
		ps.counts = make([]int32, nb*kernel.PanelRows)
		ps.limits = make([]uint32, nb*kernel.PanelRows)
		for lane := range kernel.PanelRows {
			i := p*kernel.PanelRows + lane
			if i >= m {
				continue
			}
			ps.valid |= 1 << lane
			ps.seeds[lane] = seed32(s.q.Seeds[lo+i])
			for b := range nb {
				if st.samples != nil {
					ps.limits[b*kernel.PanelRows+lane] = st.samples[i*nb+b].limit
				}
			}
		}
	}
	return st
}

// results writes the block's anchors' results into out.
func (st *blockState) results(s *Scanner, out []Result) {
	for i := range st.m {
		r := st.counts[i]
		if !s.opt.WindowOnly {
			r.Counts = make([]int64, st.nb)
			r.Picks = make([][]Pick, st.nb)
			p, lane := i/kernel.PanelRows, i%kernel.PanelRows
			for b := range st.nb {
				r.Counts[b] = int64(st.panels[p].counts[b*kernel.PanelRows+lane])
				if st.tops != nil {
					r.Picks[b] = slices.Clone(st.tops[i*st.nb+b].picks)
				} else {
					r.Picks[b] = slices.Clone(st.samples[i*st.nb+b].picks)
				}
				if len(r.Picks[b]) == 0 {
					r.Picks[b] = nil
				}
			}
		}
		if st.windows != nil {
			r.Window = slices.Clone(st.windows[i].picks)
			if len(r.Window) == 0 {
				r.Window = nil
			}
		}
		out[st.lo+i] = r
	}
}

// block scans one block of anchors against the worker's rows of B.
func (w *worker) block(ctx context.Context, st *blockState) error {
	s := w.s
	d := s.A.Cols
	lo, m := st.lo, st.m
	w.rows = w.rows[:0]
	for i := lo; i < lo+m; i++ {
		a := int(s.q.Anchors[i])
		buf := w.rowBuf
		if buf != nil {
			buf = buf[(i-lo)*d:]
		}
		w.rows = append(w.rows, s.A.rowsTo32(buf, a, a+1))
	}
	stride := panelStride(m)
	if w.scr != nil {
		w.scr.load(st)
	} else {
		w.kb.Load(w.rows, d)
	}
	// excl[i] holds anchor i's exclusions not yet passed in this chunk.
	excl := make([][]int32, m)
	for i := range excl {
		k, _ := slices.BinarySearch(st.excl[i], int32(w.first))
		excl[i] = st.excl[i][k:]
	}
	for c0 := 0; c0 < w.B.Rows; c0 += candTile {
		if c0%(256*candTile) == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		n := min(candTile, w.B.Rows-c0)
		row0 := w.first + c0 // the corpus row of the tile's first candidate
		w.c0, w.conv = c0, 0
		if w.scr != nil {
			w.scr.tile(w, st, c0, n, stride)
		} else {
			if w.B.Half != nil {
				w.B.rowsTo32(w.candBuf, c0, c0+n)
				w.conv = 1<<n - 1
			}
			cand := w.candBuf
			if w.B.Half == nil {
				cand = w.B.Data[c0*d:]
			}
			w.kb.Dots(cand, d, n, w.tile)
		}
		for i := range m {
			for len(excl[i]) > 0 && int(excl[i][0]) < row0+n {
				w.drop(int(excl[i][0])-row0, i, stride)
				excl[i] = excl[i][1:]
			}
		}
		if w.scr != nil {
			w.scr.resolveUnbounded(w, st, n, stride)
		}
		if s.opt.NearDuplicates > 0 {
			w.dropNearDuplicates(st, n, stride)
		}
		if s.q.Ceilings != nil || s.q.Floors != nil {
			w.applyLimits(st, n, stride)
		}
		for j := range n {
			id := uint64(row0 + j)
			if s.opt.CandidateIDs != nil {
				id = s.opt.CandidateIDs[row0+j]
			}
			w.h[j] = IDHash(id)
		}
		switch {
		case s.opt.WindowOnly:
		case w.scr != nil:
			w.classifyScreened(st, row0, n, stride)
		default:
			for p := range st.panels {
				w.classify(&st.panels[p], p, row0, n, stride, st)
			}
		}
		if st.tops != nil || st.windows != nil {
			w.offerAbove(st, row0, n, stride)
		}
	}
	return nil
}

// topThreshold is the similarity a candidate needs to enter any band's top
// sample of anchor i: the lowest over bands of the band's floor or, once
// full, its worst kept similarity.
func (s *Scanner) topThreshold(st *blockState, i int) float32 {
	th := float32(math.Inf(1))
	for b := range st.nb {
		th = min(th, max(s.cls.lo[b], st.tops[i*st.nb+b].threshold()))
	}
	return th
}

// dropNearDuplicates drops, for each anchor of the block, the tile's
// candidates whose similarity to one of its positives reaches the
// threshold. Only candidates above the anchor's near-duplicate floor can,
// so only they are checked; under the screen, a candidate whose screened
// similarity is below the floor's window is certainly below the floor.
func (w *worker) dropNearDuplicates(st *blockState, n, stride int) {
	s := w.s
	for i := range st.m {
		pos := s.q.Positives[st.lo+i]
		if len(pos) == 0 {
			continue
		}
		floor := s.q.NearDupFloors[st.lo+i]
		// Every candidate passes a floor of −Inf, whatever its value.
		noFloor := math.IsInf(float64(floor), -1)
		below := floor
		if w.scr != nil && !noFloor {
			below, _ = w.scr.window(floor)
			w.recheckAbove(i, n, stride, below, float32(math.Inf(1)))
		}
		for j := range n {
			v := w.tile[j*stride+i]
			if v < below || math.IsInf(float64(v), -1) {
				continue
			}
			if !noFloor && w.exact(j, i, stride) < floor {
				continue
			}
			c := w.candRow(j)
			for _, p := range pos {
				if Dot(s.posVecs[p], c) >= w.ndThresh {
					w.drop(j, i, stride)
					st.counts[i].NearDuplicates++
					break
				}
			}
		}
	}
}

// applyLimits drops, for each anchor of the block with a ceiling or a
// floor, the tile's similarities outside them, counting those that were in
// a band. Under the screen, a pair is re-checked only when its screened
// similarity is within the bound of the ceiling or the floor, or when it is
// dropped and its band is not certain.
func (w *worker) applyLimits(st *blockState, n, stride int) {
	s := w.s
	inf := float32(math.Inf(1))
	for i := range st.m {
		hi, low := inf, -inf
		if s.q.Ceilings != nil {
			hi = s.q.Ceilings[st.lo+i]
		}
		if s.q.Floors != nil {
			low = s.q.Floors[st.lo+i]
		}
		if hi == inf && low == -inf {
			continue
		}
		// Under the screen: s > hi is s >= above, decided outside
		// [aLo, aHi); s < low is decided outside [fLo, fHi).
		var aLo, aHi, fLo, fHi float32
		if w.scr != nil {
			aLo, aHi = w.scr.window(math.Nextafter32(hi, inf))
			fLo, fHi = w.scr.window(low)
			w.recheckAbove(i, n, stride, aLo, aHi)
			w.recheckAbove(i, n, stride, fLo, fHi)
		}
		r := &st.counts[i]
		for j := range n {
			v := w.tile[j*stride+i]
			var above, under bool
			if w.scr == nil || w.scr.isExact(j, i) {
				above = v > hi
				under = !above && v < low && !math.IsInf(float64(v), -1)
			} else {
				// recheckAbove left every pair in the two windows exact,
				// so this screened value lies outside both, and decides.
				above = v >= aHi
				under = !above && v < low
			}
			switch {
			case above:
				if s.opt.WindowOnly || w.band(j, i, stride) >= 0 {
					r.AboveCeiling++
				}
			case under:
				if s.opt.WindowOnly || w.band(j, i, stride) >= 0 {
					r.BelowFloor++
				}
			default:
				continue
			}
			w.drop(j, i, stride)
		}
	}
}

// recheckAbove re-checks, under the screen, anchor i's pairs whose
// screened similarity lies in [lo, hi), together.
func (w *worker) recheckAbove(i, n, stride int, lo, hi float32) {
	sw := w.scr
	sw.need = sw.need[:0]
	for j := range n {
		if v := w.tile[j*stride+i]; v >= lo && v < hi && !sw.isExact(j, i) {
			sw.need = append(sw.need, [2]int{j, i})
		}
	}
	w.recheck(sw.need, stride)
}

// band returns the band of anchor i's similarity to the tile's candidate
// j, re-checking the pair under the screen when its screened value is
// within the bound of a band edge.
func (w *worker) band(j, i, stride int) int {
	v := w.tile[j*stride+i]
	if w.scr != nil && !w.scr.isExact(j, i) && w.scr.inWindow(v) {
		v = w.exact(j, i, stride)
	}
	return w.s.cls.band(v)
}

// classify counts one panel's similarities to the tile's candidates into
// their bands, and offers the few whose keys may enter a random or SimANS
// sample.
func (w *worker) classify(ps *panelState, p, row0, n, stride int, st *blockState) {
	s := w.s
	kernel.Classify16(n, w.tile[p*kernel.PanelRows:], stride, w.h, &ps.seeds, w.edges, ps.counts, ps.limits, w.flags)
	if st.samples == nil {
		return
	}
	simans := s.opt.Sampling == SimANS
	nb := st.nb
	for j, f := range w.flags[:n] {
		f &= ps.valid
		for f != 0 {
			lane := bits.TrailingZeros16(f)
			f &= f - 1
			i := p*kernel.PanelRows + lane
			v := w.tile[j*stride+i]
			b := s.cls.band(v)
			acc := &st.samples[i*nb+b]
			pick := Pick{Row: int32(row0 + j), Sim: v, Key: kernel.Fmix32(ps.seeds[lane] ^ w.h[j])}
			score := 0.0
			if simans {
				score = SimANSScore(pick.Key, v, s.q.Centers[st.lo+i], s.opt.SimANSA)
			}
			if acc.below(score, pick) {
				acc.offer(score, pick, simans)
				ps.limits[b*kernel.PanelRows+lane] = acc.limit
			}
		}
	}
}

// offerAbove offers the tile's candidates that reach an anchor's threshold
// to its top samples and its window. Under the screen, a pair whose
// screened similarity is below the window around the threshold is certainly
// below it; the others are re-checked, so every pick holds an exact value.
func (w *worker) offerAbove(st *blockState, row0, n, stride int) {
	s := w.s
	if sw := w.scr; sw != nil {
		// Thresholds only rise, so the pairs at or above thLo now are all
		// that can need their value below; they are re-checked together.
		sw.need = sw.need[:0]
		for j := range n {
			row := w.tile[j*stride : j*stride+st.m]
			for i, v := range row {
				if v >= sw.thLo[i] && !sw.isExact(j, i) {
					sw.need = append(sw.need, [2]int{j, i})
				}
			}
		}
		w.recheck(sw.need, stride)
	}
	for j := range n {
		row := w.tile[j*stride : j*stride+st.m]
		for i, v := range row {
			if w.scr != nil {
				// thLo[i] <= th[i], so this holds for exact values too.
				if v < w.scr.thLo[i] {
					continue
				}
				v = w.exact(j, i, stride)
			}
			if v < st.th[i] {
				continue
			}
			pick := Pick{Row: int32(row0 + j), Sim: v, Key: kernel.Fmix32(seed32(s.q.Seeds[st.lo+i]) ^ w.h[j])}
			th := float32(math.Inf(1))
			if st.windows != nil {
				win := &st.windows[i]
				win.offer(pick)
				th = win.threshold()
			}
			if st.tops != nil {
				if b := s.cls.band(v); b >= 0 {
					st.tops[i*st.nb+b].offer(pick)
				}
				th = min(th, s.topThreshold(st, i))
			}
			st.th[i] = th
			if w.scr != nil {
				w.scr.thLo[i], _ = w.scr.window(th)
			}
		}
	}
}

func sortedCopy(s []int32) []int32 {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
