package inspect

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/hardneg/hardneg/choose"
	"github.com/hardneg/hardneg/mine"
	"github.com/hardneg/hardneg/scan"
	"github.com/hardneg/hardneg/source"
)

// Sentinel errors, tested with errors.Is.
var (
	// ErrConfig reports options that cannot be honoured.
	ErrConfig = errors.New("invalid inspect options")
)

// DefaultSample is the number of anchors looked at when Options.Sample is 0.
const DefaultSample = 200

// Band is a similarity band, as mining uses it.
type Band = choose.Band

// Options say what to inspect beyond the run's settings.
type Options struct {
	// Sample is how many anchors to look at (0: DefaultSample). They are the
	// anchors with the smallest seeds mine.AnchorSeed(Seed, id) gives, so a
	// seed picks the same anchors whatever the order of the files.
	Sample int
}

// Run inspects the problem the settings describe: the same inputs, bands,
// guards and limits a run with them would use, on a sample of its anchors.
func Run(ctx context.Context, s mine.Settings, opt Options) (*Report, error) {
	if opt.Sample == 0 {
		opt.Sample = DefaultSample
	}
	if opt.Sample < 0 {
		return nil, fmt.Errorf("%w: sample %d must be positive", ErrConfig, opt.Sample)
	}
	// The sample is drawn from the anchors' ids alone, which the read gives;
	// Prepare then plans memory for the sample, loads and guards.
	p, err := mine.Prepare(ctx, s, func(prob *source.Problem) []int {
		return pickSample(prob.Queries.Hashes(), prob.Anchors, s.Seed, opt.Sample)
	}, mine.Hooks{})
	if err != nil {
		return nil, err
	}
	defer p.Close()
	prob := p.Problem
	sel := p.Sel
	bands := s.Bands
	if s.NoBands {
		bands = []Band{choose.AllBand()}
	}

	// One scan counts the sample's candidates over the finest partition of
	// the similarity line by the histogram's bins and the bands' edges;
	// bins and pools are sums of its cells. A second scan does the same
	// under the score limits.
	cells := partition(bands)
	counting := func(q *scan.Query, o *scan.Options) {
		o.Bands, o.Keep, o.Window, o.WindowOnly, o.Sampling = cells, 0, 0, false, scan.Random
	}
	limited, err := p.Scan(ctx, counting)
	if err != nil {
		return nil, err
	}
	free := limited
	if s.Limits.On() {
		if free, err = p.Scan(ctx, func(q *scan.Query, o *scan.Options) {
			counting(q, o)
			q.Ceilings, q.Floors = nil, nil
		}); err != nil {
			return nil, err
		}
	}

	r := &Report{
		Corpus: prob.Corpus.Len(), Dim: p.Dim(), Anchors: len(prob.Anchors), Seed: s.Seed,
		Negatives: s.NegativesPerAnchor, Bands: slices.Clone(bands), Same: prob.Same(),
		Candidates: newHistogram(), Positives: newHistogram(),
	}
	inBand := make([]int64, len(bands))
	var positives int64
	for i, a := range sel {
		anchor := prob.Anchors[a]
		ar := AnchorReport{
			ID: prob.Queries.ID(anchor.Query), Row: anchor.Query, Positives: len(anchor.Positives),
			LowestPositive: lowest(p.PositiveSims[a]),
			Pools:          pools(cells, free[i].Counts, bands),
		}
		for c, n := range free[i].Counts {
			r.Candidates.Counts[binOf64(cells[c].Lo)] += n
		}
		for _, ps := range p.PositiveSims[a] {
			r.Positives.Counts[binOf(ps)]++
			if b := scan.BandOf(choose.ScanBands(bands), float64(ps)); b >= 0 {
				inBand[b]++
			}
			positives++
		}
		if s.Limits.On() {
			ar.PoolsUnderLimits = pools(cells, limited[i].Counts, bands)
		}
		r.NearDuplicates += free[i].NearDuplicates
		r.Sample = append(r.Sample, ar)
	}
	for _, n := range inBand {
		share := 0.0
		if positives > 0 {
			share = float64(n) / float64(positives)
		}
		r.PositivesInBands = append(r.PositivesInBands, share)
	}
	r.summarise(s)
	return r, nil
}

func lowest(sims []float32) float32 {
	low := float32(math.Inf(1))
	for _, s := range sims {
		low = min(low, s)
	}
	return low
}

// partition cuts the similarity line into cells at every bin edge and
// every band edge, from below any similarity to above any: each bin and
// each band is a union of cells.
func partition(bands []Band) []scan.Band {
	edges := []float64{-2, 2}
	for i := 0; i <= bins; i++ {
		edges = append(edges, BinEdge(i))
	}
	for _, b := range bands {
		edges = append(edges, b.Lo, b.Hi)
	}
	slices.Sort(edges)
	edges = slices.Compact(edges)
	cells := make([]scan.Band, len(edges)-1)
	for i := range cells {
		cells[i] = scan.Band{Lo: edges[i], Hi: edges[i+1]}
	}
	return cells
}

// pools sums the cells' counts into the bands.
func pools(cells []scan.Band, counts []int64, bands []Band) []int64 {
	out := make([]int64, len(bands))
	for c, n := range counts {
		if b := scan.BandOf(choose.ScanBands(bands), cells[c].Lo); b >= 0 {
			out[b] += n
		}
	}
	return out
}

// pickSample returns the indices of the k anchors with the smallest
// (seed key, first-seen index), in first-seen order.
func pickSample(hashes []uint64, anchors []source.Anchor, seed uint64, k int) []int {
	idx := make([]int, len(anchors))
	for i := range idx {
		idx[i] = i
	}
	if k >= len(anchors) {
		return idx
	}
	keys := make([]uint64, len(anchors))
	for i, a := range anchors {
		keys[i] = mine.AnchorSeed(seed, hashes[a.Query])
	}
	slices.SortFunc(idx, func(x, y int) int {
		return cmp.Or(cmp.Compare(keys[x], keys[y]), cmp.Compare(x, y))
	})
	idx = idx[:k]
	slices.Sort(idx)
	return idx
}
