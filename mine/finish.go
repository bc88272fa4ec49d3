package mine

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hardneg/hardneg/choose"
	"github.com/hardneg/hardneg/format"
	"github.com/hardneg/hardneg/hfds"
	"github.com/hardneg/hardneg/output"
	"github.com/hardneg/hardneg/scan"
	"github.com/hardneg/hardneg/split"
)

// chosen is what the choice produced: the rows, and what the stats file
// reports about them.
type chosen struct {
	rows    []format.Row
	pools   [][]int64 // per anchor, per band
	skipped int       // anchors without any negative
	perBand []int     // rows per band
	uses    map[int32]int
	reuse   ReuseStats
	// spread counts, per band, the anchors by how many of their negatives
	// the band supplied.
	spread []map[int]int
}

// choose picks every anchor's negatives from what the scan kept: the
// window and the bands give each anchor's candidates, the quotas how many
// each band supplies, the sampler's order which ones, and the reuse cap
// replaces overused ones.
func chooseNegatives(s Settings, sc *scanned) chosen {
	p := sc.problem
	bands := s.bands()
	scanBands := choose.ScanBands(bands)
	ratios := make([]float64, len(bands))
	for i, b := range bands {
		ratios[i] = b.Ratio
	}
	c := chosen{pools: make([][]int64, len(p.Anchors)), perBand: make([]int, len(bands)), uses: map[int32]int{}, spread: make([]map[int]int, len(bands))}
	for b := range c.spread {
		c.spread[b] = map[int]int{}
	}
	counts := make([]int, len(bands))
	weights := make([]int, len(p.Anchors))
	picks := make([][][]scan.Pick, len(p.Anchors))
	orders := make([]choose.Order, len(p.Anchors))
	for i, a := range p.Anchors {
		sampler := choose.Sampler{Sampling: s.Sampling, Center: float64(lowestPositive(sc.posSims[i])) + s.SimANSB, A: s.SimANSA}
		orders[i] = sampler.Order()
		c.pools[i], picks[i] = choose.Candidates(sc.results[i], scanBands, s.window(), orders[i])
		weights[i] = len(a.Positives)
	}
	quotas := choose.QuotasCapped(s.Quota, ratios, s.NegativesPerAnchor, s.MaxPerBand, weights, c.pools)
	for i, a := range p.Anchors {
		negs := choose.Choose(s.Quota, quotas[i], s.NegativesPerAnchor, picks[i], orders[i])
		if s.MaxNegativeReuse > 0 {
			var replaced, dropped int
			negs, replaced, dropped = choose.CapReuse(negs, picks[i], c.uses, s.MaxNegativeReuse)
			c.reuse.Replaced += replaced
			c.reuse.Dropped += dropped
		}
		clear(counts)
		for _, n := range negs {
			c.uses[n.Row]++
			counts[n.Band]++
		}
		for b, k := range counts {
			c.spread[b][k]++
		}
		if len(negs) == 0 {
			c.skipped++
			continue
		}
		for _, pos := range a.Positives {
			for _, n := range negs {
				c.rows = append(c.rows, format.Row{Anchor: a.Query, Positive: pos, Negative: n.Row, Sim: n.Sim, Band: int16(n.Band)})
				c.perBand[n.Band]++
			}
		}
	}
	return c
}

// finish is the part of a run after the scan, shared by Run and Merge:
// choice, shuffle and split, the writers and the stats file into the
// staging folder, and the commit.
func finish(ctx context.Context, s Settings, st *output.Staging, sc *scanned, hooks Hooks, tm *timer) (*Result, error) {
	p := sc.problem
	sampleStart := time.Now()
	c := chooseNegatives(s, sc)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(c.rows) == 0 && !s.AllowEmpty {
		return nil, emptyErr(s, sc, c, "no anchor has a negative left")
	}

	// Split on the positives graph's vertices, which are the term rows in
	// the synonym job.
	n := len(c.rows)
	rowAnchor, rowPos, rowNeg := make([]int32, n), make([]int32, n), make([]int32, n)
	for i, r := range c.rows {
		rowAnchor[i], rowPos[i], rowNeg[i] = p.QueryNode(r.Anchor), p.CorpusNode(r.Positive), p.CorpusNode(r.Negative)
	}
	train, val, err := split.ByMode(s.SplitBy, rowAnchor, sc.comp, s.TrainRatio, s.Seed)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	tm.stage("sample_and_split", sampleStart)
	// A streamed corpus reads the ids and texts of the rows it writes.
	if !p.Corpus.Resident() {
		resolveStart := time.Now()
		if err := p.Corpus.Resolve(outputRows(s, sc, c)); err != nil {
			return nil, inputErr(err)
		}
		tm.stage("read_texts", resolveStart)
	}
	stats, err := buildStats(s, sc, c, train, val, rowAnchor, rowPos, rowNeg)
	if err != nil {
		return nil, err
	}

	// Write everything into the staging folder, then move it into place.
	writeStart := time.Now()
	spec := s.Spec()
	bands := s.bands()
	names := make([]string, len(bands))
	for i, b := range bands {
		names[i] = b.Name
	}
	view := format.View{Rows: c.rows, Queries: p.Queries, Corpus: p.Corpus, Bands: names}
	if s.WithScores {
		view.PositiveSim = positiveSims(sc)
	}
	opt := format.Options{K: s.NegativesPerAnchor, WithScores: s.WithScores, WithIDs: s.WithIDs}
	var splits []hfds.Split
	stats.Format = FormatStats{Format: s.Format, WithScores: s.WithScores, WithIDs: s.WithIDs}
	for i, order := range [][]int{train, val} {
		v := view
		v.Order = order
		t, dropped := spec.Table(v, opt)
		splits = append(splits, hfds.Split{Name: splitNames[i], Table: t})
		stats.Format.Rows = append(stats.Format.Rows, t.NumRows())
		stats.Format.DroppedShortTuples += dropped
	}
	if stats.Format.Rows[0]+stats.Format.Rows[1] == 0 && !s.AllowEmpty {
		return nil, emptyErr(s, sc, c, fmt.Sprintf("the %d triplets make no %s", len(c.rows), spec.Unit))
	}
	if err := hfds.Save(st.Path(spec.Dataset), splits, hfds.Options{}); err != nil {
		return nil, err
	}
	if s.Parquet {
		// SaveParquet wants an empty folder and writes its data/ inside.
		tmp := st.Path(".parquet")
		if err := hfds.SaveParquet(tmp, splits, hfds.Options{}); err != nil {
			return nil, err
		}
		if err := os.Rename(filepath.Join(tmp, ParquetDir), st.Path(ParquetDir)); err != nil {
			return nil, fmt.Errorf("write parquet: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for i, name := range []string{spec.TrainJSONL, spec.ValJSONL} {
		t := splits[i].Table
		if err := writeFile(st.Path(name), func(w io.Writer) error { return format.WriteJSONL(w, t) }); err != nil {
			return nil, err
		}
	}
	tm.stage("write_data", writeStart)
	tm.stage("total", tm.start)
	stats.Timings = tm.stages
	stats.Screen = screenStats(sc.screen)
	if err := output.WriteJSONFile(st.Path(StatsFile), stats); err != nil {
		return nil, fmt.Errorf("write stats: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.DumpExcluded != "" {
		// Staged beside its target and committed with the other outputs.
		err := writeFile(st.Path(s.dumpTarget()), func(w io.Writer) error { return writeExcluded(w, s, p, sc.exclusions) })
		if err != nil {
			return nil, fmt.Errorf("write %s: %w", s.DumpExcluded, err)
		}
	}
	if err := st.Commit(); err != nil {
		return nil, err
	}
	hooks.logf("wrote %d %s (%d train, %d validation) to %s in %s", stats.Format.Rows[0]+stats.Format.Rows[1], spec.Unit,
		stats.Format.Rows[0], stats.Format.Rows[1], s.OutDir, since(writeStart))
	res := &Result{Stats: stats, OutDir: s.OutDir, Spec: spec}
	for _, n := range s.outputs() {
		res.Outputs = append(res.Outputs, filepath.Join(s.OutDir, n))
	}
	return res, nil
}

// emptyErr refuses a run that produced no rows, before anything is
// written, saying where the candidates went.
func emptyErr(s Settings, sc *scanned, c chosen, why string) error {
	var where []string
	var above, below, near int64
	for _, r := range sc.results {
		above, below, near = above+r.AboveCeiling, below+r.BelowFloor, near+r.NearDuplicates
	}
	if above+below > 0 {
		where = append(where, fmt.Sprintf("the score limits dropped %d candidates", above+below))
	}
	if near > 0 {
		where = append(where, fmt.Sprintf("the near-duplicate guard %d", near))
	}
	var pooled int64
	for _, p := range c.pools {
		for _, n := range p {
			pooled += n
		}
	}
	where = append(where, fmt.Sprintf("%d candidates were left in the bands or the rank window", pooled))
	return fmt.Errorf("%w: the run produced no rows (%s; %d of %d anchors without a negative; %s); nothing was written; loosen the bands, limits or guards, or give --allow-empty to write empty outputs",
		ErrEmpty, why, c.skipped, len(sc.problem.Anchors), strings.Join(where, ", "))
}

// outputRows lists the corpus rows the outputs name: every positive and
// negative of a row, the most used negatives, and with a dump the excluded
// rows.
func outputRows(s Settings, sc *scanned, c chosen) []int32 {
	var rows []int32
	for _, r := range c.rows {
		rows = append(rows, r.Positive, r.Negative)
	}
	for r := range c.uses {
		rows = append(rows, r)
	}
	if s.DumpExcluded != "" && sc.exclusions != nil {
		for _, l := range sc.exclusions.Lists {
			rows = append(rows, l...)
		}
	}
	return rows
}

// positiveSims looks up an (anchor, positive) similarity in the scanned
// value.
func positiveSims(sc *scanned) func(anchor, positive int32) float32 {
	type key struct{ a, p int32 }
	m := make(map[key]float32)
	for i, a := range sc.problem.Anchors {
		for j, pos := range a.Positives {
			m[key{a.Query, pos}] = sc.posSims[i][j]
		}
	}
	return func(a, p int32) float32 { return m[key{a, p}] }
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func poolStats(pools [][]int64, b int) PoolStats {
	if len(pools) == 0 {
		return PoolStats{}
	}
	v := make([]int64, len(pools))
	empty := 0
	for i, p := range pools {
		v[i] = p[b]
		if p[b] == 0 {
			empty++
		}
	}
	slices.Sort(v)
	return PoolStats{Min: v[0], Median: v[len(v)/2], Max: v[len(v)-1], EmptyAnchors: empty}
}
