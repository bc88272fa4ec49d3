package mine

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"time"

	"github.com/hardneg/hardneg/choose"
	"github.com/hardneg/hardneg/guard"
	"github.com/hardneg/hardneg/scan"
	"github.com/hardneg/hardneg/source"
)

// Guard counters of an anchor: how many candidates each rule excluded
// beyond the positives and the anchor itself.
const (
	guardGraph = iota
	guardNormalized
	guardContains
	guardEditDistance
	nGuards
)

// scanned is the one value between the scan and the finishing phase: for
// every anchor, in the problem's order, what the scan kept and what the
// guards excluded, plus what the stats file records about the inputs. Run
// computes it; Merge reads it back from shard files.
type scanned struct {
	problem *source.Problem
	results []scan.Result // one per anchor
	// posSims holds each anchor's similarity to each of its positives, in
	// the order of its positives.
	posSims [][]float32
	// guards holds each anchor's guard counters.
	guards [][nGuards]uint32
	// comp labels the positives graph's vertices with their components.
	comp []int32
	// exclusions are the guards' lists, when the scan ran here (the dump
	// needs them).
	exclusions *guard.Exclusions
	pairs      *source.PairStats
	qrels      *source.QrelStats
	// inputs returns the inputs' provenance; it may wait for the hashes.
	inputs func() (InputStats, error)
}

// lowestPositive is an anchor's least similar positive: s⁺ of the margins
// and of SimANS.
func lowestPositive(sims []float32) float32 {
	low := float32(math.Inf(1))
	for _, s := range sims {
		low = min(low, s)
	}
	return low
}

// Prepared is a problem read, loaded and guarded, ready to scan: what a run
// does before its scan. Run, RunShard and inspect start from it.
type Prepared struct {
	in       *inputs
	Problem  *source.Problem
	Settings Settings
	// Queries and Corpus are the unit-normalised matrices; the same when
	// the sides are.
	Queries, Corpus *scan.Matrix
	// Comp labels the positives graph's vertices with their components.
	Comp []int32
	// Exclusions are the guards' lists.
	Exclusions *guard.Exclusions
	// PositiveSims holds each anchor's similarity to each of its positives.
	PositiveSims [][]float32
}

// Close releases the mapped input files.
func (p *Prepared) Close() { p.in.close() }

// Prepare reads the inputs, checks that the scan of the anchors in sel
// (nil: all) fits in memory, loads the embeddings and applies the guards.
func Prepare(ctx context.Context, s Settings, sel []int, hooks Hooks) (*Prepared, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	in, err := readInputs(s, hooks)
	if err != nil {
		return nil, err
	}
	p, err := prepare(ctx, s, in, sel, threadsOf(s), hooks, newTimer())
	if err != nil {
		in.close()
		return nil, err
	}
	return p, nil
}

func threadsOf(s Settings) int {
	if s.Threads > 0 {
		return s.Threads
	}
	return runtime.GOMAXPROCS(0)
}

// prepare is Prepare after the read.
func prepare(ctx context.Context, s Settings, in *inputs, sel []int, threads int, hooks Hooks, tm *timer) (*Prepared, error) {
	p := in.problem
	selAnchors := p.Anchors
	if sel != nil {
		selAnchors = make([]source.Anchor, len(sel))
		for i, a := range sel {
			selAnchors[i] = p.Anchors[a]
		}
	}
	need := EstimateMemory(in.queryEmb.Rows(), in.corpusEmb.Rows(), in.corpusEmb.Cols(), !p.Same(), selAnchors, s, threads)
	limit, limitFrom := s.MaxMemory, "--max-memory"
	if limit == 0 {
		limit, limitFrom = availableMemory(), "available memory"
	}
	hooks.logf("memory: about %s needed for %d x %d embeddings stored as %s and about %d triplets",
		FormatBytes(need), in.corpusEmb.Rows(), in.corpusEmb.Cols(), s.Store, estimateTriplets(selAnchors, s.NegativesPerAnchor))
	if limit > 0 && need > limit {
		hint := "a machine with more memory"
		if s.Store == StoreF32 {
			hint = "--store f16 (half the memory for the matrix), or " + hint
		}
		return nil, fmt.Errorf("%w: the run needs about %s but %s is %s; try %s",
			ErrMemory, FormatBytes(need), limitFrom, FormatBytes(limit), hint)
	}

	loadStart := time.Now()
	corpus, err := in.corpusEmb.Load(ctx, s.Store == StoreF16, threads)
	if err != nil {
		return nil, inputErr(err)
	}
	queries := corpus
	if in.queryEmb != in.corpusEmb {
		if queries, err = in.queryEmb.Load(ctx, s.Store == StoreF16, threads); err != nil {
			return nil, inputErr(err)
		}
	}
	tm.stage("load_embeddings", loadStart)
	hooks.logf("normalised %d x %d %s embeddings (stored as %s) in %s", corpus.Rows, corpus.Cols, in.corpusEmb.DType(), s.Store, since(tm.start))

	comp, err := guard.Components(p)
	if err != nil {
		return nil, err
	}
	ex, err := guard.Exclude(p, s.Exclude, comp, s.Lexical, threads)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	if st := ruleStats(ex.Graph, p.Corpus.Len()); st.Over1Percent > 0 {
		hooks.logf("warning: --exclude %s removes more than 1%% of the candidates of %d anchors (up to %d for one): it also throws away legitimate hard negatives; hops:K keeps them",
			s.Exclude, st.Over1Percent, st.Max)
	}
	sims := make([][]float32, len(p.Anchors))
	for a, anchor := range p.Anchors {
		sims[a] = make([]float32, len(anchor.Positives))
		for j, c := range anchor.Positives {
			sims[a][j] = scan.Similarity(queries, int(anchor.Query), corpus, int(c))
		}
	}
	return &Prepared{
		in: in, Problem: p, Settings: s, Queries: queries, Corpus: corpus,
		Comp: comp, Exclusions: ex, PositiveSims: sims,
	}, nil
}

// ScanQuery is the scan's query and options for the anchors in sel
// (indices into the problem's anchors), exactly as the run scans them.
func (p *Prepared) ScanQuery(sel []int) (scan.Query, scan.Options) {
	return scanQuery(p.Settings, p.Problem, sel, p.PositiveSims, p.Exclusions)
}

// scanAnchors prepares the problem and scans the anchors listed in sel
// (indices into the problem's anchors; nil: all of them). It returns the
// scanned value with one entry per anchor of the problem; anchors outside
// sel are left empty.
func scanAnchors(ctx context.Context, s Settings, in *inputs, sel []int, threads int, hooks Hooks, tm *timer) (*scanned, error) {
	pr, err := prepare(ctx, s, in, sel, threads, hooks, tm)
	if err != nil {
		return nil, err
	}
	p := pr.Problem
	if sel == nil {
		sel = make([]int, len(p.Anchors))
		for i := range sel {
			sel[i] = i
		}
	}
	sc := &scanned{
		problem: p, results: make([]scan.Result, len(p.Anchors)), posSims: pr.PositiveSims,
		guards: make([][nGuards]uint32, len(p.Anchors)), comp: pr.Comp, exclusions: pr.Exclusions, pairs: in.pairs, qrels: in.qrels,
		inputs: in.inputStats,
	}
	for _, a := range sel {
		sc.guards[a] = guardCounters(pr.Exclusions, a)
	}
	q, opt := pr.ScanQuery(sel)
	opt.Threads, opt.Progress = threads, hooks.ScanProgress
	if hooks.ScanStart != nil {
		hooks.ScanStart(len(sel))
	}
	scanStart := time.Now()
	var results []scan.Result
	if len(sel) > 0 {
		results, err = scan.Scan(ctx, pr.Queries, pr.Corpus, q, opt)
	}
	if hooks.ScanDone != nil {
		hooks.ScanDone()
	}
	if err != nil {
		return nil, err
	}
	for i, a := range sel {
		sc.results[a] = results[i]
	}
	hooks.logf("scanned %d anchors x %d candidates in %s", len(sel), pr.Corpus.Rows, since(scanStart))
	tm.stage("scan", scanStart)
	return sc, nil
}

// guardCounters are anchor a's guard counters from the exclusions.
func guardCounters(ex *guard.Exclusions, a int) [nGuards]uint32 {
	var g [nGuards]uint32
	g[guardGraph] = uint32(ex.Graph[a])
	if ex.LexRules != nil {
		for _, r := range ex.LexRules[a] {
			switch r {
			case guard.RuleNormalized:
				g[guardNormalized]++
			case guard.RuleContains:
				g[guardContains]++
			case guard.RuleEditDistance:
				g[guardEditDistance]++
			}
		}
	}
	return g
}

// scanQuery is the scan's query and options for the anchors in sel.
func scanQuery(s Settings, p *source.Problem, sel []int, posSims [][]float32, ex *guard.Exclusions) (scan.Query, scan.Options) {
	n := len(sel)
	q := scan.Query{Anchors: make([]int32, n), Exclude: make([][]int32, n), Seeds: make([]uint64, n)}
	limits := s.Limits.On()
	if limits {
		q.Ceilings, q.Floors = make([]float32, n), make([]float32, n)
	}
	if s.NearDuplicates > 0 {
		q.Positives, q.NearDupFloors = make([][]int32, n), make([]float32, n)
	}
	if s.Sampling == scan.SimANS {
		q.Centers = make([]float64, n)
	}
	for i, a := range sel {
		anchor := p.Anchors[a]
		q.Anchors[i] = anchor.Query
		q.Exclude[i] = ex.Lists[a]
		q.Seeds[i] = AnchorSeed(s.Seed, p.Queries.Hashes()[anchor.Query])
		low := lowestPositive(posSims[a])
		if limits {
			floor, ceiling := s.Limits.Bounds(low)
			q.Floors[i], q.Ceilings[i] = scan.Threshold(floor), scan.AtMost(ceiling)
		}
		if q.Positives != nil {
			q.Positives[i] = anchor.Positives
			floor := float32(math.Inf(1))
			for _, ps := range posSims[a] {
				floor = min(floor, scan.NearDuplicateFloor(ps, s.NearDuplicates))
			}
			q.NearDupFloors[i] = floor
		}
		if q.Centers != nil {
			q.Centers[i] = float64(low) + s.SimANSB
		}
	}
	ids := p.Corpus.Hashes()
	opt := scan.Options{
		Bands: choose.ScanBands(s.bands()), Keep: s.keep(), Sampling: s.Sampling, SimANSA: s.SimANSA,
		NearDuplicates: s.NearDuplicates, CandidateIDs: ids,
	}
	switch {
	case s.RangeMax > 0:
		opt.Window, opt.WindowOnly = s.RangeMax, true
	case s.RangeMin > 0:
		opt.Window = s.RangeMin
	}
	return q, opt
}

// AnchorSeed is the seed of one anchor's random choices: a mix of the run's
// seed and the anchor's identity.
func AnchorSeed(seed, anchorID uint64) uint64 {
	return scan.Mix(scan.Mix(seed) ^ anchorID)
}
