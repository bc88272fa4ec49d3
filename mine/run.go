package mine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"time"

	"github.com/hardneg/hardneg/hfds"
	"github.com/hardneg/hardneg/npy"
	"github.com/hardneg/hardneg/output"
	"github.com/hardneg/hardneg/sample"
	"github.com/hardneg/hardneg/scan"
	"github.com/hardneg/hardneg/source"
	"github.com/hardneg/hardneg/split"
)

// Hooks let a caller watch a run. Every field may be nil.
type Hooks struct {
	// Log receives one line per stage.
	Log io.Writer
	// ScanStart is called with the number of anchors before the scan, and
	// ScanProgress with the number finished since its last call (from
	// several goroutines at once).
	ScanStart    func(anchors int)
	ScanProgress func(anchors int)
	ScanDone     func()
}

func (h Hooks) logf(format string, args ...any) {
	if h.Log != nil {
		fmt.Fprintf(h.Log, format+"\n", args...)
	}
}

// Result is what a run produced.
type Result struct {
	Stats   Stats
	OutDir  string
	Outputs []string // paths written
}

// Run mines the data set described by cfg and writes the outputs into
// cfg.OutDir. On any error, including cancellation of ctx, the output folder
// is left as it was.
func Run(ctx context.Context, cfg Config, hooks Hooks) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	threads := cfg.Threads
	if threads == 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	// Refuse to overwrite before reading anything.
	st, err := newStaging(cfg.OutDir, cfg.outputs(), cfg.Force)
	if err != nil {
		return nil, err
	}
	res, err := run(ctx, cfg, threads, st, hooks)
	if err != nil {
		return nil, errors.Join(err, st.abort())
	}
	return res, nil
}

func run(ctx context.Context, cfg Config, threads int, st *staging, hooks Hooks) (*Result, error) {
	tm := newTimer()
	in, err := readInputs(cfg, hooks)
	if err != nil {
		return nil, err
	}
	defer in.emb.Close()
	tm.stage("read_terms_and_pairs", tm.start)
	results, posSims, ex, err := scanAnchors(ctx, cfg, in, nil, threads, hooks, tm)
	if err != nil {
		return nil, err
	}
	return finish(ctx, cfg, st, scanned{
		terms: in.voc.IDs, anchors: in.anchors, results: results, pairs: in.pairStats, inputs: in.inputStats,
		positiveSims: posSims, exclusions: ex,
	}, hooks, tm)
}

// timer records the wall time of each stage for the stats file.
type timer struct {
	start  time.Time
	stages Object
}

func newTimer() *timer { return &timer{start: time.Now()} }

func (t *timer) stage(name string, since time.Time) {
	t.stages = append(t.stages, Field{name, round3(time.Since(since).Seconds())})
}

// inputs is what the read phase produced. The embeddings are opened, not
// loaded; the caller closes them.
type inputs struct {
	voc       *source.Side
	emb       *npy.File
	anchors   []source.Anchor
	pairStats source.PairStats
	hashes    chan hashed
	hashesGot *hashed
}

type hashed struct {
	files [3]FileStats // pairs, terms, embeddings
	err   error
}

// hashInputs records the size and SHA-256 of each path, beside the real
// work; the result arrives on the channel.
func hashInputs(paths ...string) chan hashed {
	c := make(chan hashed, 1)
	go func() {
		var h hashed
		for i, p := range paths {
			if h.files[i], h.err = fileStats(p); h.err != nil {
				break
			}
		}
		c <- h
	}()
	return c
}

// readInputs reads the term list and the pairs, opens the embeddings and
// starts hashing the three files.
func readInputs(cfg Config, hooks Hooks) (*inputs, error) {
	in := &inputs{hashes: hashInputs(cfg.PairsPath, cfg.TermsPath, cfg.EmbeddingsPath)}
	var err error
	if in.voc, err = source.ReadTerms(cfg.TermsPath); err != nil {
		return nil, inputErr(err)
	}
	if in.emb, err = npy.Open(cfg.EmbeddingsPath); err != nil {
		return nil, inputErr(err)
	}
	if in.emb.Rows() != in.voc.Len() {
		in.emb.Close()
		return nil, fmt.Errorf("%w: %s has %d rows but %s lists %d terms; row i must be the embedding of term i",
			ErrInput, cfg.EmbeddingsPath, in.emb.Rows(), cfg.TermsPath, in.voc.Len())
	}
	if in.anchors, in.pairStats, err = source.ReadPairs(cfg.PairsPath, in.voc); err != nil {
		in.emb.Close()
		return nil, inputErr(err)
	}
	ps := in.pairStats
	hooks.logf("read %d terms, %d pairs (%d skipped: %d out of vocabulary, %d self-pairs), %d anchors",
		in.voc.Len(), ps.Pairs, ps.Skipped(), ps.SkippedOOV, ps.SkippedSelf, len(in.anchors))
	return in, nil
}

// inputStats waits for the hashes and returns the provenance the stats file
// records.
func (in *inputs) inputStats() (InputStats, error) {
	if in.hashesGot == nil {
		h := <-in.hashes
		in.hashesGot = &h
	}
	h := in.hashesGot
	if h.err != nil {
		return InputStats{}, fmt.Errorf("%w: %w", ErrInput, h.err)
	}
	return InputStats{
		Pairs: h.files[0], Terms: h.files[1], Embeddings: h.files[2],
		Shape: []int{in.emb.Rows(), in.emb.Cols()}, DType: string(in.emb.DType()),
	}, nil
}

// scanAnchors checks the memory the scan needs, loads the embeddings and
// scans the anchors listed in sel (indices into in.anchors; nil: all of
// them). It returns one result per scanned anchor, in the order of sel.
func scanAnchors(ctx context.Context, cfg Config, in *inputs, sel []int, threads int, hooks Hooks, tm *timer) ([]scan.Result, map[[2]int32]float32, *exclusions, error) {
	anchors := in.anchors
	if sel != nil {
		anchors = make([]source.Anchor, len(sel))
		for i, a := range sel {
			anchors[i] = in.anchors[a]
		}
	}
	voc, emb := in.voc, in.emb
	need := EstimateMemory(emb.Rows(), emb.Cols(), anchors, cfg, threads)
	limit, limitFrom := cfg.MaxMemory, "--max-memory"
	if limit == 0 {
		limit, limitFrom = availableMemory(), "available memory"
	}
	hooks.logf("memory: about %s needed for %d x %d embeddings stored as %s and about %d triplets",
		FormatBytes(need), emb.Rows(), emb.Cols(), cfg.Store, estimateTriplets(anchors, cfg.NegativesPerAnchor))
	if limit > 0 && need > limit {
		hint := "a machine with more memory"
		if cfg.Store == StoreF32 {
			hint = "--store f16 (half the memory for the matrix), or " + hint
		}
		return nil, nil, nil, fmt.Errorf("%w: the run needs about %s but %s is %s; try %s",
			ErrMemory, FormatBytes(need), limitFrom, FormatBytes(limit), hint)
	}

	loadStart := time.Now()
	mat, err := loadEmbeddings(ctx, emb, voc.IDs, cfg.Store, threads)
	if err != nil {
		return nil, nil, nil, err
	}
	tm.stage("load_embeddings", loadStart)
	hooks.logf("normalised %d x %d %s embeddings (stored as %s) in %s", mat.Rows, mat.Cols, emb.DType(), cfg.Store, since(tm.start))

	// The scan: one query entry per anchor.
	ids := make([]uint64, voc.Len())
	for i, t := range voc.IDs {
		ids[i] = termID(t)
	}
	q := scan.Query{
		Anchors: make([]int32, len(anchors)),
		Exclude: make([][]int32, len(anchors)),
		Seeds:   make([]uint64, len(anchors)),
	}
	comp, err := componentsOf(voc.Len(), in.anchors)
	if err != nil {
		return nil, nil, nil, err
	}
	ex := guardExclusions(cfg, voc.IDs, in.anchors, comp, threads)
	ex.comp = comp
	if st := ruleStats(ex.graph, voc.Len()); st.Over1Percent > 0 {
		hooks.logf("warning: --exclude %s removes more than 1%% of the candidates of %d anchors (up to %d terms for one): it also throws away legitimate hard negatives; hops:K keeps them",
			cfg.Exclude, st.Over1Percent, st.Max)
	}
	for i, a := range anchors {
		q.Anchors[i] = a.Query
		q.Seeds[i] = AnchorSeed(cfg.Seed, ids[a.Query])
		if sel != nil {
			q.Exclude[i] = ex.lists[sel[i]]
		} else {
			q.Exclude[i] = ex.lists[i]
		}
	}
	var posSims map[[2]int32]float32
	if cfg.WithScores || cfg.ceiling() {
		posSims = map[[2]int32]float32{}
		for _, a := range anchors {
			for _, p := range a.Positives {
				posSims[[2]int32{a.Query, p}] = scan.Similarity(mat, int(a.Query), mat, int(p))
			}
		}
	}
	if cfg.ceiling() {
		q.Ceilings = ceilings(cfg, anchors, func(a, p int32) float32 { return posSims[[2]int32{a, p}] })
	}
	bands := make([]scan.Band, len(cfg.Bands))
	for i, b := range cfg.Bands {
		bands[i] = scan.Band{Lo: b.Lo, Hi: b.Hi}
	}
	if hooks.ScanStart != nil {
		hooks.ScanStart(len(anchors))
	}
	scanStart := time.Now()
	var results []scan.Result
	if len(anchors) > 0 {
		results, err = scan.Scan(ctx, mat, mat, q, scan.Options{
			Bands: bands, Keep: cfg.keep(), CandidateIDs: ids, Threads: threads, Progress: hooks.ScanProgress,
		})
	}
	if hooks.ScanDone != nil {
		hooks.ScanDone()
	}
	if err != nil {
		return nil, nil, nil, err
	}
	hooks.logf("scanned %d anchors x %d terms in %s", len(anchors), mat.Rows, since(scanStart))
	tm.stage("scan", scanStart)
	return results, posSims, &ex, nil
}

// scanned is what the finishing phase works from: the term list, every
// anchor in first-seen order with its scan result, and what the stats file
// records about the inputs. Run scans for it; Merge reads it from shards.
type scanned struct {
	terms   []string
	anchors []source.Anchor
	results []scan.Result // one per anchor
	pairs   source.PairStats
	// inputs returns the inputs' provenance; it may wait for the hashes.
	inputs func() (InputStats, error)
	// positiveSims holds each (anchor, positive) similarity, with WithScores.
	positiveSims map[[2]int32]float32
	// exclusions are what the guards excluded, when the scan ran here.
	exclusions *exclusions
}

// finish is the part of a run after the scan, shared by Run and Merge:
// quotas and choice, shuffle and split, the writers and the stats file into
// the staging folder, and the commit.
func finish(ctx context.Context, cfg Config, st *staging, s scanned, hooks Hooks, tm *timer) (*Result, error) {
	anchors, results := s.anchors, s.results
	sampleStart := time.Now()

	// Quotas and choice.
	ratios := make([]float64, len(cfg.Bands))
	names := make([]string, len(cfg.Bands))
	for i, b := range cfg.Bands {
		ratios[i], names[i] = b.Ratio, b.Name
	}
	weights := make([]int, len(anchors))
	pools := make([][]int64, len(anchors))
	for i, a := range anchors {
		weights[i] = len(a.Positives)
		pools[i] = results[i].Counts
	}
	quotas := sample.Quotas(cfg.Quota, ratios, cfg.NegativesPerAnchor, weights, pools)
	var triplets []output.Triplet
	skipped := 0
	perBand := make([]int, len(cfg.Bands))
	uses := map[int32]int{} // anchors that got each term as a negative
	var reuse ReuseStats
	for i, a := range anchors {
		negs := sample.Choose(cfg.Quota, quotas[i], cfg.NegativesPerAnchor, results[i].Picks)
		if cfg.MaxNegativeReuse > 0 {
			negs = capReuse(negs, results[i].Picks, uses, cfg.MaxNegativeReuse, &reuse)
		}
		for _, n := range negs {
			uses[n.Row]++
		}
		if len(negs) == 0 {
			skipped++
			continue
		}
		for _, p := range a.Positives {
			for _, n := range negs {
				triplets = append(triplets, output.Triplet{Anchor: a.Query, Positive: p, Negative: n.Row, Sim: n.Sim, Band: int8(n.Band)})
				perBand[n.Band]++
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// The synonym graph's components serve the component split and the
	// overlap report whatever split ran; the scan phase computed them
	// already, a merge has to.
	var comp []int32
	if s.exclusions != nil {
		comp = s.exclusions.comp
	} else {
		var err error
		if comp, err = componentsOf(len(s.terms), anchors); err != nil {
			return nil, err
		}
	}
	rowAnchor := make([]int32, len(triplets))
	rowPos := make([]int32, len(triplets))
	rowNeg := make([]int32, len(triplets))
	for i, t := range triplets {
		rowAnchor[i], rowPos[i], rowNeg[i] = t.Anchor, t.Positive, t.Negative
	}
	train, val, err := split.ByMode(cfg.SplitBy, rowAnchor, comp, cfg.TrainRatio, cfg.Seed)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	sizes, largest := split.ComponentSizes(comp)
	ex := s.exclusions
	if ex == nil { // a merge: the shards did not carry them
		e := guardExclusions(cfg, s.terms, anchors, comp, runtime.GOMAXPROCS(0))
		ex = &e
	}
	guards := guardStats(cfg, len(s.terms), *ex, results, uses, s.terms, reuse)
	tm.stage("sample_and_split", sampleStart)
	inputStats, err := s.inputs()
	if err != nil {
		return nil, err
	}
	stats := Stats{
		Config: statsConfig(cfg),
		Dataset: DatasetStats{
			TotalTriplets: len(triplets), TrainTriplets: len(train), ValTriplets: len(val),
			UniqueAnchors: len(anchors), SkippedAnchors: skipped,
		},
		Mix: MixStats{Quota: cfg.Quota.String()},
		Split: SplitStats{
			By:                 cfg.SplitBy.String(),
			Overlap:            split.MeasureOverlap(train, val, rowAnchor, rowPos, rowNeg, comp),
			LargestComponent:   largest,
			ComponentSizeCount: sizes,
		},
		Guards: guards,
		Pairs:  s.pairs,
		Inputs: inputStats,
		Tool:   Version(),
	}
	for b, name := range names {
		stats.DifficultyDistribution = append(stats.DifficultyDistribution, Field{name, perBand[b]})
		stats.Mix.Target = append(stats.Mix.Target, Field{name, round2(100 * ratios[b])})
		share := 0.0
		if len(triplets) > 0 {
			share = 100 * float64(perBand[b]) / float64(len(triplets))
		}
		stats.Mix.Achieved = append(stats.Mix.Achieved, Field{name, round2(share)})
		stats.Pools = append(stats.Pools, Field{name, poolStats(pools, b)})
	}

	// Write everything into the staging folder, then move it into place.
	writeStart := time.Now()
	trainRows := output.Rows{Triplets: triplets, Order: train, Terms: s.terms, Bands: names}
	valRows := output.Rows{Triplets: triplets, Order: val, Terms: s.terms, Bands: names}
	var pos output.PositiveSim
	if cfg.WithScores {
		pos = func(a, p int32) float32 { return s.positiveSims[[2]int32{a, p}] }
	}
	w, err := formatWriters(cfg, pos, trainRows, valRows)
	if err != nil {
		return nil, err
	}
	stats.Format = w.stats
	splits := []hfds.Split{
		{Name: "train", Table: w.tables[0]},
		{Name: "validation", Table: w.tables[1]},
	}
	if err := hfds.Save(st.path(DatasetDir), splits, hfds.Options{}); err != nil {
		return nil, err
	}
	if cfg.Parquet {
		// SaveParquet wants an empty folder and writes its data/ inside.
		tmp := st.path(".parquet")
		if err := hfds.SaveParquet(tmp, splits, hfds.Options{}); err != nil {
			return nil, err
		}
		if err := os.Rename(filepath.Join(tmp, ParquetDir), st.path(ParquetDir)); err != nil {
			return nil, fmt.Errorf("write parquet: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for i, name := range []string{TrainJSONL, ValJSONL} {
		if err := writeFile(st.path(name), w.jsonl[i]); err != nil {
			return nil, err
		}
	}
	tm.stage("write_data", writeStart)
	tm.stage("total", tm.start)
	stats.Timings = tm.stages
	if err := output.WriteJSONFile(st.path(StatsFile), stats); err != nil {
		return nil, fmt.Errorf("write stats: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var dumpTmp string
	if cfg.DumpExcluded != "" {
		// Written beside its target before the commit, renamed after it.
		f, err := os.CreateTemp(filepath.Dir(cfg.DumpExcluded), ".hardneg-excluded-*")
		if err != nil {
			return nil, fmt.Errorf("%w: --dump-excluded: %w", ErrConfig, err)
		}
		dumpTmp = f.Name()
		werr := writeExcluded(f, cfg, s.terms, anchors, *ex)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			os.Remove(dumpTmp)
			return nil, fmt.Errorf("write %s: %w", cfg.DumpExcluded, werr)
		}
	}
	if err := st.commit(); err != nil {
		if dumpTmp != "" {
			os.Remove(dumpTmp)
		}
		return nil, err
	}
	if dumpTmp != "" {
		if err := os.Rename(dumpTmp, cfg.DumpExcluded); err != nil {
			os.Remove(dumpTmp)
			return nil, fmt.Errorf("write %s: %w", cfg.DumpExcluded, err)
		}
	}
	hooks.logf("wrote %d triplets (%d train, %d validation) to %s in %s", len(triplets), len(train), len(val), cfg.OutDir, since(writeStart))
	res := &Result{Stats: stats, OutDir: cfg.OutDir}
	for _, n := range cfg.outputs() {
		res.Outputs = append(res.Outputs, filepath.Join(cfg.OutDir, n))
	}
	return res, nil
}

// writers holds, per split (train, validation), the table for the
// HuggingFace outputs and the JSONL writer of the chosen format.
type writers struct {
	tables [2]hfds.Table
	jsonl  [2]func(io.Writer) error
	stats  FormatStats
}

// formatWriters prepares the outputs of cfg.Format for the two splits.
func formatWriters(cfg Config, pos output.PositiveSim, rows ...output.Rows) (writers, error) {
	w := writers{stats: FormatStats{Format: cfg.Format, WithScores: cfg.WithScores}}
	for i, r := range rows {
		switch cfg.Format {
		case FormatNTuple:
			t, err := output.MakeNTuples(r, cfg.NegativesPerAnchor)
			if err != nil {
				return w, err
			}
			w.tables[i] = output.NTupleTable(t, pos)
			w.jsonl[i] = func(wr io.Writer) error { return output.WriteNTupleJSONL(wr, t, pos) }
			w.stats.Rows = append(w.stats.Rows, t.Len())
			w.stats.DroppedShortTuples += t.Dropped
		case FormatFlagEmbedding:
			// The trainer reads the JSONL; the HuggingFace outputs keep the
			// triplets, which every loader understands.
			w.tables[i] = output.TableWithScores(r, pos)
			w.jsonl[i] = func(wr io.Writer) error { return output.WriteFlagEmbeddingJSONL(wr, r, pos) }
			w.stats.Rows = append(w.stats.Rows, r.Len())
		default:
			w.tables[i] = output.TableWithScores(r, pos)
			w.jsonl[i] = func(wr io.Writer) error { return output.WriteJSONLWithScores(wr, r, pos) }
			w.stats.Rows = append(w.stats.Rows, r.Len())
		}
	}
	return w, nil
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

// inputErr marks an error from a reader as bad input.
func inputErr(err error) error {
	return fmt.Errorf("%w: %w", ErrInput, err)
}

// termID is a term's identity for sampling keys: FNV-1a of its UTF-8 bytes.
// Keys that follow the term rather than its row keep samples stable when the
// term list is reordered or split into shards.
func termID(t string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(t))
	return h.Sum64()
}

// AnchorSeed is the seed of one anchor's random choices: a mix of the run's
// seed and the anchor's identity.
func AnchorSeed(seed, anchorID uint64) uint64 {
	return scan.Mix(scan.Mix(seed) ^ anchorID)
}

func statsConfig(cfg Config) StatsConfig {
	var c StatsConfig
	for _, b := range cfg.Bands {
		c.Bands = append(c.Bands, Field{b.Name + "_range", []float64{b.Lo, b.Hi}})
	}
	for _, b := range cfg.Bands {
		c.Bands = append(c.Bands, Field{b.Name + "_ratio", b.Ratio})
	}
	c.Rest = Object{
		{"negatives_per_anchor", cfg.NegativesPerAnchor},
		{"train_ratio", cfg.TrainRatio},
		{"val_ratio", cfg.ValRatio},
		{"seed", cfg.Seed},
		{"quota", cfg.Quota.String()},
		{"store", cfg.Store},
		{"split_by", cfg.SplitBy.String()},
	}
	return c
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

func round2(x float64) float64 {
	return float64(int64(x*100+0.5)) / 100
}

func round3(x float64) float64 {
	return float64(int64(x*1000+0.5)) / 1000
}

// fileStats reads path once to record its size and SHA-256.
func fileStats(path string) (FileStats, error) {
	f, err := os.Open(path)
	if err != nil {
		return FileStats{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return FileStats{}, fmt.Errorf("hash %s: %w", path, err)
	}
	return FileStats{Path: path, Bytes: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

func since(t time.Time) time.Duration { return time.Since(t).Round(time.Millisecond) }

// Version is the module version from the build info, e.g. "hardneg v0.1.0"
// or "hardneg (devel)" with the VCS revision when there is one.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "hardneg (unknown)"
	}
	v := "hardneg " + bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
		if s.Key == "vcs.modified" && s.Value == "true" {
			v += "+dirty"
		}
	}
	return v
}
