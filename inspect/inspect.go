package inspect

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"runtime"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/hardneg/hardneg/internal/kernel"
	"github.com/hardneg/hardneg/npy"
	"github.com/hardneg/hardneg/scan"
	"github.com/hardneg/hardneg/source"
)

// Sentinel errors, tested with errors.Is.
var (
	// ErrInput reports an input file that cannot be used; the message names
	// the file and, where it applies, the line or row.
	ErrInput = errors.New("invalid input")
	// ErrConfig reports options that cannot be honoured.
	ErrConfig = errors.New("invalid inspect options")
)

// DefaultSample is the number of anchors looked at when Options.Sample is 0.
const DefaultSample = 200

// Band is a half-open similarity range [Lo, Hi) and the share of an anchor's
// negatives meant to come from it.
type Band struct {
	Name          string
	Lo, Hi, Ratio float64
}

// DefaultBands are the bands mine uses by default.
func DefaultBands() []Band {
	return []Band{
		{Name: "easy", Lo: 0.3, Hi: 0.5, Ratio: 0.33},
		{Name: "medium", Lo: 0.5, Hi: 0.7, Ratio: 0.33},
		{Name: "hard", Lo: 0.7, Hi: 0.9, Ratio: 0.34},
	}
}

// Options say what to inspect.
type Options struct {
	TermsPath, PairsPath, EmbeddingsPath string
	// Bands must be ordered and must not overlap.
	Bands []Band
	// Negatives is the number of negatives per anchor the run would take;
	// a band's quota for one anchor is Negatives × Ratio.
	Negatives int
	// Sample is how many anchors to look at (0: DefaultSample). They are the
	// anchors with the smallest keys Mix(Mix(Seed) ^ FNV-1a(term)), the
	// per-anchor seed mine.AnchorSeed gives, so a seed picks the same anchors
	// whatever the order of the pairs file.
	Sample int
	Seed   uint64
	// MaxNegRatio and MaxNegMargin describe a positive-aware ceiling under
	// consideration: with p the anchor's lowest positive similarity, a
	// candidate is dropped when its similarity exceeds MaxNegRatio × p
	// (when MaxNegRatio > 0) or p − MaxNegMargin (when MaxNegMargin > 0).
	// Zero turns either test off.
	MaxNegRatio, MaxNegMargin float64
	// Threads is the number of workers; 0 means all cores. It never changes
	// the report.
	Threads int
}

func (o Options) ceilingOn() bool { return o.MaxNegRatio > 0 || o.MaxNegMargin > 0 }

func (o *Options) validate() error {
	if o.Sample == 0 {
		o.Sample = DefaultSample
	}
	switch {
	case o.Sample < 0:
		return fmt.Errorf("%w: sample %d must be positive", ErrConfig, o.Sample)
	case o.Negatives < 1:
		return fmt.Errorf("%w: negatives per anchor %d must be at least 1", ErrConfig, o.Negatives)
	case o.Threads < 0:
		return fmt.Errorf("%w: threads %d must not be negative", ErrConfig, o.Threads)
	case len(o.Bands) == 0:
		return fmt.Errorf("%w: no bands", ErrConfig)
	}
	for _, v := range []struct {
		name string
		x    float64
	}{{"max-neg-ratio", o.MaxNegRatio}, {"max-neg-margin", o.MaxNegMargin}} {
		if v.x < 0 || math.IsNaN(v.x) || math.IsInf(v.x, 0) {
			return fmt.Errorf("%w: %s %v must be a finite number, 0 or more", ErrConfig, v.name, v.x)
		}
	}
	for i, b := range o.Bands {
		if !(b.Lo < b.Hi) || math.IsInf(b.Lo, 0) || math.IsInf(b.Hi, 0) {
			return fmt.Errorf("%w: band %s is [%v, %v); want finite LO < HI", ErrConfig, b.Name, b.Lo, b.Hi)
		}
		if i > 0 && b.Lo < o.Bands[i-1].Hi {
			return fmt.Errorf("%w: band %s [%v, %v) overlaps or comes before band %s [%v, %v)",
				ErrConfig, b.Name, b.Lo, b.Hi, o.Bands[i-1].Name, o.Bands[i-1].Lo, o.Bands[i-1].Hi)
		}
		if !(b.Ratio >= 0) || math.IsInf(b.Ratio, 0) {
			return fmt.Errorf("%w: band %s has ratio %v; want a finite number, 0 or more", ErrConfig, b.Name, b.Ratio)
		}
	}
	return nil
}

// chunkRows is how many candidate rows a worker reads and normalises at
// once; candTile of them at a time then pass the anchor block, which keeps
// the tile in L2 while every anchor panel goes over it.
const (
	chunkRows = 512
	candTile  = 48
)

// sampled is one anchor under inspection.
type sampled struct {
	anchor  source.Anchor
	exclude []int32 // the anchor and its positives, sorted
	lowPos  float32 // the lowest positive similarity
	ceiling float64 // candidates above it are dropped; +Inf when off
}

// Run inspects the data set described by opt.
func Run(ctx context.Context, opt Options) (*Report, error) {
	if err := opt.validate(); err != nil {
		return nil, err
	}
	threads := opt.Threads
	if threads == 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	voc, err := source.ReadTerms(opt.TermsPath)
	if err != nil {
		return nil, inputErr(err)
	}
	f, err := npy.Open(opt.EmbeddingsPath)
	if err != nil {
		return nil, inputErr(err)
	}
	defer f.Close()
	if f.Rows() != voc.Len() {
		return nil, fmt.Errorf("%w: %s has %d rows but %s lists %d terms; row i must be the embedding of term i",
			ErrInput, opt.EmbeddingsPath, f.Rows(), opt.TermsPath, voc.Len())
	}
	anchors, _, err := source.ReadPairs(opt.PairsPath, voc)
	if err != nil {
		return nil, inputErr(err)
	}

	sel := pickSample(anchors, voc.IDs, opt.Seed, opt.Sample)
	rows, cols := f.Rows(), f.Cols()

	// The sampled anchors and their positives, normalised, in a small
	// matrix of their own: the anchor block and the positive similarities
	// come from it.
	own := map[int32]int{}
	var ownRows []int32
	for _, a := range sel {
		for _, r := range append([]int32{a.Query}, a.Positives...) {
			if _, ok := own[r]; !ok {
				own[r] = len(ownRows)
				ownRows = append(ownRows, r)
			}
		}
	}
	sm := &scan.Matrix{Rows: len(ownRows), Cols: cols, Data: make([]float32, len(ownRows)*cols)}
	for i, r := range ownRows {
		row := sm.Row(i)
		f.ReadFloat32(row, int(r))
		if err := scan.Normalize(row); err != nil {
			return nil, rowErr(f.Path(), int(r), voc.IDs[r], err)
		}
	}
	smp := make([]sampled, len(sel))
	blockRows := make([][]float32, len(sel))
	for i, a := range sel {
		s := sampled{anchor: a, exclude: append([]int32{a.Query}, a.Positives...), lowPos: float32(math.Inf(1))}
		slices.Sort(s.exclude)
		for _, p := range a.Positives {
			s.lowPos = min(s.lowPos, scan.Similarity(sm, own[a.Query], sm, own[p]))
		}
		s.ceiling = ceiling(float64(s.lowPos), opt.MaxNegRatio, opt.MaxNegMargin)
		smp[i] = s
		blockRows[i] = sm.Row(own[a.Query])
	}

	nb := len(opt.Bands)
	lo32 := make([]float32, nb)
	hi32 := make([]float32, nb)
	for b, band := range opt.Bands {
		lo32[b], hi32[b] = scan.Threshold(band.Lo), scan.Threshold(band.Hi)
	}

	// Workers take chunks of candidate rows and add integer counts into
	// their own accumulator; the sum does not depend on who took which
	// chunk. Each chunk records its own first bad row, so the error
	// reported is the first bad row of the file whatever the scheduling.
	nChunks := (rows + chunkRows - 1) / chunkRows
	chunkErrs := make([]error, nChunks)
	workers := max(1, min(threads, nChunks))
	pool := make(chan *worker, workers)
	all := make([]*worker, workers)
	for w := range all {
		all[w] = newWorker(blockRows, cols, nb)
		pool <- all[w]
	}
	doChunk := func(ctx context.Context, c int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		w := <-pool
		defer func() { pool <- w }()
		lo := c * chunkRows
		hi := min(lo+chunkRows, rows)
		buf := w.buf[:(hi-lo)*cols]
		f.ReadFloat32(buf, lo)
		f.Release(lo, hi)
		for r := lo; r < hi; r++ {
			if err := scan.Normalize(buf[(r-lo)*cols : (r-lo+1)*cols]); err != nil {
				chunkErrs[c] = rowErr(f.Path(), r, voc.IDs[r], err)
				return nil
			}
		}
		w.chunk(buf, lo, hi, smp, lo32, hi32)
		return nil
	}
	if workers == 1 {
		for c := range nChunks {
			if err := doChunk(ctx, c); err != nil {
				return nil, err
			}
		}
	} else {
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(workers)
		for c := range nChunks {
			g.Go(func() error { return doChunk(gctx, c) })
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, err := range chunkErrs {
		if err != nil {
			return nil, err
		}
	}

	// Sum the workers' counts.
	sum := all[0]
	for _, w := range all[1:] {
		for i := range sum.hist {
			sum.hist[i] += w.hist[i]
		}
		for i := range sum.pools {
			sum.pools[i] += w.pools[i]
			sum.cut[i] += w.cut[i]
		}
	}
	r := &Report{
		Terms: rows, Dim: cols, Anchors: len(anchors), Seed: opt.Seed,
		Negatives: opt.Negatives, Bands: slices.Clone(opt.Bands),
		Candidates: newHistogram(), Positives: newHistogram(),
	}
	copy(r.Candidates.Counts, sum.hist[:])
	for i, s := range smp {
		a := AnchorReport{
			Term: voc.IDs[s.anchor.Query], Row: s.anchor.Query, Positives: len(s.anchor.Positives),
			LowestPositive: s.lowPos,
			Pools:          slices.Clone(sum.pools[i*nb : (i+1)*nb]),
		}
		for _, p := range s.anchor.Positives {
			r.Positives.Counts[binOf(scan.Similarity(sm, own[s.anchor.Query], sm, own[p]))]++
		}
		if opt.ceilingOn() {
			a.Ceiling = s.ceiling
			a.PoolsUnderCeiling = make([]int64, nb)
			for b := range nb {
				a.PoolsUnderCeiling[b] = sum.pools[i*nb+b] - sum.cut[i*nb+b]
			}
		}
		r.Sample = append(r.Sample, a)
	}
	r.summarise(opt)
	return r, nil
}

// worker owns the scratch buffers and counts of one goroutine.
type worker struct {
	kb    kernel.Block
	buf   []float32 // one chunk of candidate rows
	tile  []float32 // candTile × stride similarities, candidate-major
	cur   []int     // per anchor: next exclusion to pass in the chunk
	hist  [bins]int64
	pools []int64 // [anchor][band]
	cut   []int64 // [anchor][band]: pool members above the anchor's ceiling
}

func newWorker(anchorRows [][]float32, cols, nb int) *worker {
	w := &worker{
		buf:   make([]float32, chunkRows*cols),
		cur:   make([]int, len(anchorRows)),
		pools: make([]int64, len(anchorRows)*nb),
		cut:   make([]int64, len(anchorRows)*nb),
	}
	w.kb.Load(anchorRows, cols)
	w.tile = make([]float32, candTile*w.kb.Stride())
	return w
}

// chunk counts the similarities of every sampled anchor to the normalised
// candidate rows [lo, hi) held in buf.
func (w *worker) chunk(buf []float32, lo, hi int, smp []sampled, lo32, hi32 []float32) {
	cols := len(buf) / (hi - lo)
	stride := w.kb.Stride()
	nb := len(lo32)
	for i, s := range smp {
		w.cur[i], _ = slices.BinarySearch(s.exclude, int32(lo))
	}
	for t0 := lo; t0 < hi; t0 += candTile {
		n := min(candTile, hi-t0)
		w.kb.Dots(buf[(t0-lo)*cols:], cols, n, w.tile)
		for i, s := range smp {
			for w.cur[i] < len(s.exclude) && int(s.exclude[w.cur[i]]) < t0+n {
				w.tile[(int(s.exclude[w.cur[i]])-t0)*stride+i] = float32(math.NaN())
				w.cur[i]++
			}
		}
		for j := range n {
			sims := w.tile[j*stride : j*stride+len(smp)]
			for i, sim := range sims {
				if sim != sim { // excluded
					continue
				}
				w.hist[binOf(sim)]++
				for b := range nb {
					if sim < hi32[b] {
						if sim >= lo32[b] {
							w.pools[i*nb+b]++
							if float64(sim) > smp[i].ceiling {
								w.cut[i*nb+b]++
							}
						}
						break
					}
				}
			}
		}
	}
}

// ceiling is the similarity above which a candidate is dropped, given the
// anchor's lowest positive similarity p; +Inf when both tests are off.
func ceiling(p, ratio, margin float64) float64 {
	c := math.Inf(1)
	if ratio > 0 {
		c = min(c, ratio*p)
	}
	if margin > 0 {
		c = min(c, p-margin)
	}
	return c
}

// pickSample returns the k anchors with the smallest (key, first-seen
// index), in first-seen order.
func pickSample(anchors []source.Anchor, terms []string, seed uint64, k int) []source.Anchor {
	if k >= len(anchors) {
		return anchors
	}
	type keyed struct {
		key uint64
		idx int
	}
	keys := make([]keyed, len(anchors))
	s := scan.Mix(seed)
	for i, a := range anchors {
		keys[i] = keyed{scan.Mix(s ^ termID(terms[a.Query])), i}
	}
	slices.SortFunc(keys, func(x, y keyed) int {
		return cmp.Or(cmp.Compare(x.key, y.key), cmp.Compare(x.idx, y.idx))
	})
	idx := make([]int, k)
	for i := range idx {
		idx[i] = keys[i].idx
	}
	slices.Sort(idx)
	out := make([]source.Anchor, k)
	for i, j := range idx {
		out[i] = anchors[j]
	}
	return out
}

// termID is FNV-1a of the term's UTF-8 bytes, the identity mine keys a
// term's random choices by.
func termID(t string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(t))
	return h.Sum64()
}

func rowErr(path string, row int, term string, err error) error {
	return fmt.Errorf("%w: %s: row %d (term %q): %w", ErrInput, path, row, term, err)
}

// inputErr marks an error from a reader as bad input.
func inputErr(err error) error {
	return fmt.Errorf("%w: %w", ErrInput, err)
}
