package mine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
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
	// screen is what the scan's screen did, when the scan ran here.
	screen *scan.ScreenStats
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

// Prepared is a problem read, guarded and ready to scan, with a memory
// plan: what a run does before its scan. Run, RunShard and inspect start
// from it.
type Prepared struct {
	in       *inputs
	Problem  *source.Problem
	Settings Settings
	// Comp labels the positives graph's vertices with their components.
	Comp []int32
	// Exclusions are the guards' lists.
	Exclusions *guard.Exclusions
	// PositiveSims holds each selected anchor's similarity to each of its
	// positives.
	PositiveSims [][]float32
	// Plan is how the scan uses memory.
	Plan MemoryPlan
	// Sel lists the anchors the scan covers (indices into the problem's).
	Sel []int
	// Lo and Hi are the corpus rows it covers.
	Lo, Hi  int
	queries *scan.Matrix // row anchorRow(i): the query of anchor Sel[i]
	// inCorpus lists each anchor's row in queries when queries is the
	// resident corpus itself (the synonym job held whole in float32);
	// otherwise queries is compact, row i for anchor i.
	inCorpus []int32
	corpus   *scan.Matrix // rows [Lo, Hi) when resident
	posVecs  map[int32][]float32
	threads  int
	hooks    Hooks
	// Screen adds up what the screen did in the scans so far.
	Screen scan.ScreenStats
	// ChunkLoad adds up the time the scans so far spent loading corpus
	// chunks.
	ChunkLoad time.Duration
}

// Close releases the mapped input files.
func (p *Prepared) Close() { p.in.close() }

// Dim is the embeddings' dimension.
func (p *Prepared) Dim() int { return p.in.corpusEmb.Cols() }

// Prepare reads the inputs, picks the anchors to scan (pick may be nil for
// all of them), plans memory, loads what the scan holds and applies the
// guards.
func Prepare(ctx context.Context, s Settings, pick func(*source.Problem) []int, hooks Hooks) (*Prepared, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	in, err := readInputs(s, hooks)
	if err != nil {
		return nil, err
	}
	var sel []int
	if pick != nil {
		sel = pick(in.problem)
	}
	p, err := prepare(ctx, s, in, sel, 0, 1, threadsOf(s), hooks, newTimer())
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

// corpusPart is the rows [lo, hi) of corpus shard j of m: contiguous, as
// even as can be.
func corpusPart(rows, j, m int) (lo, hi int) {
	return int(int64(rows) * int64(j) / int64(m)), int(int64(rows) * int64(j+1) / int64(m))
}

// prepare is Prepare after the read, for the anchors in sel (nil: all)
// against corpus shard j of m.
func prepare(ctx context.Context, s Settings, in *inputs, sel []int, j, m int, threads int, hooks Hooks, tm *timer) (*Prepared, error) {
	p := in.problem
	if sel == nil {
		sel = make([]int, len(p.Anchors))
		for i := range sel {
			sel[i] = i
		}
	}
	selAnchors := make([]source.Anchor, len(sel))
	var posRows []int32
	for i, a := range sel {
		selAnchors[i] = p.Anchors[a]
		posRows = append(posRows, p.Anchors[a].Positives...)
	}
	lo, hi := corpusPart(in.corpusEmb.Rows(), j, m)
	// The guards are planned with the rest, before anything heavy is
	// built: their lists can outgrow the matrix (a star of synonyms under
	// hops:2).
	comp, err := guard.Components(p)
	if err != nil {
		return nil, err
	}
	z := sizesOf(in.queryEmb.Rows(), in.corpusEmb.Rows(), in.corpusEmb.Cols(), p.Same(), selAnchors, s, in.textBytes)
	z.corpusRows = hi - lo
	z.guards = guard.ExcludeBytes(p, s.Exclude, comp, s.Lexical, threads)
	budget, from := s.MaxMemory, "--max-memory"
	if budget == 0 {
		budget, from = availableMemory(), "available memory"
	}
	plan := planMemory(z, s, threads, budget)
	plan.From = from
	if budget > 0 && (plan.Fixed > budget || !plan.Resident && s.ChunkRows == 0 && plan.ChunkRows < min(minChunkRows, z.corpusRows)) {
		guards, hint := "", "try a machine with more memory, or fewer anchors per task (--shard)"
		if plan.Guards > 0 {
			guards = fmt.Sprintf(", the guards' lists and indexes (%s)", FormatBytes(plan.Guards))
		}
		if plan.Guards >= plan.Fixed/4 {
			hint = "try a narrower --exclude (hops:K with a smaller K) or fewer lexical guards (a smaller --exclude-edit-distance), or " + strings.TrimPrefix(hint, "try ")
		}
		stream := fmt.Sprintf(" and needs room for %d more corpus rows to stream the corpus", minChunkRows)
		if plan.Fixed > budget {
			stream = ""
		}
		return nil, fmt.Errorf("%w: the run holds about %s whatever the corpus size (the %d anchors' rows and state, texts, id hashes, the rows it writes%s)%s, but %s is %s; %s",
			ErrMemory, FormatBytes(plan.Fixed), len(sel), guards, stream, from, FormatBytes(budget), hint)
	}
	// The garbage collector is held to the plan too (with a tenth more
	// when no budget was given), or garbage could grow the heap to twice
	// what is live before a collection; in.close restores the limit.
	limit := s.MaxMemory
	if limit == 0 {
		limit = plan.Total + plan.Total/10
	}
	prev := debug.SetMemoryLimit(limit)
	in.restoreLimit = func() { debug.SetMemoryLimit(prev) }
	if plan.Resident {
		hooks.logf("memory: about %s for %d anchors against %d x %d embeddings stored as %s, held whole, and about %d triplets, within %s (%s)",
			FormatBytes(plan.Total), len(sel), hi-lo, z.cols, s.Store, z.triplets, FormatBytes(budget), from)
	} else {
		hooks.logf("memory: about %s for %d anchors, and %d x %d embeddings stored as %s streamed %d rows at a time to stay within %s (%s)",
			FormatBytes(plan.Total), len(sel), hi-lo, z.cols, s.Store, plan.ChunkRows, FormatBytes(budget), from)
	}

	loadStart := time.Now()
	// Reading the texts left their parsers' garbage (about 100 MB at
	// 150,000 terms); collecting it before the matrices are allocated lets
	// them reuse its pages rather than add to the peak.
	runtime.GC()
	half := s.Store == StoreF16
	pr := &Prepared{in: in, Problem: p, Settings: s, Plan: plan, Sel: sel, Lo: lo, Hi: hi, threads: threads, hooks: hooks}
	qrows := make([]int32, len(sel))
	for i, a := range selAnchors {
		qrows[i] = a.Query
	}
	if plan.Resident {
		if pr.corpus, err = in.corpusEmb.LoadRange(ctx, lo, hi, half, threads, nil); err != nil {
			return nil, inputErr(err)
		}
	}
	// When the queries are the corpus and the whole of it is held in
	// float32, the anchors' rows are its rows (the bits LoadMatrix gives
	// them); otherwise they are read into a compact matrix.
	if p.Same() && pr.corpus != nil && pr.corpus.Data != nil && lo == 0 && hi == p.Corpus.Len() {
		pr.queries, pr.inCorpus = pr.corpus, qrows
	} else if pr.queries, err = in.queryEmb.LoadMatrix(qrows, half); err != nil {
		return nil, inputErr(err)
	}
	// A positive in a resident float32 corpus is its row there (the same
	// bits LoadRows gives); the others are read. The scan needs them only
	// for the near-duplicate guard: without it each is read on its own,
	// used for its similarity below and dropped.
	pr.posVecs = make(map[int32][]float32, len(posRows))
	var rest []int32
	for _, r := range posRows {
		if pr.corpus != nil && pr.corpus.Data != nil && int(r) >= lo && int(r) < hi {
			row := pr.corpus.Row(int(r) - lo)
			pr.posVecs[r] = row[:len(row):len(row)]
		} else {
			rest = append(rest, r)
		}
	}
	keepPositives := s.NearDuplicates > 0
	if keepPositives {
		read, err := in.corpusEmb.LoadRows(rest, half)
		if err != nil {
			return nil, inputErr(err)
		}
		maps.Copy(pr.posVecs, read)
	}
	// The positives' similarities; rows not held are read in one ordered
	// pass (EachRow), each for every anchor it is a positive of.
	pr.PositiveSims = make([][]float32, len(p.Anchors))
	type use struct{ i, k int }
	var uses []use
	var unheld []int32
	for i, a := range sel {
		anchor := p.Anchors[a]
		sims := make([]float32, len(anchor.Positives))
		for k, c := range anchor.Positives {
			if v := pr.posVecs[c]; v != nil {
				sims[k] = scan.Dot(pr.queries.Row(pr.anchorRow(i)), v)
			} else {
				uses = append(uses, use{i, k})
				unheld = append(unheld, c)
			}
		}
		pr.PositiveSims[a] = sims
	}
	err = in.corpusEmb.EachRow(unheld, half, func(n int, row []float32) error {
		u := uses[n]
		pr.PositiveSims[sel[u.i]][u.k] = scan.Dot(pr.queries.Row(pr.anchorRow(u.i)), row)
		return nil
	})
	if err != nil {
		return nil, inputErr(err)
	}
	if !keepPositives {
		pr.posVecs = nil
	}
	tm.stage("load_embeddings", loadStart)
	hooks.logf("normalised the anchors' and positives' rows%s in %s", map[bool]string{true: " and the corpus", false: ""}[plan.Resident], since(loadStart))

	// The lexical variants found per anchor have no bound beforehand:
	// they get what the plan left of the budget, measured as they are
	// found.
	var lexBudget int64
	if budget > 0 {
		lexBudget = max(budget-plan.Total, 1)
	}
	ex, err := guard.ExcludeWithin(p, s.Exclude, comp, s.Lexical, threads, lexBudget)
	if errors.Is(err, guard.ErrBudget) {
		return nil, fmt.Errorf("%w: %w; try a smaller --exclude-edit-distance, a larger --exclude-edit-min-length or --exclude-contains, or more memory", ErrMemory, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	if st := ruleStats(ex.Graph, p.Corpus.Len()); st.Over1Percent > 0 {
		hooks.logf("warning: --exclude %s removes more than 1%% of the candidates of %d anchors (up to %d for one): it also throws away legitimate hard negatives; hops:K keeps them",
			s.Exclude, st.Over1Percent, st.Max)
	}
	pr.Comp, pr.Exclusions = comp, ex
	return pr, nil
}

// anchorRow is the row of queries that holds anchor Sel[i].
func (p *Prepared) anchorRow(i int) int {
	if p.inCorpus != nil {
		return int(p.inCorpus[i])
	}
	return i
}

// Scan runs the run's scan query over the prepared corpus rows, holding
// them or streaming them as planned; adjust, when set, may change the query
// and options first (inspect counts over its own partition). The results
// come in the order of Sel.
func (p *Prepared) Scan(ctx context.Context, adjust func(*scan.Query, *scan.Options)) ([]scan.Result, error) {
	q, opt := scanQuery(p.Settings, p.Problem, p.Sel, p.PositiveSims, p.Exclusions)
	for i := range q.Anchors {
		q.Anchors[i] = int32(p.anchorRow(i))
	}
	opt.Threads, opt.Progress = p.threads, p.hooks.ScanProgress
	if adjust != nil {
		adjust(&q, &opt)
	}
	if len(p.Sel) == 0 {
		return nil, nil
	}
	sc, err := scan.NewScanner(p.queries, p.Problem.Corpus.Len(), q, opt, p.posVecs)
	if err != nil {
		return nil, err
	}
	defer func() {
		st := sc.ScreenStats()
		p.Screen.On = p.Screen.On || st.On
		p.Screen.Pairs += st.Pairs
		p.Screen.Rechecked += st.Rechecked
	}()
	chunk := max(1, p.Plan.ChunkRows)
	chunks := (p.Hi - p.Lo + chunk - 1) / chunk
	if p.hooks.ScanStart != nil {
		p.hooks.ScanStart(len(p.Sel) * max(1, chunks))
	}
	defer func() {
		if p.hooks.ScanDone != nil {
			p.hooks.ScanDone()
		}
	}()
	if p.corpus != nil {
		if err := sc.Feed(ctx, p.corpus, p.Lo); err != nil {
			return nil, err
		}
		return sc.Results(), nil
	}
	var buf *scan.Matrix
	for lo := p.Lo; lo < p.Hi; lo += chunk {
		hi := min(lo+chunk, p.Hi)
		t := time.Now()
		m, err := p.in.corpusEmb.LoadRange(ctx, lo, hi, p.Settings.Store == StoreF16, p.threads, buf)
		if err != nil {
			return nil, inputErr(err)
		}
		p.ChunkLoad += time.Since(t)
		if err := sc.Feed(ctx, m, lo); err != nil {
			return nil, err
		}
		buf = m
	}
	return sc.Results(), nil
}

// scanAnchors prepares the problem and scans the anchors listed in sel
// (indices into the problem's anchors; nil: all of them) against corpus
// shard j of m. It returns the scanned value with one entry per anchor of
// the problem; anchors outside sel are left empty.
func scanAnchors(ctx context.Context, s Settings, in *inputs, sel []int, j, m, threads int, hooks Hooks, tm *timer) (*scanned, error) {
	pr, err := prepare(ctx, s, in, sel, j, m, threads, hooks, tm)
	if err != nil {
		return nil, err
	}
	p := pr.Problem
	sc := &scanned{
		problem: p, results: make([]scan.Result, len(p.Anchors)), posSims: pr.PositiveSims,
		guards: make([][nGuards]uint32, len(p.Anchors)), comp: pr.Comp, exclusions: pr.Exclusions, pairs: in.pairs, qrels: in.qrels,
		inputs: in.inputStats,
	}
	for _, a := range pr.Sel {
		sc.guards[a] = guardCounters(pr.Exclusions, a, p, pr.Lo, pr.Hi)
	}
	scanStart := time.Now()
	results, err := pr.Scan(ctx, nil)
	if err != nil {
		return nil, err
	}
	for i, a := range pr.Sel {
		sc.results[a] = results[i]
	}
	sc.screen = &pr.Screen
	hooks.logf("scanned %d anchors x %d candidates in %s%s", len(pr.Sel), pr.Hi-pr.Lo, since(scanStart), screenNote(pr.Screen))
	tm.stage("scan", scanStart)
	tm.move("scan", "load_embeddings", pr.ChunkLoad)
	return sc, nil
}

// screenNote says, for the scan's log line, how many pairs the screen left
// to compute in float32.
func screenNote(st scan.ScreenStats) string {
	if !st.On || st.Pairs == 0 {
		return ""
	}
	return fmt.Sprintf(", %d of %d pairs (%.3f%%) re-checked in float32 after the int16 screen", st.Rechecked, st.Pairs, 100*float64(st.Rechecked)/float64(st.Pairs))
}

// guardCounters are anchor a's guard counters from the exclusions, counting
// only corpus rows [lo, hi): the counts of the shards of a split corpus add
// up to the whole corpus's.
func guardCounters(ex *guard.Exclusions, a int, p *source.Problem, lo, hi int) [nGuards]uint32 {
	var g [nGuards]uint32
	in := func(r int32) bool { return int(r) >= lo && int(r) < hi }
	if lo == 0 && hi == p.Corpus.Len() {
		g[guardGraph] = uint32(ex.Graph[a])
	} else if ex.Graph[a] > 0 {
		anchor := p.Anchors[a]
		n := 0
		for _, r := range ex.GraphLists[a] {
			if in(r) && !slices.Contains(anchor.Positives, r) && !(p.Same() && r == anchor.Query) {
				n++
			}
		}
		g[guardGraph] = uint32(n)
	}
	if ex.LexRules != nil {
		for k, r := range ex.LexRules[a] {
			if !in(ex.LexRows[a][k]) {
				continue
			}
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
		NearDuplicates: s.NearDuplicates, CandidateIDs: ids, Exact: s.Exact,
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
