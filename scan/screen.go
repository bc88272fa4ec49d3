package scan

import (
	"context"
	"math"
	"math/bits"
	"slices"
	"sync/atomic"

	"github.com/hardneg/hardneg/internal/sat"

	"github.com/hardneg/hardneg/internal/kernel"
)

// The screen: most pairs are decided from int16 similarities with a
// rigorous bound (kernel.ScreenBlock, kernel.ScreenBound; SCREEN.md in
// internal/kernel derives the bound), and only the pairs the bound leaves
// in doubt are computed in float32, with the kernel's order of summation,
// so the results are those of the exact scan, bit for bit.
//
// A tile of screened similarities s̃ carries one bound ε for all its
// pairs: the bound of the field-wise maxima of the block's anchors' and
// the tile's candidates' row bounds (kernel.ScreenBound never decreases as
// a field grows). A row the bound cannot cover (RowBound.Err = +Inf) is
// left out of the maxima and every pair with it is re-checked up front.
//
// The tile holds s̃ until a pair is re-checked; then it holds the exact
// similarity, and screenWorker.known says so. Every comparison of a
// similarity with a threshold t goes through the window
// kernel.ScreenWindow(t, ε): s̃ below it means s < t, s̃ at or above its
// top means s ≥ t, and inside it the pair is re-checked first. Every value
// written into a result (a pick's similarity, a SimANS score, a window or
// top sample) is exact. The thresholds are the band edges, the ceilings
// and floors, the near-duplicate floors, the key limit of a random or
// SimANS sample (which needs the exact value of every entrant) and the
// entry threshold of top samples and rank windows.
//
// The band edges are handled inside the vector classifier
// (kernel.Classify16Windows): it gets each band shrunk to the part that
// certainly lies in it, and the windows around the edges, which flag every
// pair in them and count nothing. So a pair is counted by the classifier
// only when its band is certain, and a pair near an edge comes back
// flagged, to be re-checked and counted by its exact value.

// maxScreenBands is the most bands a scan screens without being forced:
// the classifier's cost grows with the bands and, under the screen, with
// up to twice as many windows, and with many bands (inspect's partition of
// the similarity line) it would eat what the screen saves.
const maxScreenBands = 16

// screenPartBytes bounds the quantised corpus rows held at once: a Feed
// quantises its rows in parts of this size and scans every block against
// each part. Tests make it small.
var screenPartBytes = 32 << 20

var forceScreen atomic.Bool

// ForceScreen makes scans screen (on) where they would otherwise compute
// every similarity in float32 because the screen would not pay: the
// pure-Go kernels, or more than a few bands. Options.Exact still turns the
// screen off. It is for tests and benchmarks and never changes a result;
// it applies to scanners made after the call.
func ForceScreen(on bool) { forceScreen.Store(on) }

// Screens says whether a scan with these options screens: unless
// Options.Exact, when the kernels are the assembly ones and there are few
// enough bands (see ForceScreen).
func Screens(opt Options) bool { return screens(opt) }

// ScreenChunkRows is how many corpus rows of cols columns a screened Feed
// quantises at once: a corpus streamed through a screened scan in chunks
// of this size is held no longer than the screen holds its own copy.
func ScreenChunkRows(cols int) int {
	return int(screenPartRows(screenRowBytes(cols)))
}

// screenRowBytes is what one quantised row of cols columns takes: its
// int16 values, padded to even, its step and its RowBound.
func screenRowBytes(cols int) int64 {
	ld := int64(cols) + int64(cols)%2
	return sat.Add(sat.Mul(ld, 2), 24)
}

// screens says whether a scan with these options screens.
func screens(opt Options) bool {
	switch {
	case opt.Exact:
		return false
	case forceScreen.Load():
		return true
	}
	return kernel.Accelerated() && (opt.WindowOnly || len(opt.Bands) <= maxScreenBands)
}

// boundHook, when a test sets it, replaces each tile's bound, so that a
// test can show what a violated bound would do to the results.
var boundHook func(eps float32) float32

// ScreenStats says how much of a scan the screen decided.
type ScreenStats struct {
	// On says whether the scan screened.
	On bool
	// Pairs is the number of anchor–candidate pairs screened, and
	// Rechecked how many of them were computed in float32 as well.
	Pairs, Rechecked int64
}

// ScreenStats returns what the screen did in the Feeds so far.
func (s *Scanner) ScreenStats() ScreenStats {
	return ScreenStats{On: s.screen, Pairs: s.screened.Load(), Rechecked: s.rechecked.Load()}
}

// ScreenMemory is the memory a screened scan of this many anchors holds
// beyond the exact scan's, in bytes: the anchors' quantised rows, one part
// of quantised corpus rows, and each worker's block and bookkeeping.
// It saturates at math.MaxInt64 rather than overflow, so that absurd sizes
// are refused by the memory plan.
func ScreenMemory(anchors, corpusRows, cols, threads int) int64 {
	ld := int64(cols) + int64(cols)%2
	row := screenRowBytes(cols)
	part := min(int64(corpusRows), screenPartRows(row))
	perWorker := sat.Add(sat.Mul(maxAnchorBlock*2, ld), candTile*maxAnchorBlock/8+4*maxAnchorBlock)
	return sat.Add(sat.Add(sat.Mul(int64(anchors), row), sat.Mul(part, row)), sat.Mul(int64(threads), perWorker))
}

// screenPartRows is how many corpus rows a Feed quantises at once, for
// rows of rowBytes each (their int16 values, step and bound): what
// screenPartBytes holds, and at least one tile.
func screenPartRows(rowBytes int64) int64 {
	return max(candTile, int64(screenPartBytes)/max(rowBytes, 1))
}

// feedScreened is Feed under the screen: B's rows are quantised a part at
// a time, and every block is scanned against each part.
func (s *Scanner) feedScreened(ctx context.Context, B *Matrix, first int) error {
	if s.qA == nil {
		qA := kernel.NewScreenRows(len(s.q.Anchors), s.A.Cols)
		if err := s.quantise(ctx, qA, s.A, len(s.q.Anchors), func(i int) int { return int(s.q.Anchors[i]) }); err != nil {
			return err
		}
		s.qA = qA
	}
	part := int(screenPartRows(screenRowBytes(B.Cols)))
	parts := max(1, (B.Rows+part-1)/part)
	// The quantised part is kept for the next Feed: a corpus streamed in
	// chunks would otherwise leave a part's worth of garbage per chunk.
	if s.qB == nil || s.qB.Len() < min(part, B.Rows) {
		s.qB = kernel.NewScreenRows(min(part, B.Rows), B.Cols)
	}
	qB := s.qB
	for c := range parts {
		lo, hi := c*part, min((c+1)*part, B.Rows)
		rows := B.rowRange(lo, hi)
		if err := s.quantise(ctx, qB, rows, rows.Rows, func(i int) int { return i }); err != nil {
			return err
		}
		err := s.forBlocks(ctx, rows, first+lo, qB, func(st *blockState) {
			// Each part reports its share of the block's anchors, so that
			// a Feed reports every anchor once.
			if n := st.m*(c+1)/parts - st.m*c/parts; s.opt.Progress != nil && n > 0 {
				s.opt.Progress(n)
			}
		})
		if err != nil {
			return err
		}
	}
	return s.resolvePending(ctx, B, first)
}

// quantise sets row i of dst, for i < n, to row row(i) of m, quantised
// from its float32 values, on the scanner's threads.
func (s *Scanner) quantise(ctx context.Context, dst *kernel.ScreenRows, m *Matrix, n int, row func(i int) int) error {
	const batch = 64
	var next atomic.Int64
	return parallel(ctx, min(s.threads, (n+batch-1)/batch), func(ctx context.Context) error {
		var buf []float32
		if m.Half != nil {
			buf = make([]float32, m.Cols)
		}
		for {
			lo := int(next.Add(batch) - batch)
			if lo >= n {
				return nil
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			for i := lo; i < min(lo+batch, n); i++ {
				r := row(i)
				dst.Set(i, m.rowsTo32(buf, r, r+1))
			}
		}
	})
}

// screenWorker is a worker's screen: the block's quantised anchors, and
// the current tile's bound, windows and record of exact values.
type screenWorker struct {
	s     *Scanner
	qB    *kernel.ScreenRows // the quantised rows of the worker's B
	sb    kernel.ScreenBlock
	idx   []int
	aMax  kernel.RowBound // field-wise maximum over the block's bounded anchors
	aInf  []int           // the block's anchors the screen cannot bound
	bInf  []int           // the tile's candidates the screen cannot bound
	known []uint64        // per candidate of the tile, a bit per anchor: the tile's value is exact
	words int             // words of known per candidate
	eps   float32         // the tile's bound
	// win holds the windows around the band edges, merged where they
	// overlap, as ascending lo, hi pairs; sedges the bands shrunk to
	// their certain part, the classifier's bands under the screen.
	win, sedges []float32
	// thLo is, per anchor, the bottom of the window around its entry
	// threshold for top samples and the rank window.
	thLo             []float32
	pairs, rechecked int64
	// Scratch of classifyScreened and recheck.
	flagged []flaggedPair
	need    [][2]int
	xs, ys  [][]float32
	out     []float32
}

func newScreenWorker(s *Scanner, qB *kernel.ScreenRows, stride int) *screenWorker {
	words := (stride + 63) / 64
	return &screenWorker{
		s: s, qB: qB, words: words,
		known: make([]uint64, candTile*words),
		thLo:  make([]float32, stride),
	}
}

func (sw *screenWorker) isExact(j, i int) bool {
	return sw.known[j*sw.words+i>>6]&(1<<(i&63)) != 0
}

func (sw *screenWorker) setExact(j, i int) {
	sw.known[j*sw.words+i>>6] |= 1 << (i & 63)
}

// load quantised anchors of the block into the screen kernel and takes
// their bounds.
func (sw *screenWorker) load(st *blockState) {
	sw.idx = sw.idx[:0]
	sw.aInf = sw.aInf[:0]
	sw.aMax = kernel.RowBound{}
	for i := range st.m {
		sw.idx = append(sw.idx, st.lo+i)
		_, b := sw.s.qA.Row(st.lo + i)
		if math.IsInf(float64(b.Err), 1) {
			sw.aInf = append(sw.aInf, i)
			continue
		}
		sw.aMax = maxBound(sw.aMax, b)
	}
	sw.sb.Load(sw.s.qA, sw.idx)
}

func maxBound(a, b kernel.RowBound) kernel.RowBound {
	return kernel.RowBound{Norm: max(a.Norm, b.Norm), QNorm: max(a.QNorm, b.QNorm), Err: max(a.Err, b.Err), Prefix: max(a.Prefix, b.Prefix)}
}

// tile screens the tile of n candidates from row c0 of the worker's B and
// sets up its bound and windows.
func (sw *screenWorker) tile(w *worker, st *blockState, c0, n, stride int) {
	sw.sb.Screen(sw.qB, c0, n, w.tile)
	clear(sw.known[:n*sw.words])
	sw.bInf = sw.bInf[:0]
	var bMax kernel.RowBound
	for j := range n {
		_, b := sw.qB.Row(c0 + j)
		if math.IsInf(float64(b.Err), 1) {
			sw.bInf = append(sw.bInf, j)
			continue
		}
		bMax = maxBound(bMax, b)
	}
	sw.eps = kernel.ScreenBound(sw.aMax, bMax, sw.qB.Dim())
	if boundHook != nil {
		sw.eps = boundHook(sw.eps)
	}
	sw.pairs += int64(n * st.m)
	if !sw.s.opt.WindowOnly {
		sw.bandWindows()
	}
	if st.tops != nil || st.windows != nil {
		for i := range st.m {
			sw.thLo[i], _ = sw.window(st.th[i])
		}
	}
}

// bandWindows sets win and sedges for the tile's bound. The windows are
// monotone in the edge, and no edge lies inside a band, so the shrunk
// bands and the windows never overlap, as Classify16Windows requires.
func (sw *screenWorker) bandWindows() {
	cls := &sw.s.cls
	sw.win, sw.sedges = sw.win[:0], sw.sedges[:0]
	for b := range cls.lo {
		var w [2][2]float32 // the windows of the band's lower and upper edges
		for i, e := range [2]float32{cls.lo[b], cls.hi[b]} {
			lo, hi := sw.window(e)
			w[i] = [2]float32{lo, hi}
			if math.IsInf(float64(e), 0) {
				continue // nothing is near an infinite edge
			}
			if k := len(sw.win); k > 0 && lo <= sw.win[k-1] {
				sw.win[k-1] = max(sw.win[k-1], hi)
				continue
			}
			sw.win = append(sw.win, lo, hi)
		}
		// The band's certain part: above its lower edge's window, below
		// its upper edge's.
		sw.sedges = append(sw.sedges, w[0][1], w[1][0])
	}
}

// window returns the window around threshold t for the tile's bound: a
// screened value below lo means the similarity is below t, one at or above
// hi that it is at least t. An infinite t needs no window.
func (sw *screenWorker) window(t float32) (lo, hi float32) {
	if math.IsInf(float64(t), 0) {
		return t, t
	}
	return kernel.ScreenWindow(t, sw.eps)
}

// inWindow reports whether v lies in a window around a band edge.
func (sw *screenWorker) inWindow(v float32) bool {
	for k := 0; k < len(sw.win); k += 2 {
		if v < sw.win[k] {
			return false
		}
		if v < sw.win[k+1] {
			return true
		}
	}
	return false
}

// resolveUnbounded re-checks every pair of the tile with a row the screen
// cannot bound.
func (sw *screenWorker) resolveUnbounded(w *worker, st *blockState, n, stride int) {
	for _, i := range sw.aInf {
		for j := range n {
			w.exact(j, i, stride)
		}
	}
	for _, j := range sw.bInf {
		for i := range st.m {
			w.exact(j, i, stride)
		}
	}
}

// flaggedPair is a pair Classify16Windows flagged under the screen; win says it
// was in a window around a band edge, so not counted.
type flaggedPair struct {
	j, i, lane int
	key        uint32 // the pair's sampling key
	win        bool
}

// pendingSim stands for the similarity of a random sample's pick until
// resolvePending computes it: a random sample orders its picks by key and
// row alone, so only the picks that survive to the end of a Feed need
// their exact similarity. No real pick holds a NaN: a NaN similarity is in
// no band.
var pendingSim = float32(math.NaN())

// classifyScreened is classify under the screen, for every panel of the
// tile at once. Classify16Windows counts the pairs whose band is certain
// and flags, besides the usual sample entrants, every pair in a window
// around a band edge. Then the flagged pairs near an edge and the SimANS entrants
// whose score could be low enough to enter are re-checked together,
// across the whole tile; then the pairs near an edge are counted by their
// exact value and the entrants offered, panel by panel in candidate order.
// A random sample's entrant whose band is certain enters with a pending
// similarity (see pendingSim).
func (w *worker) classifyScreened(st *blockState, row0, n, stride int) {
	s, sw := w.s, w.scr
	simans := s.opt.Sampling == SimANS
	sw.flagged = sw.flagged[:0]
	sw.need = sw.need[:0]
	for p := range st.panels {
		ps := &st.panels[p]
		if ps.valid == 0 {
			continue
		}
		kernel.Classify16Windows(n, w.tile[p*kernel.PanelRows:], stride, w.h, &ps.seeds, sw.sedges, sw.win, ps.counts, ps.limits, w.flags)
		for j, f := range w.flags[:n] {
			f &= ps.valid
			for f != 0 {
				lane := bits.TrailingZeros16(f)
				f &= f - 1
				i := p*kernel.PanelRows + lane
				v := w.tile[j*stride+i]
				win := sw.inWindow(v)
				key := kernel.Fmix32(ps.seeds[lane] ^ w.h[j])
				sw.flagged = append(sw.flagged, flaggedPair{j: j, i: i, lane: lane, key: key, win: win})
				if !sw.isExact(j, i) && (win || simans && w.mayEnterSimANS(st, i, v, key)) {
					sw.need = append(sw.need, [2]int{j, i})
				}
			}
		}
	}
	w.recheck(sw.need, stride)
	nb := st.nb
	for _, fp := range sw.flagged {
		j, i, lane, key := fp.j, fp.i, fp.lane, fp.key
		ps := &st.panels[i/kernel.PanelRows]
		v := w.tile[j*stride+i]
		var b int
		if fp.win {
			if b = s.cls.band(v); b < 0 { // v is exact
				continue
			}
			ps.counts[b*kernel.PanelRows+lane]++
			if st.samples == nil || key > ps.limits[b*kernel.PanelRows+lane] {
				continue
			}
		} else {
			if st.samples == nil || simans && !sw.isExact(j, i) {
				continue // a SimANS pair left screened cannot enter
			}
			// Certain, as v is not near an edge; only a violated bound
			// (a test's) could take a re-checked v out of every band.
			if b = s.cls.band(v); b < 0 {
				continue
			}
		}
		acc := &st.samples[i*nb+b]
		pick := Pick{Row: int32(row0 + j), Sim: v, Key: key}
		score := 0.0
		if simans {
			score = SimANSScore(pick.Key, v, s.q.Centers[st.lo+i], s.opt.SimANSA)
		} else if !sw.isExact(j, i) {
			pick.Sim = pendingSim
		}
		if acc.below(score, pick) {
			acc.offer(score, pick, simans)
			ps.limits[b*kernel.PanelRows+lane] = acc.limit
		}
	}
}

// mayEnterSimANS reports whether anchor i's pair whose band is certain,
// whose screened similarity is v and whose sampling key is key could enter
// its band's SimANS sample: whether the lowest score any similarity within
// the bound of v gives is below the sample's last. The margin covers the
// score's float64 rounding.
func (w *worker) mayEnterSimANS(st *blockState, i int, v float32, key uint32) bool {
	s := w.s
	acc := &st.samples[i*st.nb+s.cls.band(v)]
	if len(acc.picks) < acc.keep {
		return true
	}
	if acc.keep == 0 {
		return false
	}
	d := max(0, math.Abs(float64(v)-s.q.Centers[st.lo+i])-float64(w.scr.eps))
	low := math.Log(keyExp(key)) + s.opt.SimANSA*d*d
	last := acc.scores[len(acc.scores)-1]
	// Written so that a score that overflowed (an infinite or NaN low or
	// last, as a huge --simans-a or --simans-b gives) may always enter: the
	// exact path orders such scores by key and row.
	return !(low-1e-9*(1+math.Abs(low)) > last)
}

// recheck computes the exact similarities of the tile's pairs (j, i)
// together, with kernel.DotPairs (Dot's bits, eight pairs at a time).
func (w *worker) recheck(pairs [][2]int, stride int) {
	sw := w.scr
	sw.xs, sw.ys = sw.xs[:0], sw.ys[:0]
	for _, p := range pairs {
		sw.xs = append(sw.xs, w.rows[p[1]])
		sw.ys = append(sw.ys, w.candRow(p[0]))
	}
	sw.out = slices.Grow(sw.out[:0], len(pairs))[:len(pairs)]
	kernel.DotPairs(sw.xs, sw.ys, sw.out)
	for k, p := range pairs {
		w.tile[p[0]*stride+p[1]] = sw.out[k]
		sw.setExact(p[0], p[1])
	}
	sw.rechecked += int64(len(pairs))
}

// resolvePending computes the similarity of every pick a random sample
// took with a pending similarity from B, the rows Feed just scanned.
func (s *Scanner) resolvePending(ctx context.Context, B *Matrix, first int) error {
	if s.opt.Sampling != Random || s.opt.WindowOnly {
		return nil
	}
	return s.eachBlock(ctx, func() (blockFunc, func()) {
		var (
			arow, brows []float32
			xs, ys      [][]float32
			out         []float32
			picks       []*Pick
			resolved    int64
		)
		if s.A.Half != nil {
			arow = make([]float32, s.A.Cols)
		}
		stop := func() { s.rechecked.Add(resolved) }
		return func(_ context.Context, st *blockState) error {
			for i := range st.m {
				picks = picks[:0]
				for b := range st.nb {
					acc := &st.samples[i*st.nb+b]
					for k := range acc.picks {
						if math.IsNaN(float64(acc.picks[k].Sim)) {
							picks = append(picks, &acc.picks[k])
						}
					}
				}
				if len(picks) == 0 {
					continue
				}
				a := int(s.q.Anchors[st.lo+i])
				x := s.A.rowsTo32(arow, a, a+1)
				xs, ys = xs[:0], ys[:0]
				if B.Half != nil {
					brows = slices.Grow(brows[:0], len(picks)*B.Cols)[:len(picks)*B.Cols]
				}
				for k, p := range picks {
					r := int(p.Row) - first
					var buf []float32
					if brows != nil {
						buf = brows[k*B.Cols:]
					}
					xs = append(xs, x)
					ys = append(ys, B.rowsTo32(buf, r, r+1))
				}
				out = slices.Grow(out[:0], len(picks))[:len(picks)]
				kernel.DotPairs(xs, ys, out)
				for k, p := range picks {
					p.Sim = out[k]
				}
				resolved += int64(len(picks))
			}
			return nil
		}, stop
	})
}
